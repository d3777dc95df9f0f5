"""doccano's sequence-labelling JSONL: the text and ``[start, end, label]`` triples."""

from __future__ import annotations

from collections.abc import Iterable

from .offsets import OffsetMap, check_offsets
from .tokens import TRAIN_LABELS, train_spans


def to_doccano(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """doccano's sequence-labelling JSONL: ``{"text", "label": [[start, end, label], ...]}``."""
    check_offsets(offsets)
    out = []
    for rec in records:
        omap = OffsetMap(rec["text"])
        labels = []
        for s in train_spans(rec):
            a, b = (omap.span_to_utf16(s["start"], s["end"]) if offsets == "utf16" else (s["start"], s["end"]))
            labels.append([a, b, TRAIN_LABELS[s["kind"]]])
        out.append({"id": rec.get("id"), "text": rec["text"], "label": labels})
    return out
