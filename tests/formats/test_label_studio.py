"""Label Studio: labelling config, results in UTF-16, tasks, annotations back to spans, ingestion."""

from __future__ import annotations

import pytest

from trialex.formats.label_studio import (LabelConfig, LabelConfigError, ingest_ls_annotation, label_to_kind,
                                          ls_result, parse_label_config, parse_ls_result, to_label_studio)
from trialex.formats.offsets import OffsetMap, js_slice
from trialex.store import CurationStore, InvalidInput

from .sample import CONFIG, TEXT, record


def test_label_studio_result_lands_on_the_characters_in_utf16():
    rec = record()
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
      <Label value="P-value"/><Label value="Response rate"/><Label value="用量"/><Label value="Other"/>
      </Labels></View>"""
    cfg = parse_label_config(xml)
    assert (cfg.from_name, cfg.to_name, cfg.data_key, cfg.textarea) == ("ner", "abstract", "body", None)
    assert cfg.labels == {
        "drug": "drug",
        "trial_size": "Trial size",
        "p_value": "P-value",
        "response_rate": "Response rate",
        "dose": "用量",
    }
    assert cfg.unmapped == ["Other"]
    # without a TextArea the values travel in the region's meta
    result = ls_result(record(), cfg)
    assert result[0]["meta"] == {"text": ["name: mycophenolate mofetil"]} and result[0]["from_name"] == "ner"
    assert parse_ls_result(result, TEXT, cfg).spans[0]["name"] == "mycophenolate mofetil"
    with pytest.raises(LabelConfigError):
        parse_label_config(
            '<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="PER"/></Labels></View>'
        )
    with pytest.raises(LabelConfigError):
        parse_label_config("<View><Labels")
    for label, kind in [
        ("TrialSize", "trial_size"),
        ("trial_size", "trial_size"),
        ("PVALUE", "p_value"),
        ("p値", "p_value"),
        ("症例数", "trial_size"),
        ("ResponseRate", "response_rate"),
    ]:
        assert label_to_kind(label) == kind


def test_parse_ls_result_code_point_clients_and_bad_regions():
    cfg = parse_label_config(CONFIG)
    s = TEXT.index("185 例")
    result = [
        # a client that counted code points: its text matches only when read as code points
        {
            "id": "a",
            "type": "labels",
            "from_name": "label",
            "to_name": "text",
            "value": {"start": s, "end": s + 5, "text": "185 例", "labels": ["TrialSize"]},
        },
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


def test_label_studio_tasks_and_a_detected_language():
    (task,) = to_label_studio([record()])
    assert task["data"] == {"text": TEXT, "doc_id": "doc-1", "lang": "ja"}
    pred = task["predictions"][0]
    assert pred["model_version"] and pred["score"] == 1.0
    for r in pred["result"]:
        assert (
            js_slice(TEXT, r["value"]["start"], r["value"]["end"])
            == TEXT[slice(*OffsetMap(TEXT).span_to_cp(r["value"]["start"], r["value"]["end"]))]
        )
    (ann_task,) = to_label_studio([record()], as_annotations=True)
    assert "annotations" in ann_task and "predictions" not in ann_task
    assert LabelConfig().labels["trial_size"] == "TrialSize"
    # a record without a language (a task that sent none) is exported with the detected one
    en = {"id": "e", "lang": None, "text": "Of 140 patients, 56 responded.", "spans": []}
    assert [t["data"]["lang"] for t in to_label_studio([dict(record(), lang=None), en])] == ["ja", "en"]


def _annotation(regions: list[dict], **extra) -> dict:
    return {"id": 41, "completed_by": {"email": "curator@example.org"}, "result": regions, **extra}


def test_ingest_reads_the_annotation_and_the_store_only_stores(tmp_path):
    store = CurationStore(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    cfg = parse_label_config(CONFIG)
    s16, e16 = OffsetMap(TEXT).span_to_utf16(TEXT.index("ＭＭＦ"), TEXT.index("ＭＭＦ") + 3)
    size = TEXT.index("185 例")
    regions = [
        {
            "id": "r1",
            "type": "labels",
            "from_name": "label",
            "to_name": "text",
            "value": {"start": s16, "end": e16, "text": "ＭＭＦ", "labels": ["Drug"]},
        },
        {
            "id": "r1",
            "type": "textarea",
            "from_name": "values",
            "to_name": "text",
            "value": {"start": s16, "end": e16, "text": ["name: mycophenolate mofetil"]},
        },
        {
            "id": "r2",
            "type": "labels",
            "from_name": "label",
            "to_name": "text",  # no values typed
            "value": {"start": size + 2, "end": size + 7, "text": "185 例", "labels": ["TrialSize"]},
        },
    ]
    task = {"id": 7, "data": {"text": TEXT, "doc_id": "doc-1"}}
    out = ingest_ls_annotation(store, task, _annotation(regions), cfg, project=3)
    assert (out["document"], out["version"], out["spans"], out["values_filled"]) == ("doc-1", 1, 2, 1)
    (row,) = store.history("doc-1")
    assert (row["annotator"], row["external_id"], row["source"]) == ("curator@example.org", "41", "label-studio")
    drug, size_span = row["spans"]
    assert TEXT[drug["start"] : drug["end"]] == "ＭＭＦ" and drug["name"] == "mycophenolate mofetil"
    assert TEXT[size_span["start"] : size_span["end"]] == "185 例" and size_span["n"] == 185  # read from its text
    assert store.document("doc-1")["lang"] is None  # the task sent none: the exports detect it
    # a task without doc_id is keyed by project and task; a cancelled annotation stores no spans
    out = ingest_ls_annotation(
        store, {"id": 8, "data": {"text": TEXT}}, _annotation([], id=42, was_cancelled=True), cfg, project=3
    )
    assert out["document"] == "label-studio:3:8" and out["action"] == "cancelled"
    with pytest.raises(InvalidInput):
        ingest_ls_annotation(store, {"id": 9, "data": {"body": TEXT}}, _annotation([]), cfg)
    store.close()
