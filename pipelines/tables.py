"""Tables flattened into text: rows of cells separated by ideographic spaces, tabs or runs of
spaces, under a header row ("投与群　例数　改善率(%)", "Group  n  Response (%)").

Package inserts and review reports print trial results this way; the numbers in a row
carry their meaning in the column header, not in the sentence.  ``cells(text)`` finds every
cell of such rows once per document (linear in the text) with its column's header, which
the trained decisions read as features and use to name a rate's outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEP = re.compile(r"\u3000+|\t+| {2,}")
_NUMERIC = re.compile(r"^[\s\d.,·()（）/／%％±+\-−→~～]*$")


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    row: int  # line index
    col: int
    header: str  # the column's header text ("" when the table has none)


def _split(line: str, offset: int) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _SEP.finditer(line):
        if m.start() > pos:
            spans.append((offset + pos, offset + m.start()))
        pos = m.end()
    if pos < len(line):
        spans.append((offset + pos, offset + len(line)))
    return spans


def cells(text: str) -> list[Cell]:
    """The cells of rows with at least three cells, each with its column header: the cell at
    the same position of the nearest earlier row (of the same table) that is not numeric."""
    out: list[Cell] = []
    header: list[str] | None = None
    offset = 0
    for row, line in enumerate(text.split("\n")):
        spans = _split(line, offset)
        offset += len(line) + 1
        if len(spans) < 3:
            header = None  # a prose line ends the table
            continue
        values = [text[s:e] for s, e in spans]
        numeric = sum(bool(_NUMERIC.match(v)) for v in values[1:])
        if numeric == 0:  # a header row: words only after the row label
            header = values
            continue
        for col, (s, e) in enumerate(spans):
            h = ""
            if header is not None:
                # headers may lack the row-label column: align from the right
                k = col - (len(values) - len(header))
                h = header[k] if 0 <= k < len(header) else ""
            out.append(Cell(s, e, row, col, h))
    return out


def cells_of(norm) -> list[Cell]:
    """The cells of a normalised text (``NormText``), found on the text as sent (where the
    ideographic spaces that separate cells are still there) and mapped onto the normalised
    offsets."""
    import bisect

    starts = norm.src_start
    out = []
    for c in cells(norm.orig):
        s = bisect.bisect_left(starts, c.start)
        e = bisect.bisect_left(starts, c.end)
        if s < e:
            out.append(Cell(s, e, c.row, c.col, c.header))
    return out


def cell_at(table: list[Cell], pos: int) -> Cell | None:
    """The cell holding position ``pos`` (table is sorted by start)."""
    import bisect

    i = bisect.bisect_right(table, pos, key=lambda c: c.start) - 1
    if i >= 0 and table[i].start <= pos < table[i].end:
        return table[i]
    return None
