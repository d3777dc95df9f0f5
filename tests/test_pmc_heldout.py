"""Checks of the stand-off held-out gold sets annotations/pmc_heldout.jsonl,
annotations/pmc_heldout2.jsonl and annotations/pmc_heldout3.jsonl (docs/heldout.md).

The files hold offsets and values only: the texts are real PMC abstracts in
shared/corpora/pmc-rct-abstracts, which may not be copied into this repo.  The
structure is checked always; the spans against the texts only where shared/ is there.
Every check runs on every set (parametrized); no two sets may share an abstract.
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
ANN = ROOT / "annotations"
SOURCE = "pmc-rct-abstracts"
SAMPLE_SIZE = 30  # the first two sets; a set's own "count" overrides it
# How each set was drawn: random.Random(seed).sample(range(n), draw) over the corpus's
# line indices, ids of the excluded sets dropped, the first "count" kept in order;
# build_args rebuild the set with annotations/build_pmc.py from its markup directory.
SETS = {
    "pmc_heldout.jsonl": {
        "seed": 20261124, "draw": 30, "exclude": (), "markup": Path("/tmp/pmc_markup"),
        "build_args": [],
    },
    "pmc_heldout2.jsonl": {
        "seed": 7042, "draw": 40, "exclude": ("pmc_heldout.jsonl",),
        "markup": Path("/tmp/pmc_markup2"),
        "build_args": ["--seed", "7042", "--draw", "40", "--count", "30",
                       "--exclude-from", str(ANN / "pmc_heldout.jsonl")],
    },
    "pmc_heldout3.jsonl": {
        "seed": 99, "draw": 30, "count": 20,
        "exclude": ("pmc_heldout.jsonl", "pmc_heldout2.jsonl"),
        "markup": Path("/tmp/pmc_markup3"),
        "build_args": ["--seed", "99", "--draw", "30", "--count", "20",
                       "--exclude-from", str(ANN / "pmc_heldout.jsonl"),
                       "--exclude-from", str(ANN / "pmc_heldout2.jsonl")],
    },
}


def _count(name: str) -> int:
    return SETS[name].get("count", SAMPLE_SIZE)
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
SCALES = {"hundred": 100, "thousand": 1000}


def _shared() -> Path | None:
    for cand in (Path("/work/shared"), ROOT.parent / "shared"):
        if (cand / "corpora" / SOURCE / "abstracts.jsonl").is_file():
            return cand
    return None


SHARED = _shared()
needs_shared = pytest.mark.skipif(
    SHARED is None, reason="shared/corpora/pmc-rct-abstracts not found (/work/shared or ../shared)")


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (ANN / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module", params=list(SETS))
def heldout(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def gold(heldout) -> list[dict]:
    return _load(heldout)


@pytest.fixture(scope="module")
def texts(heldout) -> dict[str, str]:
    conf = SETS[heldout]
    lines = (SHARED / "corpora" / SOURCE / "abstracts.jsonl").read_text(encoding="utf-8").splitlines()
    excluded = {r["id"] for name in conf["exclude"] for r in _load(name)}
    picked = random.Random(conf["seed"]).sample(range(len(lines)), conf["draw"])
    out = {}
    for i in picked:
        rec = json.loads(lines[i])
        if rec["id"] not in excluded and len(out) < _count(heldout):
            out[rec["id"]] = rec["text"]
    return out  # insertion order = sample order


def _numbers(s: str) -> list[float]:
    s = unicodedata.normalize("NFKC", s).replace("·", ".").replace("−", "-")
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    return [float(x) for x in re.findall(r"\d*\.\d+|\d+", s)]  # ".001" of "P < .001" too


def _words(s: str) -> int:
    """The number written in words ("Forty-five", "Two hundred and sixty-nine"), else 0."""
    total = cur = 0
    for w in re.findall(r"[a-z]+", s.lower()):
        if w in WORDS:
            cur += WORDS[w]
        elif w in SCALES and cur:
            cur *= SCALES[w]
            if SCALES[w] >= 1000:
                total, cur = total + cur, 0
    return total + cur


# -------------------------------------------------------------------- structure


def test_records_and_keys(heldout, gold):
    assert len(gold) == _count(heldout)
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


def test_sets_are_disjoint():
    ids = {name: {r["id"] for r in _load(name)} for name in SETS}
    assert all(len(v) == _count(name) for name, v in ids.items())
    names = list(SETS)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not ids[a] & ids[b], (a, b, sorted(ids[a] & ids[b]))


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
            assert m["n"] in nums or _words(s) == m["n"], (s, m)
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
def test_rebuild_from_markup_if_present(heldout, tmp_path):
    conf = SETS[heldout]
    markup = conf["markup"]
    if not markup.is_dir():
        pytest.skip(f"the marked-up copies ({markup}) are not on this machine")
    out = tmp_path / "pmc.jsonl"
    proc = subprocess.run(
        [sys.executable, str(ANN / "build_pmc.py"), str(markup),
         "--shared", str(SHARED), *conf["build_args"], "--out", str(out)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (ANN / heldout).read_bytes()
