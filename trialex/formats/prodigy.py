"""Prodigy's span format (one JSON object a line): the tokens and, per span, its token range."""

from __future__ import annotations

from collections.abc import Iterable

from .offsets import OffsetMap, check_offsets
from .records import record_lang
from .tokens import TRAIN_LABELS, train_tokens


def to_prodigy(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """Prodigy's span format: ``tokens`` (text/start/end/id/ws) and ``spans`` with
    ``token_start``/``token_end`` (inclusive) and ``label``."""
    check_offsets(offsets)
    out = []
    for rec in records:
        text = rec["text"]
        spans, tokens = train_tokens(rec)
        conv = OffsetMap(text).to_utf16 if offsets == "utf16" else (lambda x: x)
        by_start = {t["start"]: i for i, t in enumerate(tokens)}
        by_end = {t["end"]: i for i, t in enumerate(tokens)}
        ptoks = [{"text": t["text"], "start": conv(t["start"]), "end": conv(t["end"]), "id": i, "ws": t["ws"]}
                 for i, t in enumerate(tokens)]
        pspans = []
        for s in spans:
            pspans.append({"start": conv(s["start"]), "end": conv(s["end"]), "text": text[s["start"]:s["end"]],
                           "token_start": by_start[s["start"]], "token_end": by_end[s["end"]],
                           "label": TRAIN_LABELS[s["kind"]]})
        out.append({"text": text, "meta": {"id": rec.get("id"), "lang": record_lang(rec)},
                    "tokens": ptoks, "spans": pspans, "answer": "accept"})
    return out
