"""What every extractor shares: the mention record, the per-document state
(:class:`DocState`, what every component reads and writes), sentence/clause boundaries on the
normalised text, and the time budget.

Time stays linear in the length of the text, whatever the text: a "sentence" without a
sentence end is cut every MAX_SENTENCE characters, cue lists are searched once per
sentence, mentions are indexed by position (``free``, ``starting``, ``preceding``), and any
look-around from a candidate stays inside its sentence or :meth:`DocState.window` (at most
WINDOW characters each way), never the whole text.  A :class:`Budget` stops an extraction
that runs too long anyway (components check it every few candidates).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from .language import detect
from .normalize import NormText
from .kinds import ALL_KINDS
from .resources import cue_regex

T = TypeVar("T")

# A sentence longer than this (no sentence end: a list, a table, a pasted dump) is cut
# into chunks at whitespace or punctuation.  The longest real sentence in the gold and the
# 1,915 PMC abstracts is 861 characters.
MAX_SENTENCE = 2000
# How far any look-around from one candidate reaches, each way.
WINDOW = 500


class ExtractionTimeout(Exception):
    """The extraction ran over its time budget, or its request was cancelled."""


class Budget:
    """A cooperative time budget: ``check()`` raises :class:`ExtractionTimeout` once
    ``seconds`` have passed since the budget was made, or once ``cancelled`` is set.
    Components call it between components and every few candidates; it costs a clock read."""

    __slots__ = ("seconds", "cancelled", "deadline")

    def __init__(self, seconds: float | None = None, cancelled: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.cancelled = cancelled
        self.deadline = None if seconds is None else time.monotonic() + seconds

    @property
    def unlimited(self) -> bool:
        return self.deadline is None and self.cancelled is None

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled.is_set():
            raise ExtractionTimeout("request cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ExtractionTimeout(f"extraction exceeded {self.seconds:g} s")

    def checked(self, items: Iterable[T], every: int = 16) -> Iterator[T]:
        """``items``, with a check before every ``every``-th."""
        for i, item in enumerate(items):
            if i % every == 0:
                self.check()
            yield item


NO_BUDGET = Budget()


@dataclass
class Mention:
    kind: str
    start: int  # offsets into the NORMALISED text; mapped back only on output
    end: int
    attrs: dict = field(default_factory=dict)
    seq: int = field(default=-1, compare=False, repr=False)  # order of adding, within the document


# Sentence ends: Japanese full stop, or ./!/? + space + a capital/digit/opening
# character, or a line break.  Decimal points never end a sentence (no space after).
_SENT_END = re.compile(r"。|\n+|(?<=[.!?])\s+(?=[A-Z0-9(\[\"'“]|[^\x00-\x7f])")
_CLAUSE_END = re.compile(r"[;；、，：]|[,:](?=\s)|\b(?:but|whereas|while)\b")
# where an over-long sentence is cut: after whitespace or punctuation, in its last 200 characters
_CUT = re.compile(r"[\s,;:、，；：)）\]]")


@dataclass
class _Index:
    """The mentions of one kind sorted by (start, order of adding)."""

    keys: list[tuple[int, int]] = field(default_factory=list)  # (start, seq)
    items: list[Mention] = field(default_factory=list)
    longest: int = 0


@dataclass
class DocState:
    """Per-document working state of the trialex components."""

    norm: NormText
    lang: str
    budget: Budget = NO_BUDGET
    mentions: dict[str, list[Mention]] = field(default_factory=lambda: {k: [] for k in ALL_KINDS})
    _index: dict[str, _Index] = field(default_factory=lambda: {k: _Index() for k in ALL_KINDS})
    _added: int = 0
    _sent_starts: list[int] | None = None
    _clause_starts: list[int] | None = None
    _hits: dict = field(default_factory=dict)
    _has_ja: bool | None = None

    @property
    def text(self) -> str:
        return self.norm.text

    def checked(self, items: Iterable[T], every: int = 16) -> Iterable[T]:
        """``items`` (candidates of a component), checking the budget every ``every``."""
        return items if self.budget.unlimited else self.budget.checked(items, every)

    # -- mentions ---------------------------------------------------------------------
    def add(self, kind: str, start: int, end: int, **attrs) -> Mention:
        m = Mention(kind, start, end, attrs, self._added)
        self._added += 1
        self.mentions[kind].append(m)
        idx = self._index[kind]
        key = (start, m.seq)
        if not idx.keys or idx.keys[-1] < key:
            idx.keys.append(key)
            idx.items.append(m)
        else:
            i = bisect.bisect_left(idx.keys, key)
            idx.keys.insert(i, key)
            idx.items.insert(i, m)
        idx.longest = max(idx.longest, end - start)
        return m

    def clear(self, kind: str) -> None:
        """Drop every mention of ``kind`` (a later component replacing them adds them anew)."""
        self.mentions[kind] = []
        self._index[kind] = _Index()

    def starting(self, kind: str, lo: int, hi: int) -> list[Mention]:
        """Mentions of ``kind`` that start in [lo, hi), by start (ties: in the order added)."""
        idx = self._index[kind]
        i = bisect.bisect_left(idx.keys, (lo, -1))
        j = bisect.bisect_left(idx.keys, (hi, -1), i)
        return idx.items[i:j]

    def preceding(self, kind: str, pos: int) -> Iterator[Mention]:
        """Mentions of ``kind`` that start before ``pos``, the last (by start) first."""
        idx = self._index[kind]
        i = bisect.bisect_left(idx.keys, (pos, -1))
        return (idx.items[j] for j in range(i - 1, -1, -1))

    def following(self, kind: str, pos: int) -> Iterator[Mention]:
        """Mentions of ``kind`` that start at or after ``pos``, the first (by start) first."""
        idx = self._index[kind]
        i = bisect.bisect_left(idx.keys, (pos, -1))
        return (idx.items[j] for j in range(i, len(idx.items)))

    def overlapping(self, kind: str, lo: int, hi: int) -> list[Mention]:
        """Mentions of ``kind`` that overlap [lo, hi), by start."""
        return [m for m in self.starting(kind, lo - self._index[kind].longest + 1, hi) if m.end > lo]

    def free(self, start: int, end: int, *kinds: str) -> bool:
        """True if no mention of ``kinds`` overlaps [start, end)."""
        return not any(self.overlapping(k, start, end) for k in kinds)

    def rank(self, kind: str, m: Mention) -> int:
        """Position of ``m`` among the mentions of ``kind`` by (start, order added): its index in
        ``mentions[kind]`` once that list is sorted by start, as every component leaves it."""
        idx = self._index[kind]
        i = bisect.bisect_left(idx.keys, (m.start, -1))
        while idx.items[i] is not m:
            i += 1
        return i

    # -- sentences, clauses, windows, cue hits ------------------------------------------
    def _sentences(self) -> list[int]:
        """The start of every sentence (computed once)."""
        if self._sent_starts is None:
            self._sent_starts = _sentence_starts(self.text)
        return self._sent_starts

    def sentence(self, pos: int) -> tuple[int, int]:
        """[start, end) of the sentence holding normalised position ``pos``."""
        return _bounds(self._sentences(), pos, len(self.text))

    def clause(self, pos: int) -> tuple[int, int]:
        """[start, end) of the clause (sentence cut at ; , 、 : but whereas) holding ``pos``."""
        if self._clause_starts is None:
            ends = [m.end() for m in _CLAUSE_END.finditer(self.text)]
            self._clause_starts = sorted(set(ends + self._sentences()))
        return _bounds(self._clause_starts, pos, len(self.text))

    def window(self, start: int, end: int | None = None, before: int = WINDOW, after: int = WINDOW) -> tuple[int, int]:
        """[lo, hi): at most ``before`` characters before ``start`` and ``after`` after ``end``."""
        return max(0, start - before), min(len(self.text), (start if end is None else end) + after)

    def hits(self, kind: str, name: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """Matches of a cue list (models/rules/<lang>/<kind>.json) inside [lo, hi), which lies in one sentence.

        Each sentence is searched once per cue list, and only when asked for.
        """
        starts, ends, found = self._sentence_hits(kind, name, lo)
        i = bisect.bisect_left(starts, lo)
        j = bisect.bisect_right(ends, hi, i)  # matches do not overlap: their ends are sorted too
        return found[i:j]

    def has_hit(self, kind: str, name: str, lo: int, hi: int) -> bool:
        starts, ends, _ = self._sentence_hits(kind, name, lo)
        i = bisect.bisect_left(starts, lo)
        return i < len(ends) and ends[i] <= hi

    def _sentence_hits(self, kind: str, name: str, pos: int):
        s0, s1 = self.sentence(pos)
        key = (kind, name, s0)
        found = self._hits.get(key)
        if found is None:
            hits = [(m.start(), m.end(), m.group(0)) for m in cue_regex(kind, name).finditer(self.text, s0, s1)]
            found = self._hits[key] = ([h[0] for h in hits], [h[1] for h in hits], hits)
        return found

    @property
    def has_japanese(self) -> bool:
        """Japanese script anywhere in the text (whatever pipeline was asked for)."""
        if self._has_ja is None:
            self._has_ja = detect(self.text) == "ja"
        return self._has_ja


def _sentence_starts(text: str) -> list[int]:
    """Where sentences start: after each sentence end, and every MAX_SENTENCE characters
    (moved back to whitespace or punctuation if there is some) inside longer ones."""
    ends = [m.end() for m in _SENT_END.finditer(text)]
    starts = []
    for a, b in zip([0] + ends, ends + [len(text)]):
        starts.append(a)
        while b - a > MAX_SENTENCE:
            hi = a + MAX_SENTENCE
            last = None
            for m in _CUT.finditer(text, hi - 200, hi):
                last = m
            a = last.end() if last else hi
            starts.append(a)
    return starts


def _bounds(starts: list[int], pos: int, length: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, pos) - 1
    end = starts[i + 1] if i + 1 < len(starts) else length
    return starts[i], end
