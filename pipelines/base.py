"""What every extractor shares: the mention record, the per-document state on
``Doc._.trialex`` and sentence/clause boundaries on the normalised text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from spacy.tokens import Doc

from .language import detect
from .normalize import NormText
from .resources import cue_regex

KINDS = ("drug", "dose", "trial_size", "response_rate", "p_value")


@dataclass
class Mention:
    kind: str
    start: int  # offsets into the NORMALISED text; mapped back only on output
    end: int
    attrs: dict = field(default_factory=dict)


# Sentence ends: Japanese full stop, or ./!/? + space + a capital/digit/opening
# character, or a line break.  Decimal points never end a sentence (no space after).
_SENT_END = re.compile(r"。|\n+|(?<=[.!?])\s+(?=[A-Z0-9(\[\"'“]|[^\x00-\x7f])")
_CLAUSE_END = re.compile(r"[;；、，：]|[,:](?=\s)|\b(?:but|whereas|while)\b")


@dataclass
class DocState:
    """Per-document working state of the trialex components."""

    norm: NormText
    lang: str
    mentions: dict[str, list[Mention]] = field(default_factory=lambda: {k: [] for k in KINDS})
    _sent_starts: list[int] | None = None
    _clause_starts: list[int] | None = None
    _hits: dict = field(default_factory=dict)
    _has_ja: bool | None = None

    @property
    def text(self) -> str:
        return self.norm.text

    def add(self, kind: str, start: int, end: int, **attrs) -> Mention:
        m = Mention(kind, start, end, attrs)
        self.mentions[kind].append(m)
        return m

    def _starts(self, pattern: re.Pattern[str]) -> list[int]:
        return [0] + [m.end() for m in pattern.finditer(self.text)]

    def sentence(self, pos: int) -> tuple[int, int]:
        """[start, end) of the sentence holding normalised position ``pos``."""
        if self._sent_starts is None:
            self._sent_starts = self._starts(_SENT_END)
        return _bounds(self._sent_starts, pos, len(self.text))

    def clause(self, pos: int) -> tuple[int, int]:
        """[start, end) of the clause (sentence cut at ; , 、 : but whereas) holding ``pos``."""
        if self._clause_starts is None:
            self._clause_starts = sorted(set(self._starts(_CLAUSE_END) + self._starts(_SENT_END)))
        return _bounds(self._clause_starts, pos, len(self.text))

    def hits(self, kind: str, name: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """Matches of a cue list (cues.json) inside [lo, hi), which lies in one sentence.

        Each sentence is searched once per cue list, and only when asked for.
        """
        s0, s1 = self.sentence(lo)
        key = (kind, name, s0)
        found = self._hits.get(key)
        if found is None:
            found = [(m.start(), m.end(), m.group(0)) for m in cue_regex(kind, name).finditer(self.text, s0, s1)]
            self._hits[key] = found
        return [h for h in found if h[0] >= lo and h[1] <= hi]

    @property
    def has_japanese(self) -> bool:
        """Japanese script anywhere in the text (whatever pipeline was asked for)."""
        if self._has_ja is None:
            self._has_ja = detect(self.text) == "ja"
        return self._has_ja

    def free(self, start: int, end: int, *kinds: str) -> bool:
        """True if no mention of ``kinds`` overlaps [start, end)."""
        return not any(m.start < end and start < m.end for k in kinds for m in self.mentions[k])


def _bounds(starts: list[int], pos: int, length: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, pos) - 1
    end = starts[i + 1] if i + 1 < len(starts) else length
    return starts[i], end


def state(doc: Doc) -> DocState:
    st = doc._.trialex
    if st is None:
        raise RuntimeError("trialex_normalizer must run before the other trialex components")
    return st


if not Doc.has_extension("trialex"):
    Doc.set_extension("trialex", default=None)
