"""Tokens aligned to span boundaries (Prodigy, spaCy)."""

from __future__ import annotations

from trialex.formats.tokens import tokenize, train_spans

from .sample import record


def test_tokenize_splits_at_span_boundaries_and_keeps_every_character():
    text = "MMF群では185例中（56.2%） n = 12\n\n次"
    toks = tokenize(text, [3, 8, 9])
    assert "".join(t["text"] + (" " if t["ws"] else "") for t in toks) == text
    starts = {t["start"] for t in toks}
    assert {3, 8, 9} <= starts


def test_train_spans_leave_out_what_the_scorer_ignores():
    rec = record()
    rec["spans"][0]["class"] = True
    rec["spans"][3]["threshold"] = True
    assert [s["kind"] for s in train_spans(rec)] == ["trial_size", "response_rate"]
