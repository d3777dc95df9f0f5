"""Checks of the stand-off held-out gold annotations/pmc_heldout.jsonl (docs/heldout.md).

The file holds offsets and values only: the texts are real PMC abstracts in
shared/corpora/pmc-rct-abstracts, which may not be copied into this repo.  The
structure is checked always; the spans against the texts only where shared/ is there.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "annotations" / "pmc_heldout.jsonl"
SOURCE = "pmc-rct-abstracts"
SEED, SAMPLE_SIZE = 20261124, 30
KEYS = ["id", "lang", "source", "text_sha256", "drug", "dose", "trial_size",
        "response_rate", "p_value", "ignore"]
KINDS = KEYS[4:]
OPERATORS = {"=", "<", ">", "<=", ">=", "?"}
SCOPES = {"total", "arm", "subset"}
UNIT_RE = re.compile(r"^(mg|IU|U|mL|mmol)(/kg|/m2)?(/day|/week|/month|/h|/min)?$")
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
         "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
         "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
         "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def _shared() -> Path | None:
    for cand in (Path("/work/shared"), ROOT.parent / "shared"):
        if (cand / "corpora" / SOURCE / "abstracts.jsonl").is_file():
            return cand
    return None


SHARED = _shared()
needs_shared = pytest.mark.skipif(
    SHARED is None, reason="shared/corpora/pmc-rct-abstracts not found (/work/shared or ../shared)")


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    lines = (SHARED / "corpora" / SOURCE / "abstracts.jsonl").read_text(encoding="utf-8").splitlines()
    picked = random.Random(SEED).sample(range(len(lines)), SAMPLE_SIZE)
    out = {}
    for i in picked:
        rec = json.loads(lines[i])
        out[rec["id"]] = rec["text"]
    return out  # insertion order = sample order


def _numbers(s: str) -> list[float]:
    s = unicodedata.normalize("NFKC", s).replace("·", ".").replace("−", "-")
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", s)]


# -------------------------------------------------------------------- structure


def test_records_and_keys(gold):
    assert len(gold) == SAMPLE_SIZE
    ids = [r["id"] for r in gold]
    assert len(set(ids)) == len(ids)
    for r in gold:
        assert list(r) == KEYS, r["id"]
        assert "text" not in r
        assert re.fullmatch(r"PMC\d+", r["id"])
        assert r["lang"] == "en" and r["source"] == SOURCE
        assert re.fullmatch(r"[0-9a-f]{64}", r["text_sha256"])
        for kind in KINDS:
            assert isinstance(r[kind], list)
            starts = [(m["start"], m["end"]) for m in r[kind]]
            assert starts == sorted(starts) and len(set(starts)) == len(starts), (r["id"], kind)
            for m in r[kind]:
                assert type(m["start"]) is int and type(m["end"]) is int
                assert 0 <= m["start"] < m["end"], (r["id"], kind, m)


def test_values_are_typed(gold):
    for r in gold:
        for m in r["drug"]:
            assert set(m) == {"start", "end", "name"}
            assert m["name"] and m["name"] == m["name"].lower().strip()
        for m in r["dose"]:
            assert set(m) <= {"start", "end", "min", "max", "unit", "drug"}
            for k in ("min", "max"):
                assert type(m[k]) in (int, float) and m[k] >= 0
            assert m["min"] <= m["max"] and UNIT_RE.match(m["unit"]), m
            if "drug" in m:
                assert type(m["drug"]) is int and 0 <= m["drug"] < len(r["drug"])
        for m in r["trial_size"]:
            assert set(m) <= {"start", "end", "n", "scope", "arm"}
            assert type(m["n"]) is int and m["n"] > 0 and m["scope"] in SCOPES
        for m in r["response_rate"]:
            assert set(m) <= {"start", "end", "percent", "numerator", "denominator", "outcome", "arm"}
            assert type(m["percent"]) is float and 0 <= m["percent"] <= 100
            assert m["outcome"]
            assert ("numerator" in m) == ("denominator" in m)
            if "numerator" in m:
                assert 0 <= m["numerator"] <= m["denominator"]
                assert abs(100 * m["numerator"] / m["denominator"] - m["percent"]) <= 1.0
        for m in r["p_value"]:
            assert set(m) == {"start", "end", "operator", "value"}
            assert m["operator"] in OPERATORS
            assert type(m["value"]) is float and 0 <= m["value"] <= 1
        for m in r["ignore"]:
            assert set(m) == {"start", "end", "kind"} and m["kind"] in ("drug", "p_value")


def test_every_kind_is_present(gold):
    for kind in KINDS:
        assert sum(len(r[kind]) for r in gold) > 0, kind


# -------------------------------------------------------------- against the texts


@needs_shared
def test_sample_and_hashes(gold, texts):
    assert [r["id"] for r in gold] == list(texts)
    for r in gold:
        assert hashlib.sha256(texts[r["id"]].encode("utf-8")).hexdigest() == r["text_sha256"]


@needs_shared
def test_spans_slice_trimmed_text(gold, texts):
    for r in gold:
        t = texts[r["id"]]
        for kind in KINDS:
            for m in r[kind]:
                assert m["end"] <= len(t)
                s = t[m["start"]:m["end"]]
                assert s and s == s.strip() and "\n" not in s, (r["id"], kind, s)


@needs_shared
def test_spans_agree_with_values(gold, texts):
    for r in gold:
        t = texts[r["id"]]
        for m in r["drug"]:
            assert re.search(r"[A-Za-z]", t[m["start"]:m["end"]])
        for m in r["p_value"]:
            s = t[m["start"]:m["end"]]
            assert re.match(r"[pP]", s), s
            assert any(math.isclose(x, m["value"]) for x in _numbers(s)), (s, m)
        for m in r["trial_size"]:
            s = t[m["start"]:m["end"]]
            nums = [int(x) for x in _numbers(s) if float(x).is_integer()]
            words = sum(WORDS.get(w, 0) for w in re.findall(r"[a-z]+", s.lower()))
            assert m["n"] in nums or words == m["n"], (s, m)
        for m in r["response_rate"]:
            s = t[m["start"]:m["end"]]
            nums = _numbers(s)
            if "%" in s:
                assert any(math.isclose(x, m["percent"]) for x in nums), (s, m)
            else:  # a bare count pair
                assert nums[:2] == [m["numerator"], m["denominator"]], (s, m)
            assert m["outcome"] in t
        for m in r["dose"]:
            s = t[m["start"]:m["end"]]
            assert re.search(r"\d", s), s
            if "drug" in m:
                assert r["drug"][m["drug"]]["end"] <= m["start"]  # the drug is named before its dose


@needs_shared
def test_rebuild_from_markup_if_present(tmp_path):
    markup = Path("/tmp/pmc_markup")
    if not markup.is_dir():
        pytest.skip("the marked-up copies (/tmp/pmc_markup) are not on this machine")
    out = tmp_path / "pmc.jsonl"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "annotations" / "build_pmc.py"), str(markup),
         "--shared", str(SHARED), "--out", str(out)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == GOLD.read_bytes()
