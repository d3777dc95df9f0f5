"""Prodigy's span format."""

from __future__ import annotations

from trialex.formats.offsets import js_slice
from trialex.formats.prodigy import to_prodigy

from .sample import TEXT, record


def test_prodigy_tokens_and_inclusive_token_end():
    (ex,) = to_prodigy([record()])
    toks = ex["tokens"]
    assert [t["id"] for t in toks] == list(range(len(toks)))
    assert all(TEXT[t["start"]:t["end"]] == t["text"] for t in toks)
    for s in ex["spans"]:
        assert toks[s["token_start"]]["start"] == s["start"] and toks[s["token_end"]]["end"] == s["end"]
        assert TEXT[s["start"]:s["end"]] == s["text"]
    size = next(s for s in ex["spans"] if s["label"] == "TRIAL_SIZE")
    assert size["token_end"] > size["token_start"]  # "185 例" is two tokens, token_end inclusive
    (ex16,) = to_prodigy([record()], offsets="utf16")
    assert [s["start"] - 2 for s in ex16["spans"]] == [s["start"] for s in ex["spans"]]
    assert all(js_slice(TEXT, t["start"], t["end"]) == t["text"] for t in ex16["tokens"])
    (no_lang,) = to_prodigy([dict(record(), lang=None)])
    assert no_lang["meta"] == {"id": "doc-1", "lang": "ja"}
