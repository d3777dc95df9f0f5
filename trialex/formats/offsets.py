"""Code points and UTF-16 code units.

Python counts code points; JavaScript (and so Label Studio's front end) counts UTF-16 code units,
in which a character outside the Basic Multilingual Plane (𠮟, 😀) counts two.  Every writer
takes ``offsets="codepoint"`` or ``"utf16"``.
"""

from __future__ import annotations

import bisect
import re

OFFSETS = ("codepoint", "utf16")

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class OffsetMap:
    """Code-point ↔ UTF-16 offsets of one text (identity when the text has no astral character)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.astral = [m.start() for m in _ASTRAL.finditer(text)]  # code-point positions
        # UTF-16 position of each astral character (its high surrogate)
        self.astral16 = [p + i for i, p in enumerate(self.astral)]

    def to_utf16(self, cp: int) -> int:
        return cp + bisect.bisect_left(self.astral, cp)

    def to_cp(self, u16: int, *, end: bool = False) -> int:
        """A UTF-16 offset back to code points; one inside a surrogate pair snaps outwards
        (down for a start, up for an end) so the span still covers the whole character."""
        k = bisect.bisect_left(self.astral16, u16)
        if k > 0 and self.astral16[k - 1] + 1 == u16:  # between the two halves of a pair
            return self.astral[k - 1] + (1 if end else 0)
        return u16 - k

    def span_to_utf16(self, start: int, end: int) -> tuple[int, int]:
        return self.to_utf16(start), self.to_utf16(end)

    def span_to_cp(self, start: int, end: int) -> tuple[int, int]:
        return self.to_cp(start), self.to_cp(end, end=True)


def utf16_to_cp(text: str, start: int, end: int) -> tuple[int, int]:
    return OffsetMap(text).span_to_cp(start, end)


def utf16_len(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text))


def js_slice(text: str, start: int, end: int) -> str:
    """``text.slice(start, end)`` as JavaScript (and Label Studio) computes it."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="replace")


def check_offsets(offsets: str) -> None:
    if offsets not in OFFSETS:
        raise ValueError(f"offsets must be one of {OFFSETS}, not {offsets!r}")
