"""Effect estimates with their confidence interval (the spec's sixth kind).

"HR 0.72 (95% CI 0.58–0.89)", "OR, 1.45; 95% CI, 1.02 to 2.06", "RR 0.8 [0.6, 1.1]",
"ハザード比 0.72（95%信頼区間：0.58～0.89）", "オッズ比 1.45（95％CI 1.02-2.06）",
"mean difference −2.3 (95% CI −4.1 to −0.5)".

Runs on the normalised text (full-width forms, dashes and middle dots already folded), one
regular expression, linear in the text.  The measure words of each language are data:
models/rules/<lang>/effects.json.  The span runs from the measure's name to the end of the
interval (or of the estimate when no interval follows); ``p_value`` is the index of a p value
written right after the interval inside the same bracket or clause.
"""

from __future__ import annotations

import re
from functools import cache

from .base import DocState
from .resources import alternation, doc_lang, languages, rule_langs, rules

# a signed decimal, maybe money: "-2.3", "0·72", ".85", "£4,489", never a part of a longer number
_NUM = r"[-+]?[£€$¥]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:[.·]\d+)?(?<=\d)(?![\d]|[.·]\d)"
# the estimate's unit, when written: "%", "percentage points", "ポイント", "mmHg", "kg", "mL", "分"
_UNIT = (r"(?:\s*(?:%|percentage\s+points?|points?|ポイント|(?i:beats\s+per\s+minute|minutes|days|hours|units)"
         r"|(?!(?:to|or|and|vs|versus|CI|Cl|p|P|in|for|with|at|was|were)\b)[A-Za-zμ]{1,5}(?:/[A-Za-z0-9]{1,5}){0,2}"
         r"|分|秒|時間|日|週|歩|段/分|回/分)(?![A-Za-z]))?")
_PCT = _UNIT
_RANGE_SEP = r"\s*(?:-|to|~|～|,|、|from)\s*"
# "95% CI", "95%CI", "95% confidence interval", "95％信頼区間", "CI 95%", "CI", "信頼区間"
_CI_LABEL = (
    r"(?i:(?P<lvl>\d{2}(?:\.\d)?)\s*%\s*(?:CI|C\.I\.|confidence\s+intervals?|Cl|信頼区間)"
    r"|(?:CI|confidence\s+intervals?|信頼区間)(?:\s*(?P<lvl2>\d{2}(?:\.\d)?)\s*%)?)"
    r"(?:\s*[(\[]CI[)\]])?"
)


@cache
def _pattern(lang: str | None) -> tuple[re.Pattern[str], dict[str, str]]:
    """The pattern for documents of ``lang`` (of any language when None) and its measure names."""
    names: dict[str, str] = {}
    for lg in rule_langs(lang) if lang else languages():
        for measure, words in rules(lg, "effects").measures.items():
            for w in words:
                names[w] = measure
    # abbreviations ("OR", "aHR") are case-sensitive, or "200 or 300 mg" would be an odds ratio
    abbrevs = [w for w in names if w != w.lower()]
    words = [w for w in names if w == w.lower()]
    return re.compile(
        rf"(?<![A-Za-z])(?P<name>{alternation(abbrevs)}|(?i:{alternation(words)}))(?![A-Za-z])"
        # an optional abbreviation after the written-out name: "hazard ratio (HR)"
        r"(?:\s*[(\[](?:a|adjusted\s+)?[A-Z]{2,4}[)\]])?"
        # what may stand between the name and the estimate
        r"(?:\s*(?:,|:|=|;|(?i:was|were|of|is)|は|が|で|\s)\s*){0,3}"
        rf"(?P<value>{_NUM}){_PCT}"
        # the interval: bracketed or after a comma/semicolon, label optional inside brackets
        r"(?:\s*(?:(?P<open>[(\[])\s*|[,;、，]\s*|\s(?=\s*(?:\d{2}\s*%\s*)?(?:CI|C\.I\.)))"
        rf"(?:{_CI_LABEL}\s*(?:[,:=]\s*)?)?"
        rf"(?P<low>{_NUM}){_PCT}{_RANGE_SEP}(?P<high>{_NUM}){_PCT}"
        r"(?:\s*(?P<close>[)\]]))?)?",
    ), names


def find_effects(text: str, lang: str | None = None) -> list[dict]:
    """Effect estimates in normalised ``text`` of language ``lang`` (any when None): dicts with
    start, end and the values."""
    pattern, names = _pattern(lang)
    lookup = {(k if k != k.lower() else k.lower()): v for k, v in names.items()}
    out = []
    for m in pattern.finditer(text):
        name = re.sub(r"\s+", " ", m.group("name"))
        measure = lookup.get(name) or lookup.get(name.lower())
        if measure is None:
            continue
        if _PER_UNIT.search(text, max(0, m.start() - 12), m.start()):
            continue  # "1 SD あたりのハザード比", "per 10 mg/dL": a covariate, not a comparison of arms
        value = _float(m.group("value"))
        if measure == "MD" and re.match(
            r"\s*(?:ポイント|percentage\s+points?)", text[m.end("value") : m.end("value") + 20]
        ):
            measure = "RD"  # a difference of shares in percentage points
        item = {"start": m.start("name"), "measure": measure, "value": value}
        end = m.end("value")
        if m.group("low") is not None:
            low, high = _float(m.group("low")), _float(m.group("high"))
            labelled = m.group("lvl") or m.group("lvl2") or re.search(r"CI|confidence|信頼区間", m.group(0), re.I)
            # a bare pair without a label counts only inside brackets ("RR 0.8 [0.6, 1.1]")
            if (labelled or m.group("open")) and low <= high:
                item.update(ci_low=low, ci_high=high, ci_level=float(m.group("lvl") or m.group("lvl2") or 95))
                end = m.end("close") if m.group("close") and m.group("open") else m.end("high")
        if item["measure"] in ("HR", "OR", "RR", "IRR") and value <= 0:
            continue  # a ratio is positive: "OR, -0.2" is something else
        item["end"] = end
        out.append(item)
    return out


_PER_UNIT = re.compile(r"あたり(?:の)?\s*$|\bper\s+(?:\d+[\w-]*|SD|unit|one)[\w\s/-]{0,10}$", re.I)


def _float(s: str) -> float:
    return float(re.sub(r"[£€$¥,]", "", s).replace("·", "."))


def tie_p_values(effects: list[dict], p_values: list[dict], text: str, reach: int = 40) -> None:
    """Set ``p_value`` (an index) where a p value follows the effect closely in the same
    clause ("HR 0.72 (95% CI 0.58-0.89; P = 0.002)", "OR 1.45, 95% CI 1.02-2.06, p=0.04")."""
    import bisect

    starts = [p["start"] for p in p_values]  # sorted, as every mention list of a result
    for e in effects:
        i = bisect.bisect_left(starts, e["end"])
        if (
            i < len(p_values)
            and p_values[i]["start"] - e["end"] <= reach
            and not re.search(r"[.。]\s|vs|versus|HR|OR|RR|比", text[e["end"] : p_values[i]["start"]])
        ):
            e["p_value"] = i


class EffectExtractor:
    def __call__(self, st: DocState) -> None:
        for e in st.checked(find_effects(st.text, doc_lang(st))):
            if st.free(e["start"], e["end"], "effect"):
                st.add("effect", e["start"], e["end"], **{k: v for k, v in e.items() if k not in ("start", "end")})
