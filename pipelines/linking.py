"""Attaching numbers to what they belong to: a dose to its drug, a size or a rate to its arm.

Arms are the drug mentions (not classes) and the group words of the document's language
(models/rules/<lang>/trial_size.json arm_groups: "placebo", "control", "プラセボ", "対照")
found in the same clause; a number is given an arm
only when one arm is named there, or when it stands right next to one ("MMF 群 71 例",
"MMF (n = 185)", "185 to MMF").
"""

from __future__ import annotations

import re
from functools import cache

from .base import DocState
from .resources import cue_regex, doc_lang, rule_langs, rules


_OF_DRUG = re.compile(r"\s*(?:of|the|oral|intravenous|IV|i\.v\.|の|\s)*\s*")


def _arm_candidates(st: DocState, c0: int, c1: int) -> list[tuple[int, int, str]]:
    arms = [(d.start, d.end, d.attrs["name"]) for d in st.starting("drug", c0, c1) if not d.attrs.get("class")]
    lang = doc_lang(st)
    for m in cue_regex("trial_size", "arm_groups", lang).finditer(st.text, c0, c1):
        if st.free(m.start(), m.end(), "drug"):
            word = m.group(0).lower()
            arms.append((m.start(), m.end(), _group_names(lang).get(word, word)))
    return sorted(arms)


@cache
def _group_names(lang: str) -> dict[str, str]:
    """Group words → the arm name they stand for (models/rules/<lang>/arm_groups.json)."""
    return {k.lower(): v for lg in rule_langs(lang) for k, v in rules(lg, "arm_groups").names.items()}


def nearest_arm(st: DocState, start: int, end: int, window: int = 40) -> str | None:
    """The arm a number at [start, end) belongs to, or None when the clause names none or several."""
    c0, c1 = st.clause(start)
    arms = _arm_candidates(st, max(c0, start - window), min(c1, end + window))
    names = {a[2] for a in arms}
    if len(names) == 1:
        return names.pop()
    if not arms:
        return None
    combined = _bracketed_combination(st, arms, start, c0)
    if combined:
        return combined
    # several arms: take the one written immediately next to the number
    def gap(a):  # a group is named before its count ("MMF 群 185 例", "MMF (n = 185)"), unless
        # the words between say the number is in it ("41% in the docetaxel arm")
        if a[1] <= start:
            return start - a[1]
        return a[0] - end if _IN_ARM.fullmatch(st.text, end, a[0]) else 3 * (a[0] - end) + 2

    best = min(arms, key=gap)
    return best[2] if gap(best) <= 10 else None


_IN_ARM = re.compile(r"\s*(?:in|with|on|for|of|receiving|taking|given)\s+(?:the\s+)?", re.I)
_PHRASE_SEP = re.compile(r"[,;:、，；（(]|\b(?:or|to|versus|vs|and then|compared with|than)\b|または|もしくは|対", re.I)
_OPEN_BEFORE = re.compile(r"[(（\[]\s*(?:[nN]\s*[=＝]\s*)?$")


def _bracketed_combination(st: DocState, arms: list, start: int, c0: int) -> str | None:
    """'tacrolimus plus MMF (n = 150) or placebo plus MMF (n = 148)': a number in brackets
    right after a phrase naming several arms is the combination the phrase names, joined
    with " + " in text order (the arm naming of the guidelines)."""
    text = st.text
    m = _OPEN_BEFORE.search(text, max(c0, start - 8), start)
    if not m:
        return None
    phrase_end = m.start()
    seps = list(_PHRASE_SEP.finditer(text, max(c0, phrase_end - 80), phrase_end))
    phrase_start = seps[-1].end() if seps else max(c0, phrase_end - 80)
    names = list(dict.fromkeys(a[2] for a in arms if phrase_start <= a[0] and a[1] <= phrase_end))
    return " + ".join(names) if len(names) > 1 else (names[0] if names else None)


def nearest_drug(st: DocState, start: int, end: int) -> int | None:
    """Index (into the drug list) of the drug a dose at [start, end) belongs to.

    The nearest drug before it in the same clause ("MMF（2g／日）", "AZA 2 mg/kg/day"), else
    one right after it joined by "of" ("2 g/day of MMF"), else the nearest before it in the sentence.
    Drugs are taken by start, as the drug list is sorted once the drug component has run.
    """
    c0, _ = st.clause(start)
    s0, _ = st.sentence(start)
    before = None  # the last drug before, in the sentence
    for d in st.preceding("drug", start):
        if d.start < s0:
            break
        if not d.attrs.get("class") and d.end <= start:
            before = d
            break
    if before is not None and before.start >= c0:
        return st.rank("drug", before)
    of_drug = _OF_DRUG.match(st.text, end)  # every part optional: always matches
    assert of_drug
    reach = of_drug.end()  # no drug after "of the oral ..." can start later
    for d in st.following("drug", end):
        if d.start > reach:
            break
        if not d.attrs.get("class") and _OF_DRUG.fullmatch(st.text, end, d.start):
            return st.rank("drug", d)
    return None if before is None else st.rank("drug", before)
