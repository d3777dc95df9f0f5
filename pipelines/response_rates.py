"""Response rates: the share of a group that reached a response outcome.

"56.2%" in "185 例中 104 例（56.2%）", "16 例（22.5%）が完全寛解", "complete remission 76%",
"16 of 71 patients (22.5%)", and the bare pair "13 of 25 patients responded" (percent
computed).  Adverse-event, infection, relapse, death/survival rates, survey shares,
differences, CI bounds, "95%" of "95% CI" and baseline shares are not response rates.
A percentage is a response rate when the nearest cue in its clause (else its sentence) is
an outcome cue and no veto cue stands in the clause (models/rules/<lang>/response_rate.json).
"""

from __future__ import annotations

import bisect
import math
import re
from functools import lru_cache

from .base import DocState
from .linking import nearest_arm
from .numbers import INT, NUM, count, parse_number
from .resources import atoms, cue_regex, cues, trie_regex

_PCT = re.compile(rf"(?<!\d)(?P<num>{NUM})\s*(?:%|percent\b|per\s+cent\b|パーセント)")
# "16 of 71 patients (" / "73/116 [" / "185 例中 104 例（" / "104 例（" right before the percentage
_PAIR_BEFORE = re.compile(
    rf"(?:(?P<x>{INT})\s*(?:of|/|out of)\s*(?P<y>{INT})(?:\s*(?:例|症例|名|人))?(?:\s+[A-Za-z\-]+){{0,3}}"
    rf"|(?P<y2>{INT})\s*(?:例|症例|名|人)\s*中\s*(?P<x2>{INT})\s*(?:例|症例|名|人)?"
    rf"|(?P<x3>{INT})\s*(?:例|症例|名|人|patients|participants|subjects))"
    rf"\s*[(\[（]\s*$"
)
_PAIR_EN = re.compile(rf"(?<!\d)(?P<x>{INT})\s*(?:of|out of)\s*(?P<y>{INT})(?![\d.,]\d)")
_PAIR_JA = re.compile(rf"(?<!\d)(?P<y>{INT})\s*(?:例|症例|名|人)\s*中\s*(?P<x>{INT})\s*(?:例|症例|名|人)")
# "13 of 25 patients (52%)", "142 例中 56 例が治療反応を得た（39.4%）" (not "(95% CI ...)")
_PCT_FOLLOWS = re.compile(
    rf"(?:\s*(?:[A-Za-z\-]+\s+){{0,3}}?|[^。.()（）%]{{0,20}}?)[(\[（]\s*{NUM}\s*%(?!\s*(?:CI|C\.I|confiden|credib))"
)
_LIST_JOIN = re.compile(r"(?:\band\b|\bvs\b|\bversus\b|\bor\b|,|;|compared with|と|、|対)", re.I)
_SHARE_OF = re.compile(
    r"\s+of\s+(?:the\s+|all\s+)?(?:[a-z\-]+\s+){0,2}?(?:patients|participants|subjects|children|women|men|people|individuals|eyes|cases)\b",
    re.I,
)


@lru_cache(maxsize=1)
def _vetoes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Not a share of a group (models/rules/<lang>/response_rate.json): what stands right before the number
    (thresholds "HbA1c < 7%", "at 60% intensity", averages "a mean of 72 percent", a change
    "increased (P < 0.05) by 18%", criteria "20%/50%/70%") or right after it (CI bounds,
    "percentage points", "% predicted", "the 5% responders", strengths "0.2% gel")."""
    table = cues()["response_rate"]
    words = rf"(?<![A-Za-z])(?:{trie_regex([atoms(w) for w in table['before_veto']])})"
    change = (
        rf"\b(?:{trie_regex([atoms(w) for w in table['change_verbs']])})"
        r"(?:\s*\([^()]{0,30}\))?(?:\s+[\w-]+){0,3}?\s+by"
    )
    before = re.compile(rf"(?:{words}|%\s*/|{change})\s*$", re.I)
    after = re.compile(rf"\s*(?:/\s*\d|(?:{trie_regex([atoms(w) for w in table['after_veto']])})(?![A-Za-z]))", re.I)
    return before, after


class ResponseRateExtractor:
    def __call__(self, st: DocState) -> None:
        text = st.text
        for m in st.checked(_PCT.finditer(text)):
            if m.start() and text[m.start() - 1] in "0123456789.,":
                continue
            value = parse_number(m.group("num"))
            if not (0 <= value <= 100) or not st.free(m.start(), m.end(), "p_value", "dose"):
                continue
            before_veto, after_veto = _vetoes()
            if after_veto.match(text, m.end()):
                continue
            if before_veto.search(text[max(0, m.start() - 45) : m.start()]) and not _SHARE_OF.match(text, m.end()):
                continue
            if _in_ci(st, m.start()) or _next_to_drug(st, m.start(), m.end()):
                continue
            outcome = _outcome(st, m.start(), m.end())
            if outcome is None:
                continue
            attrs = {"percent": value, "outcome": outcome}
            pb = _PAIR_BEFORE.search(text, max(0, m.start() - 60), m.start())
            if pb:
                x = pb.group("x") or pb.group("x2") or pb.group("x3")
                y = pb.group("y") or pb.group("y2")
                if count(x) is not None:
                    attrs["numerator"] = count(x)
                if y and count(y) is not None:
                    attrs["denominator"] = count(y)
            arm = nearest_arm(st, m.start(), m.end())
            if arm:
                attrs["arm"] = arm
            st.add("response_rate", m.start(), m.end(), **attrs)
        self._continue_lists(st)
        self._bare_pairs(st)
        st.mentions["response_rate"].sort(key=lambda r: r.start)

    def _continue_lists(self, st: DocState) -> None:
        """'achieved by 74.5% and 41.8%', '92·6% versus 75·8%': the later members of a list
        share the outcome of an accepted rate before them."""
        text = st.text
        accepted = st.mentions["response_rate"]
        if not accepted:
            return
        for m in st.checked(_PCT.finditer(text)):
            last = _last_ending_by(st, m.start())
            if last is None or not st.free(m.start(), m.end(), "response_rate", "p_value", "dose"):
                continue
            if m.start() - last.end > 45:
                continue
            between = text[last.end : m.start()]
            if not _LIST_JOIN.search(between) or "%" in between:
                continue
            if st.sentence(last.start) != st.sentence(m.start()) or st.hits(
                "response_rate", "exclude", last.end, m.start()
            ):
                continue
            if _vetoes()[1].match(text, m.end()) or _in_ci(st, m.start()):
                continue
            percent = parse_number(m.group("num"))
            if not math.isfinite(percent):
                continue
            attrs = {"percent": percent, "outcome": last.attrs.get("outcome")}
            arm = nearest_arm(st, m.start(), m.end())
            if arm:
                attrs["arm"] = arm
            new = st.add("response_rate", m.start(), m.end(), **attrs)  # appended to ``accepted``
            accepted.pop()
            bisect.insort_right(accepted, new, key=lambda r: r.start)  # where sorting by start puts it

    def _bare_pairs(self, st: DocState) -> None:
        """'13 of 25 patients responded' with no percentage written: the pair is the span."""
        text = st.text
        pairs = list(_PAIR_EN.finditer(text))
        if st.has_japanese:
            pairs += list(_PAIR_JA.finditer(text))
        for m in st.checked(pairs):
            if m.start() and text[m.start() - 1] in "0123456789.,/":
                continue
            x, y = count(m.group("x")), count(m.group("y"))
            if x is None or y is None or not (0 <= x <= y) or y == 0:
                continue
            if _PCT_FOLLOWS.match(text[m.end() : m.end() + 40]):
                continue  # a percentage follows: it carries the rate
            c0, c1 = st.clause(m.start())
            verbs = cue_regex("response_rate", "pair_verbs")
            tail = text[m.end() : min(c1, m.end() + 50)]
            if not (verbs.search(tail) or (m.re is _PAIR_JA and _outcome(st, m.start(), m.end()))):
                continue
            if not st.free(m.start(), m.end(), "response_rate", "p_value", "dose"):
                continue
            verb = verbs.search(tail)
            outcome = _outcome(st, m.start(), m.end()) or (verb.group(0) if verb else None)
            attrs = {"percent": round(100.0 * x / y, 1), "numerator": x, "denominator": y, "outcome": outcome}
            arm = nearest_arm(st, m.start(), m.end())
            if arm:
                attrs["arm"] = arm
            st.add("response_rate", m.start(), m.end(), **attrs)


def _last_ending_by(st: DocState, pos: int):
    """The last response rate (by start) that ends at or before ``pos``."""
    return next((r for r in st.preceding("response_rate", pos) if r.end <= pos), None)


def _next_to_drug(st: DocState, start: int, end: int) -> bool:
    """A strength: "0.2% chlorhexidine", "Salicylic Acid 10%"."""
    text = st.text
    return any(
        (0 <= start - d.end <= 1 and not text[d.end : start].strip())
        or (0 <= d.start - end <= 1 and not text[end : d.start].strip())
        for d in st.overlapping("drug", start - 2, end + 2)
    )


def _in_ci(st: DocState, pos: int) -> bool:
    """Inside a confidence interval: '(95% CI, 40%-60%)', '[CI 1.2 to 3.4%]' (brackets opened
    within the window before ``pos``)."""
    text = st.text
    lo, hi = st.window(pos)
    opening = max(text.rfind("(", lo, pos), text.rfind("[", lo, pos), text.rfind("（", lo, pos))
    closing = max(text.rfind(")", lo, pos), text.rfind("]", lo, pos), text.rfind("）", lo, pos))
    if opening > closing:
        close = text.find(")", pos, hi)
        if _CI.search(text, opening, pos) or _BOUNDS.match(text, opening + 1, close if close >= 0 else pos):
            return True
    return bool(_CI_BEFORE.search(text, max(0, pos - 30), pos))


_BOUNDS = re.compile(r"\s*[\d.]+\s*%?\s*(?:-|–|to|~|,)\s*[\d.]+\s*%?\s*$")  # "(66.0-83.4%)"
_CI = re.compile(r"\bC[IL]\b|confiden|credib|信頼区間", re.I)
_CI_BEFORE = re.compile(
    r"(?:\bC[IL]\b|confiden\w*\s+(?:interval|limit)s?|信頼区間)[\s,:=]*(?:of\s+)?[\d.%\s\-–to~]*$", re.I
)


def _outcome(st: DocState, start: int, end: int) -> str | None:
    """The outcome words a percentage at [start, end) reports, or None if it is not a response."""
    c0, c1 = st.clause(start)
    s0, s1 = st.sentence(start)
    if st.has_hit("response_rate", "veto", s0, s1):
        return None
    text = st.text
    if st.has_hit("response_rate", "clause_veto", c0, start):
        return None  # "difference in proportion of responders: 43.17%"
    for lo, hi in ((c0, c1), (s0, s1)):
        bad_hits = st.hits("response_rate", "exclude", lo, hi)
        bad_ends = [b[1] for b in bad_hits]
        # "25% of responders" names the population; "拒絶反応", "注射部位反応" are not responses
        good = [
            h
            for h in st.hits("response_rate", "outcome", lo, hi)
            if not _POPULATION.fullmatch(text, end, h[0]) and not _excluded(text, h, bad_hits, bad_ends)
        ]
        g = _nearest(good, start, end)
        b = _nearest(bad_hits, start, end)
        if g is None and b is None:
            continue
        if g is None or (b is not None and b[0] <= g[0]):
            return None
        return g[1]
    return None


def _excluded(text: str, h: tuple[int, int, str], bad_hits: list, bad_ends: list[int]) -> bool:
    """An outcome hit inside an exclusion ("拒絶反応") or headed by one before it ("relapse
    after remission", "death following response").  Exclusions do not overlap, so only those
    ending from 12 characters before the hit need a look."""
    for i in range(bisect.bisect_left(bad_ends, h[0] - 12), len(bad_hits)):
        b = bad_hits[i]
        if b[0] > h[0]:
            break
        if h[1] <= b[1] or (0 <= h[0] - b[1] <= 12 and _AFTER_WORD.fullmatch(text, b[1], h[0])):
            return True
    return False


_AFTER_WORD = re.compile(r"\s+(?:after|following|post|among|in|of)\s+(?:the\s+)?(?:initial\s+)?", re.I)
_POPULATION = re.compile(r"\s*(?:\)\s*)?of\s+(?:the\s+|all\s+)?(?:[A-Za-z\-]+\s+){0,2}")


def _nearest(hits: list[tuple[int, int, str]], start: int, end: int):
    """(distance, matched words) of the hit nearest to [start, end); hits before count closer."""
    best = None
    for hs, he, words in hits:
        dist: float
        if he <= start:
            dist = start - he
        elif hs >= end:
            dist = (hs - end) * 1.5 + 1
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, words)
    return best
