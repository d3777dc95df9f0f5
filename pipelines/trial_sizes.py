"""Trial sizes: participants of a study, an arm or an analysis set.

"370 例", "140 例の症例が登録され", "71 例が MMF", "n = 185", "141 physicians",
"Twenty-eight patients", "185 例中 104 例" (185 is a size, 104 is not), "16 of 71"
(71 is a size).  Counts of events ("3 例が死亡"), completers, baseline breakdowns
("クラスIII：12 例"), trials and centres are not sizes.  The decision reads the cue words
right after and right before the number (cues.json, trial_size).
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from .base import DocState, state
from .linking import nearest_arm
from .numbers import NUM, NUMBER_WORDS, as_int, parse_number, parse_number_words
from .resources import atoms, cue_regex, cues, trie_regex

_INT = r"\d{1,3}(?:,\d{3})+(?![\d])|\d+"
_PCT_AFTER = re.compile(rf"\s*[(\[（]\s*(?:{NUM})\s*%")
_N_EQ = re.compile(rf"(?<![A-Za-z])[nN]\s*=\s*(?P<num>{_INT})(?![\d.])")


_MID = r"(?:\s+(?!(?:of|and|or|to|in|with|were|was|who|had|the)\b)[a-z][a-z\-]*)"


@lru_cache(maxsize=1)
def _patterns():
    """(number + words before a counter, Japanese sizes, fractions, words + counter after a number)."""
    counter = trie_regex([atoms(w) for w in cues()["trial_size"]["counter"]])
    # searched backwards from a counter word: "370", "Twenty-eight", "140 eligible adult"
    before_counter = re.compile(rf"(?P<num>{_INT}|{NUMBER_WORDS})(?P<mid>{_MID}{{0,3}})\s+$", re.IGNORECASE)
    counter_re = re.compile(rf"(?<![A-Za-z])(?:{counter})(?![A-Za-z])", re.IGNORECASE)
    counter_after = re.compile(rf"{_MID}{{0,2}}\s+(?:{counter})(?![A-Za-z])", re.IGNORECASE)
    ja_counter = "|".join(sorted((re.escape(w) for w in cues()["trial_size"]["ja_counter"]), key=len, reverse=True))
    ja = re.compile(rf"(?<![\d.,])(?P<num>{_INT})\s*(?P<counter>{ja_counter})(?!目|間|年|日|回|分|以上|未満|数|程度)")
    frac = re.compile(rf"(?<![\d.,/])(?P<x>{_INT})\s*(?P<sep>of|/|out of)\s*(?P<y>{_INT})(?![\d.,]\d|\s*[/-]\s*\d)")
    return counter_re, before_counter, counter_after, ja, frac


@Language.factory("trialex_trial_sizes")
def make_trial_sizes(nlp: Language, name: str):
    return TrialSizeExtractor()


class TrialSizeExtractor:
    def __init__(self) -> None:
        _patterns()

    def __call__(self, doc: Doc) -> Doc:
        st = state(doc)
        counter_re, before_counter, _, ja, frac = _patterns()
        text = st.text
        self._n_equals(st)
        self._fractions(st, frac)
        for c in counter_re.finditer(text):
            m = before_counter.search(text, max(0, c.start() - 60), c.start())
            if m:
                self._english(st, m, c.end())
        if st.has_japanese:
            for m in ja.finditer(st.text):
                self._japanese(st, m)
        st.mentions["trial_size"].sort(key=lambda m: m.start)
        return doc

    def _add(self, st: DocState, start: int, end: int, n: int) -> None:
        if n <= 0 or not st.free(start, end, "trial_size", "dose", "p_value"):
            return
        before = st.text[max(st.sentence(start)[0], start - 30):start]
        total = cue_regex("trial_size", "total_before").search(before)
        arm = None if total else nearest_arm(st, start, end)
        scope = "arm" if arm else ("subset" if cue_regex("trial_size", "subset").search(before) else "total")
        attrs = {"n": n, "scope": scope}
        if arm:
            attrs["arm"] = arm
        st.add("trial_size", start, end, **attrs)

    def _n_equals(self, st: DocState) -> None:
        for m in _N_EQ.finditer(st.text):
            self._add(st, m.start(), m.end(), int(parse_number(m.group("num"))))

    def _fractions(self, st: DocState, frac: re.Pattern[str]) -> None:
        """'16 of 71 (22.5%)', '73/116 [62.9%]', '13 of 25 patients responded': 71, 116, 25."""
        text = st.text
        verbs = cue_regex("trial_size", "event_after")
        for m in frac.finditer(text):
            x, y = parse_number(m.group("x")), parse_number(m.group("y"))
            if not (0 <= x <= y) or y < 2:
                continue
            after = text[m.end():m.end() + 40]
            cm = _patterns()[2].match(after)
            if not (_PCT_AFTER.match(after) or cm or (m.group("sep") != "/" and verbs.match(after.lstrip()))):
                continue
            end = m.end() + cm.end() if cm else m.end("y")
            if m.group("sep") == "/" and re.match(r"\s*(?:mg|g|kg|m2|day|d|week|mmHg|dL|L)\b", after):
                continue
            self._add(st, m.start("y"), end, int(y))

    def _english(self, st: DocState, m: re.Match, end: int) -> None:
        text = st.text
        if m.start() and text[m.start() - 1] in "0123456789.,/-":
            return  # inside a larger number, a ratio or a range
        raw = m.group("num")
        n = parse_number_words(raw) if raw[0].isalpha() else as_int(parse_number(raw))
        if not n or (m.start() and text[m.start() - 1].isalpha()):
            return
        s, e = m.start(), end
        if _PCT_AFTER.match(text, e):
            return  # "12 patients (10%) had nausea": a counted subgroup
        before = text[max(0, st.sentence(s)[0], s - 25):s]
        if re.search(r"(?:\d\s*(?:of|/)|%\s*(?:of)?)\s*$", before):
            return  # "16 of 71 patients" is taken by _fractions; "45% of patients"
        if cue_regex("trial_size", "not_size_before").search(before[-12:]) and not re.search(r"\b(?:of|among|in)\s+(?:the\s+)?$", before):
            return
        verdict = _first_cue(st, e, "size_after", "event_after")
        if verdict == "event_after":
            return
        if verdict is None and not _ends_with_cue(before, "size_before"):
            sent = text[st.sentence(s)[0]:st.sentence(s)[1]]
            if not cue_regex("trial_size", "size_after").search(sent) or cue_regex("trial_size", "event_after").search(text, e, min(st.sentence(s)[1], e + 60)):
                return
        self._add(st, s, e, n)

    def _japanese(self, st: DocState, m: re.Match) -> None:
        text = st.text
        n = as_int(parse_number(m.group("num")))
        if not n:
            return
        s, e = m.start(), m.end()
        before = text[max(0, st.sentence(s)[0], s - 10):s]
        if re.search(r"(?:中|うち|[:：])\s*$", before):
            return  # numerator of "185 例中 104 例", breakdown "クラスIII：12 例"
        if cue_regex("trial_size", "ja_not_size_before", word=False).search(before[-6:]):
            return
        after = text[e:e + 4]
        if re.match(r"\s*(?:中|のうち)", after):
            self._add(st, s, e, n)
            return
        if _PCT_AFTER.match(text, e) and not re.search(r"群\s*(?:では|で|は)?\s*$", before):
            return
        if _first_cue(st, e, "ja_size_after", "ja_event_after", limit=25) == "ja_event_after":
            return
        self._add(st, s, e, n)


def _first_cue(st: DocState, pos: int, good: str, bad: str, limit: int = 45) -> str | None:
    """Which cue list has the earliest hit after ``pos`` in its sentence: ``good``, ``bad`` or None."""
    end = min(st.sentence(pos)[1], pos + limit)
    hits = []
    for name in (good, bad):
        found = st.hits("trial_size", name, pos, end)
        if found:
            hits.append((found[0][0], found[0][0] - found[0][1], name))
    return min(hits)[2] if hits else None


def _ends_with_cue(before: str, name: str) -> bool:
    tail = before.rstrip()
    return any(mm.end() == len(tail) for mm in cue_regex("trial_size", name).finditer(tail))
