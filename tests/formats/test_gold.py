"""The spec's gold JSONL, both ways."""

from __future__ import annotations

from trialex.formats.gold import gold_to_record, to_gold
from trialex.formats.records import read_jsonl

from .sample import ROOT, TEXT, record


def test_gold_round_trip_of_the_project_gold():
    """Every line of annotations/{ja,en}.jsonl survives gold → record → gold unchanged."""
    for name in ("ja.jsonl", "en.jsonl"):
        golds = read_jsonl(ROOT / "annotations" / name)
        # the team-written sets predate effect estimates: the export writes the sixth kind always
        expected = [{**{k: v for k, v in g.items() if k != "ignore"}, "effect": g.get("effect", []),
                     "ignore": g["ignore"]} for g in golds]
        assert to_gold([gold_to_record(g) for g in golds]) == expected


def test_gold_moves_incomplete_and_class_spans_to_ignore():
    rec = record()
    rec["spans"].append({"kind": "dose", "start": 0, "end": 2, "text": TEXT[:2]})  # no values
    rec["spans"].append({"kind": "drug", "start": 21, "end": 23, "text": TEXT[21:23], "name": "x", "class": True})
    (g,) = to_gold([rec])
    assert list(g) == ["id", "lang", "text", "drug", "dose", "trial_size", "response_rate", "p_value", "effect",
                       "ignore"]
    assert g["dose"] == [] and {"start": 0, "end": 2, "kind": "dose"} in g["ignore"]
    assert {"start": 21, "end": 23, "kind": "drug"} in g["ignore"]
    assert g["p_value"] == [{"start": TEXT.index("P＝"), "end": TEXT.index("P＝") + 7, "operator": "=", "value": 0.003}]
    assert isinstance(g["response_rate"][0]["percent"], float)


def test_gold_fills_a_missing_language():
    (g,) = to_gold([dict(record(), lang=None)])
    assert g["lang"] == "ja"
