"""Checks of every gold set listed in annotations/sets.json and of the two annotation passes.

Stand-off sets (real PMC abstracts) hold offsets and values only: their texts stay in
shared/corpora/pmc-rct-abstracts and are checked where shared/ is present. The rules of
the format are the spec's; the decisions are docs/annotation-guidelines.md.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "annotations"
sys.path.insert(0, str(ANN))
import standoff  # noqa: E402

from trialex.evaluation import read_sets  # noqa: E402

KINDS = ("drug", "dose", "trial_size", "response_rate", "p_value")
OPERATORS = {"=", "<", ">", "<=", ">=", "?"}
SCOPES = {"total", "arm", "subset"}
UNIT_RE = re.compile(r"^(mg|IU|U|mL|mmol)(/kg|/m2)?(/day|/week|/month|/h|/min)?$")
SETS = [s for s in read_sets(ANN / "sets.json") if s["path"].exists()]
PASSES = sorted((ANN / "passes").glob("*.jsonl"))


def _shared() -> Path | None:
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "corpora" / standoff.SOURCE / "abstracts.jsonl").is_file():
            return cand
    return None


SHARED = _shared()
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared/corpora/pmc-rct-abstracts not found")


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    return standoff.corpus_texts(SHARED)


@pytest.fixture(scope="module", params=[s["file"] for s in SETS])
def gold_set(request):
    s = next(s for s in SETS if s["file"] == request.param)
    return s, _load(s["path"])


def _numbers(s: str) -> list[float]:
    s = standoff.build._norm(s)  # the checker's reading: middle dots, decimal commas, thousands
    return [float(x) for x in re.findall(r"\d*\.\d+|\d+", s)]


# ------------------------------------------------------------------ every set


def test_every_gold_file_has_a_role():
    listed = {s["file"] for s in read_sets(ANN / "sets.json")}
    on_disk = {p.name for p in ANN.glob("*.jsonl")}
    assert on_disk <= listed, sorted(on_disk - listed)
    assert {s["role"] for s in read_sets(ANN / "sets.json")} == {"train", "dev", "test"}


def test_records_are_typed(gold_set):
    s, recs = gold_set
    ids = [r["id"] for r in recs]
    assert recs and len(set(ids)) == len(ids)
    for r in recs:
        assert r["lang"] == s["lang"]
        assert "text" in r or re.fullmatch(r"[0-9a-f]{64}", r.get("text_sha256", "")), r["id"]
        if "split" in r:
            assert r["split"] == s["role"]
        for kind in (*KINDS, "ignore"):
            spans = [(m["start"], m["end"]) for m in r[kind]]
            assert spans == sorted(spans) and len(set(spans)) == len(spans), (r["id"], kind)
            assert all(type(a) is int and 0 <= a < b for a, b in spans), (r["id"], kind)
        for m in r["drug"]:
            assert m["name"] and m["name"] == m["name"].lower().strip()
        for m in r["dose"]:
            assert 0 <= m["min"] <= m["max"] and UNIT_RE.match(m["unit"]), m
            assert "drug" not in m or 0 <= m["drug"] < len(r["drug"])
        for m in r["trial_size"]:
            assert type(m["n"]) is int and m["n"] > 0 and m["scope"] in SCOPES
        for m in r["response_rate"]:
            assert type(m["percent"]) is float and 0 <= m["percent"] <= 100 and m["outcome"]
            if "numerator" in m:
                assert 0 <= m["numerator"] <= m["denominator"]
                assert abs(100 * m["numerator"] / m["denominator"] - m["percent"]) <= 1.0
        for m in r["p_value"]:
            assert m["operator"] in OPERATORS and type(m["value"]) is float and 0 <= m["value"] <= 1
        for m in r["ignore"]:
            assert m["kind"] in ("drug", "p_value")


@needs_shared
def test_spans_agree_with_texts(gold_set, corpus):
    _, recs = gold_set
    for r in recs:
        t = r.get("text") or corpus[r["id"]]
        if "text_sha256" in r:
            assert hashlib.sha256(t.encode("utf-8")).hexdigest() == r["text_sha256"], r["id"]
        for kind in (*KINDS, "ignore"):
            for m in r[kind]:
                span = t[m["start"]:m["end"]]
                assert m["end"] <= len(t) and span == span.strip() and "\n" not in span, (r["id"], kind, span)
        for m in r["p_value"]:
            assert (
                any(math.isclose(x, m["value"]) for x in _numbers(t[m["start"] : m["end"]]))
                or "10" in t[m["start"] : m["end"]]
            )
        for m in r["response_rate"]:
            assert m["outcome"] in t, (r["id"], m)


def test_no_document_in_two_sets():
    seen: dict[str, str] = {}
    for s in SETS:
        for r in _load(s["path"]):
            assert r["id"] not in seen, (r["id"], seen.get(r["id"]), s["file"])
            seen[r["id"]] = s["file"]


@needs_shared
def test_no_sealed_id_anywhere_in_the_project():
    sealed = set((SHARED / "corpora" / standoff.SOURCE / "sealed-ids.txt").read_text().split())
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = set()
    for f in files:
        path = ROOT / f
        if path.is_file() and path.stat().st_size < 5_000_000:
            found |= set(re.findall(r"PMC\d+", path.read_text(encoding="utf-8", errors="ignore"))) & sealed
    assert not found


@needs_shared
def test_the_english_sample_is_reproducible_from_its_seed():
    manifest = standoff.load_manifest()
    assert standoff.plan(SHARED, manifest["en"]["seed"])["en"] == manifest["en"]
    splits = [d["split"] for d in manifest["en"]["docs"]]
    assert {k: splits.count(k) for k in set(splits)} == standoff.SPLIT_SIZES["en"]


def test_japanese_documents_name_their_trial():
    for s in SETS:
        if s["lang"] == "ja" and s["file"].startswith("ja-"):
            for r in _load(s["path"]):
                assert re.fullmatch(r"PMC\d+", r["basis"]) and r["style"] in "abcd" and r["area"]
                assert standoff.ja_split(r["id"]) == s["role"]


# ------------------------------------------------------------------ the two passes


def test_passes_cover_the_same_documents():
    by_lang: dict[str, dict[str, list[str]]] = {}
    for p in PASSES:
        lang, who = p.stem.split("-")
        by_lang.setdefault(lang, {})[who] = [r["id"] for r in _load(p)]
    for lang, passes in by_lang.items():
        assert passes.get("A") == passes.get("B"), lang


def test_adjudicated_documents_were_annotated_twice():
    """Every document of the new splits has two passes (and agreement.json counts them)."""
    ids = {r["id"] for p in PASSES for r in _load(p)}
    agreement = json.loads((ANN / "agreement.json").read_text()) if (ANN / "agreement.json").exists() else {}
    for s in SETS:
        if re.fullmatch(r"(en|ja)-(train|dev|test)\.jsonl", s["file"]):
            recs = _load(s["path"])
            assert {r["id"] for r in recs} <= ids, s["file"]
            assert agreement[s["lang"]][s["role"]] == len(recs)
