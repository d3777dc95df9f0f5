"""Tokens for the training formats (Prodigy, spaCy) and the spans they train on.

Prodigy and spaCy want tokens whose boundaries include every span boundary; :func:`tokenize`
cuts runs of one script, digits and single symbols and never crosses a given boundary.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from trialex.pipelines.kinds import REGISTRY

from .records import is_ignored

TRAIN_LABELS = {k: v.train_label for k, v in REGISTRY.items()}  # label names of the training formats


_TOKEN_RE = re.compile(
    r"\s+|[A-Za-zÀ-ɏ]+|[0-9]+|[Ａ-Ｚａ-ｚ]+|[０-９]+|[\u3041-\u309F]+|[\u30A0-\u30FFｦ-ﾟ]+"
    r"|[\u3400-\u4DBF\u4E00-\u9FFF々〆\U00020000-\U0003FFFF]+|.", re.S)


def tokenize(text: str, boundaries: Iterable[int] = ()) -> list[dict]:
    """Tokens ({"text","start","end","ws"}) that never cross a boundary: runs of one script,
    digits, single symbols; whitespace is a token, except one plain space after a token (``ws``)."""
    cuts = sorted({b for b in boundaries if 0 < b < len(text)})
    raw: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(text):
        s, e = m.span()
        k = bisect.bisect_right(cuts, s)
        while k < len(cuts) and cuts[k] < e:
            raw.append((s, cuts[k]))
            s = cuts[k]
            k += 1
        raw.append((s, e))
    bset = set(boundaries)
    tokens: list[dict] = []
    for s, e in raw:
        piece = text[s:e]
        if (
            piece == " "
            and tokens
            and not tokens[-1]["ws"]
            and not text[tokens[-1]["start"] : tokens[-1]["end"]].isspace()
            and s not in bset
            and e not in bset
        ):
            tokens[-1]["ws"] = True
            continue
        tokens.append({"text": piece, "start": s, "end": e, "ws": False})
    return tokens


def train_spans(rec: dict) -> list[dict]:
    """The spans a model learns from: all but class drugs, threshold p values and ignored spans."""
    return [s for s in rec["spans"] if not is_ignored(s)]


def train_tokens(rec: dict) -> tuple[list[dict], list[dict]]:
    """The record's training spans and its tokens cut at every boundary of theirs."""
    spans = train_spans(rec)
    return spans, tokenize(rec["text"], [b for s in spans for b in (s["start"], s["end"])])
