"""Trial sizes: participants of a study, an arm or an analysis set.

"370 例", "140 例の症例が登録され", "71 例が MMF", "n = 185", "141 physicians",
"Twenty-eight patients", "185 例中 104 例" (185 is a size, 104 is not), "16 of 71"
(71 is a size).  Counts of events ("3 例が死亡"), completers, baseline breakdowns
("クラスIII：12 例"), trials and centres are not sizes.  The decision reads the cue words
right after and right before the number (models/rules/<lang>/trial_size.json).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .base import DocState
from .linking import nearest_arm
from .numbers import INT, NUM, NUMBER_WORDS, as_int, count, parse_number, parse_number_words
from .resources import alternation, atoms, cue_regex, doc_lang, rules, trie_regex

_PCT_AFTER = re.compile(rf"\s*[(\[（]\s*(?:{NUM})\s*%")
_PCT_BEFORE = re.compile(rf"(?:{NUM})\s*%\s*[(\[（]\s*$")  # "25.0% (7/28)"
_EN = rules("en", "trial_size").cues  # the words of the English grammar (the Japanese one's: _patterns)
_ASSIGN_WORDS = rf"(?:randomly\s+)?(?:{alternation(_EN['assign_verbs'])})"
_NOT_PEOPLE = rf"(?!(?:{alternation(_EN['not_people_after'])})\b)"
_BARE = re.compile(
    rf"(?<!\d)(?P<num>{INT})(?:\s+{_NOT_PEOPLE}[A-Za-z][\w‐-]*){{0,4}}?\s+(?:(?:were|was)\s+{_ASSIGN_WORDS}|{alternation(_EN['group_verbs'])})\b"
)
_AND_TO = re.compile(
    rf"(?:\s+(?:to|into|in)\s+[^\d,;.()]{{1,40}}?)?\s*(?:,|and|,\s*and)\s+(?P<num>{INT})\s+(?:to|in|into|were|was|placebo|vehicle|control|controls)\b"
)
_ASSIGN = re.compile(rf"\b{_ASSIGN_WORDS}\b|\b(?:{alternation(_EN['assign_nouns'])})\b", re.I)
_BASELINE_PAREN = re.compile(rf"\b(?:{alternation(_EN['baseline'])})\b|%", re.I)
_PAREN = re.compile(r"[(（][^()（）]{3,160}[)）]")
_ARM_ITEM = re.compile(
    rf"(?:^|[;,；，]|\band\b)\s*(?P<arm>[^\d;,；，()]{{2,60}}?)\s*(?:,|:|：|=|n\s*=)?\s*(?P<num>{INT})(?=\s*(?:[;,；，)）]|and\b|$))"
)
_N_EQ = re.compile(rf"(?<![A-Za-z])[nN]\s*=\s*(?P<num>{INT})(?![\d.])")


_MID = rf"(?:\s+(?!(?:{alternation(_EN['not_before_counter'])})\b)[a-z][a-z\-]*)"
_UNIT_AFTER = re.compile(rf"\s*(?:{alternation(_EN['units_after_fraction'])})\b")  # "73/116 mg" is no fraction


class _Patterns(NamedTuple):
    counter: re.Pattern[str]  # a counter word: "patients", "physicians"
    before_counter: re.Pattern[str]  # searched backwards from it: "370", "Twenty-eight", "140 eligible adult"
    counter_after: re.Pattern[str]  # words + counter right after a number
    ja: re.Pattern[str]  # "370 例", "618症例"
    frac: re.Pattern[str]  # "16 of 71", "73/116"


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    ja_words = rules("ja", "trial_size").cues
    counter = trie_regex([atoms(w) for w in _EN["counter"]])
    before_counter = re.compile(rf"(?P<num>{INT}|{NUMBER_WORDS})(?P<mid>{_MID}{{0,3}})\s+$", re.IGNORECASE)
    counter_re = re.compile(rf"(?<![A-Za-z])(?:{counter})(?![A-Za-z])", re.IGNORECASE)
    counter_after = re.compile(rf"{_MID}{{0,2}}\s+(?:{counter})(?![A-Za-z])", re.IGNORECASE)
    ja = re.compile(
        rf"(?<![\d.,])(?P<num>{INT})\s*(?P<counter>{alternation(ja_words['ja_counter'])})"
        rf"(?!{alternation(ja_words['not_counter_after'])})"
    )
    frac = re.compile(rf"(?<![\w.,/])(?P<x>{INT})\s*(?P<sep>of|/|out of)\s*(?P<y>{INT})(?![\d.,]\d|\s*[/-]\s*\d)")
    return _Patterns(counter_re, before_counter, counter_after, ja, frac)


class TrialSizeExtractor:
    def __init__(self) -> None:
        _patterns()

    def __call__(self, st: DocState) -> None:
        pat = _patterns()
        text = st.text
        self._n_equals(st)
        self._fractions(st, pat.frac)
        self._bare_numbers(st)
        for c in st.checked(pat.counter.finditer(text)):
            m = pat.before_counter.search(text, max(0, c.start() - 60), c.start())
            if m:
                self._english(st, m, c.end())
        self._arm_lists(st)  # after the totals they may add up to
        if st.has_japanese:
            for m in st.checked(pat.ja.finditer(text)):
                self._japanese(st, m)
        st.mentions["trial_size"].sort(key=lambda m: m.start)

    def _add(self, st: DocState, start: int, end: int, n: int | None) -> None:
        if n is None or n <= 0 or not st.free(start, end, "trial_size", "dose", "p_value"):
            return
        before = st.text[max(st.sentence(start)[0], start - 30) : start]
        total = cue_regex("trial_size", "total_before", doc_lang(st)).search(before)
        arm = None if total else nearest_arm(st, start, end)
        scope = (
            "arm" if arm else ("subset" if cue_regex("trial_size", "subset", doc_lang(st)).search(before) else "total")
        )
        attrs = {"n": n, "scope": scope}
        if arm:
            attrs["arm"] = arm
        st.add("trial_size", start, end, **attrs)

    def _n_equals(self, st: DocState) -> None:
        for m in st.checked(_N_EQ.finditer(st.text)):
            self._add(st, m.start(), m.end(), count(m.group("num")))

    def _fractions(self, st: DocState, frac: re.Pattern[str]) -> None:
        """'16 of 71 (22.5%)', '73/116 [62.9%]', '13 of 25 patients responded': 71, 116, 25."""
        text = st.text
        verbs = cue_regex("trial_size", "event_after", "en")
        for m in st.checked(frac.finditer(text)):
            x, y = count(m.group("x")), count(m.group("y"))
            if x is None or y is None or not (0 <= x <= y) or y < 2:
                continue
            after = text[m.end() : m.end() + 40]
            cm = _patterns().counter_after.match(after)
            pct_before = _PCT_BEFORE.search(text, max(0, m.start() - 20), m.start()) or _in_rate_paren(text, m.start())
            if not (
                _PCT_AFTER.match(after) or cm or pct_before or (m.group("sep") != "/" and verbs.match(after.lstrip()))
            ):
                continue
            end = m.end() + cm.end() if cm else m.end("y")
            if m.group("sep") == "/" and _UNIT_AFTER.match(after):
                continue
            self._add(st, m.start("y"), end, y)

    def _english(self, st: DocState, m: re.Match, end: int) -> None:
        text = st.text
        if m.start() and text[m.start() - 1] in "0123456789.,/-":
            return  # inside a larger number, a ratio or a range
        raw = m.group("num")
        n = parse_number_words(raw) if raw[0].isalpha() else as_int(parse_number(raw))
        if not n or (m.start() and text[m.start() - 1].isalpha()):
            return
        s, e = m.start(), end
        pct = _PCT_AFTER.match(text, e)
        if pct:
            # "12 patients (10%) had nausea" counts a subgroup; "141 physicians (45.2%)
            # completed the survey" is the responding sample
            close = text.find(")", pct.end(), st.window(pct.end())[1])
            if close < 0 or _first_cue(st, close + 1, "size_after", "event_after") != "size_after":
                return
        c0 = st.clause(s)[0]
        s0 = st.sentence(s)[0]
        before = text[max(0, s0, s - 25) : s]
        opening = text.rfind("(", max(s0, st.window(s)[0]), s)
        if opening >= 0 and text.find(")", opening, s) < 0 and _BASELINE_PAREN.search(text, opening, s):
            return  # "(median age 61 years; 17 women)": a baseline breakdown
        if re.search(r"(?:\d\s*(?:of|/)|%\s*(?:of)?)\s*$", before):
            return  # "16 of 71 patients" is taken by _fractions; "45% of patients"
        near = text[max(c0, s - 25) : s]
        if cue_regex("trial_size", "not_size_before", "en").search(near) and not re.search(
            r"\b(?:of|among)\s+(?:the\s+)?$", near
        ):
            return
        verdict = _first_cue(st, e, "size_after", "event_after")
        if verdict == "event_after":
            return
        if verdict is None and not _ends_with_cue(before, "size_before"):
            s0, s1 = st.sentence(s)
            if st.hits("trial_size", "event_after", e, min(s1, e + 60)):
                return  # no cue either way: a count of people is a size unless an event follows
        self._add(st, s, e, n)

    def _bare_numbers(self, st: DocState) -> None:
        """'185 were assigned to MMF and 185 to IVC', '641 were included in the analysis'."""
        text = st.text
        for m in st.checked(_BARE.finditer(text)):
            if m.start() and (text[m.start() - 1] in "0123456789.,/-%" or text[m.start() - 1].isalpha()):
                continue
            if cue_regex("trial_size", "not_size_before", "en").search(
                text, max(st.clause(m.start())[0], m.start() - 25), m.start()
            ):
                continue  # "a MADRS score of at least 26 were randomized"
            cm = _patterns().counter_after.match(text, m.end("num"))  # "323 patients were randomized"
            self._add(st, m.start("num"), cm.end() if cm else m.end("num"), count(m.group("num")))
            pos = m.end()
            # "... assigned to MMF and 185 to IVC": later members of the list
            while (more := _AND_TO.match(text, pos)) is not None:
                st.budget.check()
                self._add(st, more.start("num"), more.end("num"), count(more.group("num")))
                pos = more.end()

    def _arm_lists(self, st: DocState) -> None:
        """'randomized (vonoprazan 324, lansoprazole 326)', 'included (tacrolimus, 405; ...)'."""
        text = st.text
        for m in st.checked(_PAREN.finditer(text)):
            s0, _ = st.sentence(m.start())
            inner = m.start() + 1
            parts = list(_ARM_ITEM.finditer(text[inner : m.end() - 1]))
            # "94 patients (DZ, 48; D, 46)": arm counts that add up to the size just before
            ending = [t for t in st.overlapping("trial_size", m.start() - 3, m.start()) if 0 <= m.start() - t.end <= 2]
            total = min(ending, key=lambda t: t.seq).attrs["n"] if ending else None  # the first added
            sizes = [count(p.group("num")) for p in parts]
            if total and len(parts) > 1 and None not in sizes and sum(n or 0 for n in sizes) == total:
                for part, n in zip(parts, sizes):
                    self._add(st, inner + part.start("num"), inner + part.end("num"), n)
                continue
            if not _ASSIGN.search(text, max(s0, m.start() - 60), m.start()):
                continue
            for part in parts:
                a0, a1 = inner + part.start("arm"), inner + part.end("arm")
                if part.group("arm").strip() and (
                    not st.free(a0, a1, "drug")
                    or cue_regex("trial_size", "arm_groups", doc_lang(st)).search(part.group("arm"))
                ):
                    self._add(st, inner + part.start("num"), inner + part.end("num"), count(part.group("num")))

    def _japanese(self, st: DocState, m: re.Match) -> None:
        """Japanese counts are sizes only with a cue: 'N 例を対象', 'N 例中', '群 N 例',
        '患者 N 例', 'N 例が MMF'; event counts ('投与中止は 9 例であった') are the default."""
        text = st.text
        n = as_int(parse_number(m.group("num")))
        if not n:
            return
        s, e = m.start(), m.end()
        before = text[max(0, st.sentence(s)[0], s - 12) : s]
        if re.search(r"(?:中|うち|[:：])\s*$", before):
            return  # numerator of "185 例中 104 例", breakdown "クラスIII：12 例"
        if re.match(r"\s*(?:中|のうち)", text[e : e + 4]):
            self._add(st, s, e, n)  # the denominator of "185 例中 104 例"
            return
        # "RTX 群 7 例、IVCY 群 11 例に認めた": the event verb closes the whole list
        if _first_cue(st, e, "ja_size_after", "ja_event_after", limit=25, sentence=True) == "ja_event_after":
            return
        strong_after = _JA_SIZE_AFTER().match(text[e : e + 16]) or self._arm_follows(st, e)
        if not strong_after and cue_regex("trial_size", "ja_not_size_before", "ja", word=False).search(before[-6:]):
            return  # "男性 50 例", "各群 1 例" (but "閉経後女性 436 例を" is a size)
        if strong_after or _JA_SIZE_BEFORE().search(before):
            self._add(st, s, e, n)

    @staticmethod
    def _arm_follows(st: DocState, pos: int) -> bool:
        """'71 例が MMF', '52 例が IV シクロフォスファミド': a drug or group right after が."""
        m = _GA.match(st.text, pos)  # "が", "に、"
        return m is not None and (
            not st.free(m.end(), m.end() + 1, "drug")
            or bool(cue_regex("trial_size", "arm_groups", doc_lang(st)).match(st.text, m.end()))
        )


@lru_cache(maxsize=1)
def _JA_SIZE_AFTER() -> re.Pattern[str]:
    return re.compile(rf"\s*(?:{alternation(rules('ja', 'trial_size').cues['ja_size_after_exact'])})")


@lru_cache(maxsize=1)
def _JA_SIZE_BEFORE() -> re.Pattern[str]:
    return re.compile(rf"(?:{alternation(rules('ja', 'trial_size').cues['ja_size_before_exact'])})\s*$")


_GA = re.compile(r"\s*(?:が|に\s*[、,]?)\s*(?:IV|iv|静注|経口)?\s*")


def _in_rate_paren(text: str, pos: int) -> bool:
    """'28.9% (95% CI, 15.6–42.1, 13 of 45)': a pair inside the brackets after a percentage."""
    opening = text.rfind("(", max(0, pos - 60), pos)
    return opening > text.rfind(")", max(0, pos - 60), pos) and bool(
        re.search(r"%\s*$", text[max(0, opening - 3) : opening])
    )


def _first_cue(st: DocState, pos: int, good: str, bad: str, limit: int = 45, sentence: bool = False) -> str | None:
    """Which cue list has the earliest hit after ``pos`` in its clause (or sentence):
    ``good``, ``bad`` or None."""
    end = min((st.sentence(pos) if sentence else st.clause(pos))[1], pos + limit)
    hits = []
    for name in (good, bad):
        found = st.hits("trial_size", name, pos, end)
        if found:
            hits.append((found[0][0], found[0][0] - found[0][1], name))
    return min(hits)[2] if hits else None


def _ends_with_cue(before: str, name: str) -> bool:
    tail = before.rstrip()
    return any(mm.end() == len(tail) for mm in cue_regex("trial_size", name, "en").finditer(tail))
