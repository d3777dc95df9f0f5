"""Arms: one entry per arm the text describes, grouping the indices of its mentions.

Built on a finished result (the API's JSON and the text): the arm names given to sizes and
response rates by linking.py are the keys, so an arm named in Methods and again in Results
is one arm.  A result whose rates name no arm gets a single arm for the whole study.
"""

from __future__ import annotations

import re

_GROUP_WORD = re.compile(r"\s*(?:群|グループ|group|arm|cohort)", re.IGNORECASE)


def _sentence_bounds(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"[。.!?]\s+|。|\n", text)] + [len(text)]


def _sentence_of(bounds: list[int], pos: int) -> int:
    lo, hi = 0, len(bounds) - 1
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if bounds[mid] <= pos:
            lo = mid
        else:
            hi = mid
    return lo


# a one-script name before a group word: "MMF 群", "プラセボ群", "placebo group", "低用量群"
_GROUP_BEFORE = re.compile(r"((?:[A-Za-z0-9+/-]+|[ァ-ヶーｦ-ﾟ]+|[一-龥]+)\s?(?:群|グループ|group|arm))[^群]{0,25}$",
                           re.IGNORECASE)


def _label(text: str, drugs: list[dict], members: list[int], first: dict | None, key: str) -> str:
    """The arm as written: its first drug mention with a following group word ("MMF 群"),
    else a group phrase just before the arm's first number ("プラセボ群 180 例", "the placebo
    group (n = 180)"), else the arm's name."""
    if members:
        d = drugs[members[0]]
        m = _GROUP_WORD.match(text, d["end"])
        return text[d["start"]:m.end() if m else d["end"]]
    if first is not None:
        m = _GROUP_BEFORE.search(text[max(0, first["start"] - 40):first["start"]])
        if m:
            return m.group(1)
    return key


def build_arms(result: dict, text: str) -> list[dict]:
    drugs, doses = result.get("drugs", []), result.get("doses", [])
    sizes, rates = result.get("trial_sizes", []), result.get("response_rates", [])
    named = sorted([s for s in sizes if s.get("scope") == "arm"] + list(rates), key=lambda m: m["start"])
    keys = list(dict.fromkeys(m["arm"] for m in named if m.get("arm")))
    whole = not keys and bool(rates)
    if whole:
        keys = [""]
    bounds = _sentence_bounds(text)
    # each list is read once, grouped by drug name / arm (not once per arm)
    drugs_named: dict = {}
    for i, d in enumerate(drugs):
        if not d.get("class") and d.get("name"):
            drugs_named.setdefault(d["name"], []).append(i)
    doses_of: dict = {}
    for i, d in enumerate(doses):
        doses_of.setdefault(d.get("drug"), []).append(i)
    first_named: dict = {}
    for m in named:
        first_named.setdefault(m.get("arm"), m)
    arm_size: dict = {}
    for i, s in enumerate(sizes):
        if s.get("scope") == "arm":
            arm_size.setdefault(s.get("arm"), i)
    rates_of: dict = {}
    for i, r in enumerate(rates):
        rates_of.setdefault(r.get("arm"), []).append(i)
    arms = []
    for key in keys:
        parts = [p.strip() for p in key.split("+")] if key else []
        names = drugs_named if whole else set(parts)
        members = sorted(i for name in names for i in drugs_named.get(name, ()))
        first = first_named.get(key) if key else None
        arm: dict = {"label": _label(text, drugs, members, first, key) if key else "all participants",
                     "drugs": members,
                     "doses": sorted(i for m in members for i in doses_of.get(m, ()))}
        if whole:
            n = next((i for i, s in enumerate(sizes) if s.get("scope") == "total"), None)
        else:
            n = arm_size.get(key)
        if n is not None:
            arm["n"] = n
        arm["results"] = [{"outcome": rates[i].get("outcome"), "response_rate": i}
                          for i in (range(len(rates)) if whole else rates_of.get(key, ()))]
        arms.append(arm)
    _attach_comparisons(arms, result, bounds)
    return arms


def _attach_comparisons(arms: list[dict], result: dict, bounds: list[int]) -> None:
    """Effects and p values in a sentence that reports a result of an arm belong to the
    comparison of the arms reported there."""
    rates = result.get("response_rates", [])
    in_sentence: dict = {}  # kind -> sentence -> indices
    for kind in ("effects", "p_values"):
        for i, m in enumerate(result.get(kind, [])):
            if not m.get("threshold"):
                in_sentence.setdefault(kind, {}).setdefault(_sentence_of(bounds, m["start"]), []).append(i)
    for arm in arms:
        sentences = {_sentence_of(bounds, rates[r["response_rate"]]["start"]) for r in arm["results"]}
        for kind in ("effects", "p_values"):
            found = in_sentence.get(kind, {})
            idx = sorted(i for s in sentences for i in found.get(s, ()))
            if idx:
                arm[kind] = idx
