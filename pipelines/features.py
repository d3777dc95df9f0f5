"""Context features of a candidate span, for the trained decisions (decisions.py).

RobotReviewer's sample-size bot gives a network the words around every integer and a few
flags; the same idea here, in both languages, on the normalised text: the words on either
side (by position and as a bag), the words after the next sentence boundary and before the
previous one, the section (Methods/Results, 【方法】【結果】), the cue lists of
models/rules (presence around the candidate), the shape of the number, and what the rule
extractors decided.  Everything is a string feature with weight 1 (or a small number),
hashed by nothing: the feature names stay readable in the model files.
"""

from __future__ import annotations

import bisect
import math
import re
from functools import cache

from .base import DocState
from .resources import cue_regex
from .tables import cell_at, cells_of

# a token: a Latin word, a number, a run of one Japanese script, or one other character
_TOKEN = re.compile(r"[A-Za-z][A-Za-z\-']*|\d+(?:[.,·]\d+)*|[ぁ-ゖ]+|[ァ-ヺー]+|[一-鿿々]+|[^\s\w]")
_SECTION = re.compile(
    r"(?:^|\n|\.\s+|。)\s*(?:【\s*(?P<ja>[^】]{1,8})\s*】|(?P<en>background|objectives?|aims?|purpose|introduction|"
    r"methods?|materials and methods|design|setting|participants|interventions?|measurements|results?|"
    r"findings|conclusions?|interpretation|discussion|trial registration)\s*[:：.\n])",
    re.IGNORECASE,
)
_SECTIONS = {
    "background": "background",
    "objective": "background",
    "objectives": "background",
    "aim": "background",
    "aims": "background",
    "purpose": "background",
    "introduction": "background",
    "method": "methods",
    "methods": "methods",
    "materials and methods": "methods",
    "design": "methods",
    "setting": "methods",
    "participants": "methods",
    "intervention": "methods",
    "interventions": "methods",
    "measurements": "methods",
    "result": "results",
    "results": "results",
    "findings": "results",
    "conclusion": "conclusions",
    "conclusions": "conclusions",
    "interpretation": "conclusions",
    "discussion": "conclusions",
    "trial registration": "other",
    "目的": "background",
    "背景": "background",
    "方法": "methods",
    "対象": "methods",
    "対象と方法": "methods",
    "結果": "results",
    "成績": "results",
    "結論": "conclusions",
    "考察": "conclusions",
}
# the cue lists read as features, per kind (names in models/rules/<lang>/<kind>.json)
CUE_LISTS = {
    "trial_size": (
        "counter",
        "size_after",
        "size_before",
        "event_after",
        "not_size_before",
        "subset",
        "total_before",
        "arm_groups",
        "ja_counter",
        "ja_size_after",
        "ja_size_before",
        "ja_event_after",
        "ja_not_size_before",
    ),
    "response_rate": (
        "outcome",
        "exclude",
        "pair_verbs",
        "veto",
        "clause_veto",
        "before_veto",
        "change_verbs",
        "after_veto",
    ),
}


def tokens(text: str, lo: int, hi: int) -> list[str]:
    return [_shape(t) for t in _TOKEN.findall(text, lo, hi)]


def _shape(tok: str) -> str:
    if tok[0].isdigit():
        return "<num>" if len(tok) < 3 or "." in tok or "·" in tok else "<bignum>"
    return tok.lower()


@cache
def _cue(kind: str, name: str) -> re.Pattern[str] | None:
    try:
        return cue_regex(kind, name, word=name.startswith("ja_") is False)
    except KeyError:
        return None


class Context:
    """Per-document memo of the things every candidate asks for: sections and cue hits."""

    def __init__(self, st: DocState) -> None:
        self.st = st
        self.text = st.text
        # the text tokenised once: windows are slices of it (``tokens``)
        # (with the budget checked every few thousand tokens: a long text can take seconds)
        found = list(st.checked(_TOKEN.finditer(self.text), every=4096))
        self._tok_starts = [m.start() for m in found]
        self._tok_ends = [m.end() for m in found]
        self._tok_shapes = [_shape(m.group()) for m in st.checked(found, every=4096)]
        self._sections = [
            (m.start(), _SECTIONS.get((m.group("ja") or m.group("en") or "").lower().strip(), "other"))
            for m in _SECTION.finditer(self.text)
        ]
        self._cue_hits: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self._cue_starts: dict[tuple[str, str], list[int]] = {}
        self._section_starts = [start for start, _ in self._sections]
        self.table = cells_of(st.norm)

    def section(self, pos: int) -> str:
        i = bisect.bisect_right(self._section_starts, pos) - 1
        return self._sections[i][1] if i >= 0 else "none"

    def tokens(self, lo: int, hi: int) -> list[str]:
        """``tokens(self.text, lo, hi)`` from the document's tokenisation.  A token cut by
        the window's edge is tokenised again within the window; the tokens after it are the
        document's own (a piece of a token always ends where the token ends)."""
        if lo >= hi:
            return []
        starts, ends, text = self._tok_starts, self._tok_ends, self.text
        i = bisect.bisect_right(ends, lo)  # the first token ending after lo
        head: list[str] = []
        if i < len(starts) and starts[i] < lo:  # cut by lo
            if ends[i] >= hi:
                return tokens(text, lo, hi)
            head = tokens(text, lo, ends[i])
            i += 1
        j = bisect.bisect_right(ends, hi, i)  # tokens i..j-1 lie inside the window
        tail = tokens(text, starts[j], hi) if j < len(starts) and starts[j] < hi else []
        return head + self._tok_shapes[i:j] + tail

    def cue_hits(self, kind: str, name: str) -> list[tuple[int, int]]:
        key = (kind, name)
        if key not in self._cue_hits:
            pat = _cue(kind, name)
            self._cue_hits[key] = [] if pat is None else [(m.start(), m.end()) for m in pat.finditer(self.text)]
        return self._cue_hits[key]

    def cue_starts(self, kind: str, name: str) -> list[int]:
        """Where the hits of ``cue_hits`` start (sorted)."""
        key = (kind, name)
        if key not in self._cue_starts:
            self._cue_starts[key] = [s for s, _ in self.cue_hits(kind, name)]
        return self._cue_starts[key]


def _near(starts: list[int], lo: int, hi: int) -> bool:
    """A hit starts in [lo, hi)."""
    i = bisect.bisect_left(starts, lo)
    return i < len(starts) and starts[i] < hi


def candidate_features(
    ctx: Context, kind: str, start: int, end: int, extra: dict[str, float] | None = None
) -> dict[str, float]:
    """The features of the candidate [start, end) of ``kind``."""
    text, st = ctx.text, ctx.st
    s0, s1 = st.sentence(start)
    c0, c1 = st.clause(start)
    f: dict[str, float] = {"bias": 1.0, f"lang={st.lang}": 1.0, f"sec={ctx.section(start)}": 1.0}
    left = ctx.tokens(max(s0, start - 80), start)[-6:]
    right = ctx.tokens(end, min(s1, end + 80))[:6]
    for i, t in enumerate(reversed(left[-3:]), 1):
        f[f"L{i}={t}"] = 1.0
    for i, t in enumerate(right[:3], 1):
        f[f"R{i}={t}"] = 1.0
    if len(left) >= 2:
        f[f"L2g={left[-2]}_{left[-1]}"] = 1.0
    if len(right) >= 2:
        f[f"R2g={right[0]}_{right[1]}"] = 1.0
    for t in ctx.tokens(max(s0, start - 160), start):
        f[f"bl={t}"] = 1.0
    for t in ctx.tokens(end, min(s1, end + 160)):
        f[f"br={t}"] = 1.0
    for t in ctx.tokens(max(0, s0 - 120), s0)[-8:]:  # the end of the previous sentence
        f[f"prev={t}"] = 1.0
    for t in ctx.tokens(start, end):
        f[f"in={t}"] = 1.0
    # the cue lists: in the 30 characters before, the 40 after, the clause, the sentence, the previous sentence
    for name in CUE_LISTS.get(kind, ()):
        starts = ctx.cue_starts(kind, name)
        if not starts:
            continue
        for where, lo, hi in (
            ("b", max(c0, start - 30), start),
            ("a", end, min(c1, end + 40)),
            ("c", c0, c1),
            ("s", s0, s1),
            ("p", max(0, s0 - 300), s0),
        ):
            if _near(starts, lo, hi):
                f[f"cue:{name}@{where}"] = 1.0
    # the neighbourhood: brackets, other kinds close by
    opening = text.rfind("(", max(s0, start - 40), start)
    if opening > text.rfind(")", max(s0, start - 40), start):
        f["in_paren"] = 1.0
    for other in ("drug", "dose", "p_value", "response_rate", "trial_size"):
        if any(not (m.start <= start and end <= m.end) for m in st.overlapping(other, c0, c1)):
            f[f"clause_has={other}"] = 1.0
    cell = cell_at(ctx.table, start) if ctx.table else None
    if cell is not None:  # a table cell: its column header says what the number is
        f["in_table"] = 1.0
        f[f"col={min(cell.col, 5)}"] = 1.0
        for t in tokens(cell.header, 0, len(cell.header)):
            f[f"hdr={t}"] = 1.0
        if re.search(r"[%％]|率|rate", cell.header):
            f["hdr_pct"] = 1.0
        for name in CUE_LISTS.get(kind, ()):
            pat = _cue(kind, name)
            if pat is not None and cell.header and pat.search(cell.header):
                f[f"cue:{name}@hdr"] = 1.0
    if extra:
        f.update(extra)
    return f


def number_features(value: float) -> dict[str, float]:
    f = {f"mag={min(6, int(math.log10(value))) if value >= 1 else -1}": 1.0}
    if value == int(value) and 1900 <= value <= 2035:
        f["yearlike"] = 1.0
    if value != int(value):
        f["decimal"] = 1.0
    return f
