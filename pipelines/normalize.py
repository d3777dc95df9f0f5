"""Offset-preserving text normalisation.

Every extractor works on a normalised copy of the text (NFKC: full-width digits and
letters, ％, ＝, ㎎ → mg, half-width katakana with their voicing marks; odd dashes, tildes
and spaces folded) and maps every span back to the exact text that was sent through
:class:`NormText`.  ``NormText.to_orig(start, end)`` is the only way a span leaves the
pipeline, so offsets always slice the original string.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

# Characters NFKC leaves alone but that people use interchangeably in trial reports.
_EXTRA = {
    "\u2212": "-",  # minus sign
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u30fc": "ー",  # prolonged sound mark stays (katakana), listed for clarity
    "\u301c": "~", "\u223c": "~", "\u2053": "~",  # wave dash, tilde operator, swung dash
    "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": " ",  # zero-width space: keep length 1 so offsets stay simple
    "\u2264": "≤", "\u2266": "≤", "\u2265": "≥", "\u2267": "≥",
    "\u00b7": "·",  # middle dot: decimals only between digits, decided in numbers.py
    "\u2022": "·",
    "\u3001": "、", "\u3002": "。",
    "\uff0e": ".", "\uff0c": ",",
}
_VOICING = {"\uff9e", "\uff9f"}  # half-width dakuten / handakuten


@dataclass(frozen=True)
class NormText:
    """A normalised text plus, per normalised character, its source span in ``orig``."""

    orig: str
    text: str
    src_start: tuple[int, ...]
    src_end: tuple[int, ...]

    def to_orig(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised ``[start, end)`` span to the original text."""
        if end <= start:
            raise ValueError(f"empty span {start}:{end}")
        return self.src_start[start], self.src_end[end - 1]

    def orig_slice(self, start: int, end: int) -> str:
        a, b = self.to_orig(start, end)
        return self.orig[a:b]


@lru_cache(maxsize=8192)
def _norm_char(chunk: str) -> str:
    mapped = _EXTRA.get(chunk)
    if mapped is not None:
        return mapped
    out = unicodedata.normalize("NFKC", chunk)
    # NFKC turns some characters into nothing or into several; keep a 1-char fallback
    # for control characters so that nothing disappears silently.
    if not out:
        return " "
    return "".join(_EXTRA.get(c, c) for c in out)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def normalize(text: str) -> NormText:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for run in _NON_ASCII.finditer(text):
        _copy_ascii(text, pos, run.start(), out, starts, ends)
        _normalize_run(text, run.start(), run.end(), out, starts, ends)
        pos = run.end()
    if pos == 0 and not out:
        idx = tuple(range(len(text)))
        return NormText(text, text, idx, tuple(range(1, len(text) + 1)))
    _copy_ascii(text, pos, len(text), out, starts, ends)
    return NormText(text, "".join(out), tuple(starts), tuple(ends))


def _copy_ascii(text: str, i: int, j: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    if i < j:
        out.append(text[i:j])
        starts.extend(range(i, j))
        ends.extend(range(i + 1, j + 1))


def _normalize_run(text: str, i: int, n: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    while i < n:
        j = i + 1
        # half-width katakana + voicing mark compose into one full-width character
        while j < n and text[j] in _VOICING:
            j += 1
        chunk = text[i:j]
        norm = _norm_char(chunk) if len(chunk) == 1 else unicodedata.normalize("NFKC", chunk)
        out.append(norm)
        starts.extend([i] * len(norm))
        ends.extend([j] * len(norm))
        i = j
