"""Records: from an extractor result, their language, the JSONL reader."""

from __future__ import annotations

import json

import pytest

from trialex.formats.gold import to_gold
from trialex.formats.records import parse_jsonl, record_lang, result_to_record


def test_result_to_record_uses_normalised_dose(extractor):
    text = "MMF は 1 日 3,000mg を投与した。"
    rec = result_to_record(extractor.extract(text, "ja"), text)
    dose = next(s for s in rec["spans"] if s["kind"] == "dose")
    assert (dose["min"], dose["max"], dose["unit"]) == (3000, 3000, "mg/day")
    assert dose["drug_span"] == [0, 3]
    (g,) = to_gold([rec])
    assert g["dose"][0]["drug"] == 0


def test_record_lang_is_detected_only_when_missing():
    assert record_lang({"text": "MMF 群では 185 例"}) == "ja"
    assert record_lang({"lang": None, "text": "Of 140 patients"}) == "en"
    assert record_lang({"lang": "en", "text": "日本語"}) == "en"  # a language given is kept


def test_parse_jsonl_cuts_lines_at_newlines_only():
    texts = ["a\u2028b", "c\u0085d\re", "plain"]  # separators str.splitlines would cut at
    data = "\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts) + "\n\n  \n"
    assert [r["text"] for r in parse_jsonl(data)] == texts
    with pytest.raises(ValueError):
        parse_jsonl('{"text": "a"}\n{broken\n')
