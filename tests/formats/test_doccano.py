"""doccano's sequence-labelling JSONL."""

from __future__ import annotations

from trialex.formats.doccano import to_doccano
from trialex.formats.offsets import js_slice

from .sample import TEXT, record


def test_doccano_offsets_both_ways():
    (cp,) = to_doccano([record()])
    (u16,) = to_doccano([record()], offsets="utf16")
    assert [TEXT[a:b] for a, b, _ in cp["label"]] == ["ＭＭＦ", "185 例", "56.2%", "P＝0.003"]
    assert [js_slice(TEXT, a, b) for a, b, _ in u16["label"]] == ["ＭＭＦ", "185 例", "56.2%", "P＝0.003"]
    assert [x[0] - y[0] for x, y in zip(u16["label"], cp["label"])] == [2, 2, 2, 2]
    assert cp["label"][0][2] == "DRUG" and set(cp) == {"id", "text", "label"}
