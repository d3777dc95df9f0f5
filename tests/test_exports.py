"""Formats of trialex.exports: offsets (code points / UTF-16), Label Studio, Prodigy, doccano, gold, DocBin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialex.exports import (LabelConfig, LabelConfigError, OffsetMap, derive_values, format_values,
                             gold_to_record, js_slice, label_to_kind, ls_result, parse_label_config,
                             parse_ls_result, parse_values, result_to_record, to_docbin, to_doccano, to_gold,
                             to_label_studio, to_prodigy, tokenize, utf16_len, utf16_to_cp, write)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = (ROOT / "models" / "label_studio" / "config.xml").read_text(encoding="utf-8")

# 𠮟 (U+20B9F) and 😀 are astral: two UTF-16 code units each, one Python code point.
TEXT = "𠮟😀 ＭＭＦ群では 185 例中 104 例（56.2%）が完全寛解（P＝0.003）。"


def _record() -> dict:
    def at(s: str) -> tuple[int, int]:
        i = TEXT.index(s)
        return i, i + len(s)

    spans = []
    for kind, surface, values in [
        ("drug", "ＭＭＦ", {"name": "mycophenolate mofetil"}),
        ("trial_size", "185 例", {"n": 185, "scope": "arm"}),
        ("response_rate", "56.2%", {"percent": 56.2, "numerator": 104, "denominator": 185, "outcome": "完全寛解"}),
        ("p_value", "P＝0.003", {"operator": "=", "value": 0.003}),
    ]:
        s, e = at(surface)
        spans.append({"kind": kind, "start": s, "end": e, "text": surface, **values})
    return {"id": "doc-1", "lang": "ja", "text": TEXT, "spans": spans}


def test_offset_map_round_trip_with_astral_characters():
    m = OffsetMap(TEXT)
    assert utf16_len(TEXT) == len(TEXT) + 2
    for start in range(len(TEXT)):
        for end in range(start + 1, min(len(TEXT), start + 6) + 1):
            s16, e16 = m.span_to_utf16(start, end)
            assert js_slice(TEXT, s16, e16) == TEXT[start:end]
            assert m.span_to_cp(s16, e16) == (start, end)
    # an offset inside a surrogate pair snaps outwards: the span keeps the whole character
    assert utf16_to_cp(TEXT, 1, 3) == (0, 2)
    assert OffsetMap("plain ascii").span_to_utf16(2, 5) == (2, 5)


def test_label_studio_result_lands_on_the_characters_in_utf16():
    rec = _record()
    result = ls_result(rec, parse_label_config(CONFIG), "utf16")
    regions = [r for r in result if r["type"] == "labels"]
    assert [r["value"]["labels"][0] for r in regions] == ["Drug", "TrialSize", "ResponseRate", "PValue"]
    for r in regions:
        v = r["value"]
        assert js_slice(TEXT, v["start"], v["end"]) == v["text"]
    drug = regions[0]["value"]
    assert (drug["start"], drug["end"]) == (TEXT.index("ＭＭＦ") + 2, TEXT.index("ＭＭＦ") + 5)
    values = {r["id"]: r["value"]["text"][0] for r in result if r["type"] == "textarea"}
    assert values[regions[0]["id"]] == "name: mycophenolate mofetil"
    # and back: the parsed spans are the record's spans, in code points, with their values
    parsed = parse_ls_result(result, TEXT, parse_label_config(CONFIG), "utf16")
    assert parsed.warnings == []
    assert [(s["kind"], s["start"], s["end"]) for s in parsed.spans] == \
        [(s["kind"], s["start"], s["end"]) for s in rec["spans"]]
    assert parsed.spans[2]["percent"] == 56.2 and parsed.spans[3]["operator"] == "="


def test_label_config_parsing_is_tolerant():
    xml = """<View><Text name="abstract" value="$body"/>
      <Labels name="ner" toName="abstract"><Label value="drug"/><Label value="Trial size"/>
      <Label value="P-value"/><Label value="Response rate"/><Label value="用量"/><Label value="Other"/></Labels></View>"""
    cfg = parse_label_config(xml)
    assert (cfg.from_name, cfg.to_name, cfg.data_key, cfg.textarea) == ("ner", "abstract", "body", None)
    assert cfg.labels == {"drug": "drug", "trial_size": "Trial size", "p_value": "P-value",
                          "response_rate": "Response rate", "dose": "用量"}
    assert cfg.unmapped == ["Other"]
    # without a TextArea the values travel in the region's meta
    result = ls_result(_record(), cfg)
    assert result[0]["meta"] == {"text": ["name: mycophenolate mofetil"]} and result[0]["from_name"] == "ner"
    assert parse_ls_result(result, TEXT, cfg).spans[0]["name"] == "mycophenolate mofetil"
    with pytest.raises(LabelConfigError):
        parse_label_config('<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="PER"/></Labels></View>')
    with pytest.raises(LabelConfigError):
        parse_label_config("<View><Labels")
    for label, kind in [("TrialSize", "trial_size"), ("trial_size", "trial_size"), ("PVALUE", "p_value"),
                        ("p値", "p_value"), ("症例数", "trial_size"), ("ResponseRate", "response_rate")]:
        assert label_to_kind(label) == kind


def test_values_text_round_trip():
    for span in [{"kind": "drug", "name": "cyclophosphamide"},
                 {"kind": "dose", "min": 500, "max": 1000, "unit": "mg/m2/month", "frequency": "毎月"},
                 {"kind": "trial_size", "n": 185, "scope": "arm", "arm": "mycophenolate mofetil"},
                 {"kind": "response_rate", "percent": 22.5, "numerator": 16, "denominator": 71},
                 {"kind": "p_value", "operator": "<", "value": 0.001}]:
        back = parse_values(span["kind"], format_values(span))
        assert back == {k: v for k, v in span.items() if k != "kind"}
    assert parse_values("p_value", "P = 0·003") == {"operator": "=", "value": 0.003}
    assert parse_values("p_value", "< 0.05; threshold: true") == {"operator": "<", "value": 0.05, "threshold": True}
    assert parse_values("response_rate", "13 of 25") == {"numerator": 13, "denominator": 25, "percent": 52.0}
    assert parse_values("trial_size", "ｎ＝３７０") == {"n": 370}
    assert parse_values("dose", '{"min": 3000, "max": 3000, "unit": "mg/day"}') == \
        {"min": 3000.0, "max": 3000.0, "unit": "mg/day"}


def test_derive_values_prefers_overlapping_preannotation():
    pre = [{"kind": "drug", "start": 3, "end": 6, "name": "mycophenolate mofetil"}]
    assert derive_values("drug", "ＭＭＦ群", 3, 7, pre) == {"name": "mycophenolate mofetil"}
    assert derive_values("trial_size", "140 patients", 0, 12) == {"n": 140}
    assert derive_values("p_value", "p<0.001", 0, 7) == {"operator": "<", "value": 0.001}


def test_tokenize_splits_at_span_boundaries_and_keeps_every_character():
    text = "MMF群では185例中（56.2%） n = 12\n\n次"
    toks = tokenize(text, [3, 8, 9])
    assert "".join(t["text"] + (" " if t["ws"] else "") for t in toks) == text
    starts = {t["start"] for t in toks}
    assert {3, 8, 9} <= starts


def test_prodigy_tokens_and_inclusive_token_end():
    (ex,) = to_prodigy([_record()])
    toks = ex["tokens"]
    assert [t["id"] for t in toks] == list(range(len(toks)))
    assert all(TEXT[t["start"]:t["end"]] == t["text"] for t in toks)
    for s in ex["spans"]:
        assert toks[s["token_start"]]["start"] == s["start"] and toks[s["token_end"]]["end"] == s["end"]
        assert TEXT[s["start"]:s["end"]] == s["text"]
    size = next(s for s in ex["spans"] if s["label"] == "TRIAL_SIZE")
    assert size["token_end"] > size["token_start"]  # "185 例" is two tokens, token_end inclusive
    (ex16,) = to_prodigy([_record()], offsets="utf16")
    assert [s["start"] - 2 for s in ex16["spans"]] == [s["start"] for s in ex["spans"]]
    assert all(js_slice(TEXT, t["start"], t["end"]) == t["text"] for t in ex16["tokens"])


def test_doccano_offsets_both_ways():
    (cp,) = to_doccano([_record()])
    (u16,) = to_doccano([_record()], offsets="utf16")
    assert [TEXT[a:b] for a, b, _ in cp["label"]] == ["ＭＭＦ", "185 例", "56.2%", "P＝0.003"]
    assert [js_slice(TEXT, a, b) for a, b, _ in u16["label"]] == ["ＭＭＦ", "185 例", "56.2%", "P＝0.003"]
    assert [x[0] - y[0] for x, y in zip(u16["label"], cp["label"])] == [2, 2, 2, 2]
    assert cp["label"][0][2] == "DRUG" and set(cp) == {"id", "text", "label"}


def test_gold_round_trip_of_the_project_gold():
    """Every line of annotations/{ja,en}.jsonl survives gold → record → gold unchanged."""
    for name in ("ja.jsonl", "en.jsonl"):
        lines = (ROOT / "annotations" / name).read_text(encoding="utf-8").split("\n")
        golds = [json.loads(ln) for ln in lines if ln.strip()]
        # the team-written sets predate effect estimates: the export writes the sixth kind always
        expected = [{**{k: v for k, v in g.items() if k != "ignore"}, "effect": g.get("effect", []),
                     "ignore": g["ignore"]} for g in golds]
        assert to_gold([gold_to_record(g) for g in golds]) == expected


def test_gold_moves_incomplete_and_class_spans_to_ignore():
    rec = _record()
    rec["spans"].append({"kind": "dose", "start": 0, "end": 2, "text": TEXT[:2]})  # no values
    rec["spans"].append({"kind": "drug", "start": 21, "end": 23, "text": TEXT[21:23], "name": "x", "class": True})
    (g,) = to_gold([rec])
    assert list(g) == ["id", "lang", "text", "drug", "dose", "trial_size", "response_rate", "p_value", "effect",
                       "ignore"]
    assert g["dose"] == [] and {"start": 0, "end": 2, "kind": "dose"} in g["ignore"]
    assert {"start": 21, "end": 23, "kind": "drug"} in g["ignore"]
    assert g["p_value"] == [{"start": TEXT.index("P＝"), "end": TEXT.index("P＝") + 7, "operator": "=", "value": 0.003}]
    assert isinstance(g["response_rate"][0]["percent"], float)


def test_result_to_record_uses_normalised_dose(extractor):
    text = "MMF は 1 日 3,000mg を投与した。"
    rec = result_to_record(extractor.extract(text, "ja"), text)
    dose = next(s for s in rec["spans"] if s["kind"] == "dose")
    assert (dose["min"], dose["max"], dose["unit"]) == (3000, 3000, "mg/day")
    assert dose["drug_span"] == [0, 3]
    (g,) = to_gold([rec])
    assert g["dose"][0]["drug"] == 0


def test_docbin(tmp_path):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    rec = _record()
    to_docbin([rec], tmp_path / "x.spacy")
    (doc,) = DocBin().from_disk(tmp_path / "x.spacy").get_docs(Vocab())
    assert doc.text == TEXT
    assert [(s.text, s.label_) for s in doc.spans["sc"]] == \
        [("ＭＭＦ", "DRUG"), ("185 例", "TRIAL_SIZE"), ("56.2%", "RESPONSE_RATE"), ("P＝0.003", "P_VALUE")]
    assert [e.start_char for e in doc.ents] == [s["start"] for s in rec["spans"]]
    assert doc.user_data["trialex"]["id"] == "doc-1"
    with pytest.raises(ValueError):
        write([rec], "spacy", tmp_path / "y.spacy", offsets="utf16")


def test_label_studio_tasks(tmp_path):
    out = tmp_path / "tasks.json"
    write([_record()], "label-studio", out)
    (task,) = json.loads(out.read_text(encoding="utf-8"))
    assert task["data"] == {"text": TEXT, "doc_id": "doc-1", "lang": "ja"}
    pred = task["predictions"][0]
    assert pred["model_version"] and pred["score"] == 1.0
    for r in pred["result"]:
        assert js_slice(TEXT, r["value"]["start"], r["value"]["end"]) == TEXT[slice(*OffsetMap(TEXT).span_to_cp(
            r["value"]["start"], r["value"]["end"]))]
    (ann_task,) = to_label_studio([_record()], as_annotations=True)
    assert "annotations" in ann_task and "predictions" not in ann_task
    assert LabelConfig().labels["trial_size"] == "TrialSize"


def test_parse_ls_result_code_point_clients_and_bad_regions():
    cfg = parse_label_config(CONFIG)
    s = TEXT.index("185 例")
    result = [
        # a client that counted code points: its text matches only when read as code points
        {"id": "a", "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": s, "end": s + 5, "text": "185 例", "labels": ["TrialSize"]}},
        {"id": "b", "type": "labels", "value": {"start": 0, "end": 2, "text": "wrong", "labels": ["Drug"]}},
        {"id": "c", "type": "labels", "value": {"start": 0, "end": 2, "labels": ["Organism"]}},
        {"id": "d", "type": "labels", "value": {"start": 10, "end": 999, "labels": ["Drug"]}},
        {"id": "e", "type": "choices", "value": {"choices": ["ok"]}},
    ]
    parsed = parse_ls_result(result, TEXT, cfg)
    assert [(x["kind"], x["start"], x["end"]) for x in parsed.spans] == [("drug", 0, 1), ("trial_size", s, s + 5)]
    assert len(parsed.warnings) == 3
    assert any("'Organism'" in w for w in parsed.warnings) and any("outside" in w for w in parsed.warnings)
    assert any("differs" in w for w in parsed.warnings)
