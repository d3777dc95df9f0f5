"""Checks of the hand-made gold files annotations/{ja,en}.jsonl.

The gold format is the one at the bottom of shared/extraction-spec.md; the
annotation decisions are in docs/annotation-guidelines.md.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "annotations"
BUILD = ANN / "build.py"
SPEC = ROOT.parent / "shared" / "extraction-spec.md"
LANGS = ("ja", "en")
KEYS = ["id", "lang", "text", "drug", "dose", "trial_size", "response_rate", "p_value", "ignore"]
KINDS = KEYS[3:]
OPERATORS = {"=", "<", ">", "<=", ">=", "?"}
SCOPES = {"total", "arm", "subset"}
UNIT_RE = re.compile(r"^(mg|IU|U|mL|mmol)(/kg|/m2)?(/day|/week|/month|/h|/min)?$")

# Every example (and every exclusion) quoted in the spec must occur in some doc.
SPEC_EXAMPLES = [
    # drug
    "MMF", "AZA", "IVC", "CYC", "TAC", "IV シクロフォスファミド", "oral MMF",
    "mycophenolate mofetil", "ミコフェノール酸モフェチル", "CellCept", "セルセプト",
    "シクロホスファミド", "シクロフォスファミド", "アザチオプリム",
    "steroids", "ステロイド", "corticosteroids", "immunosuppressive agents", "biologics",
    "免疫抑制剤", "placebo", "multitarget therapy", "マルチターゲット療法",
    # dose
    "3,000mg", "1 日 3,000mg", "3g/日", "2 g/日", "0.5-1.0 g/m2/月", "500～3000mg/日",
    "1～3 mg／Kg／日", "750mg", "3 grams/day", "1000 mg twice daily",
    "0.5 to 1.0 g per square meter", "1日2回", "twice daily", "12時間ごと", "経口", "oral",
    "/日", "/day", "per day", "daily 2 g", "毎月", "1 回／月", "1 日 2 回",
    "1000mg/日から3000mg/日まで", "尿蛋白 0.3g/24h", "serum creatinine 1.2 mg/dL",
    # trial_size
    "370 例", "140 例の症例が登録され", "71 例が MMF", "41 例の症例", "227例", "618症例",
    "141 physicians", "140 patients", "n = 185", "185 例中 104 例", "3 例が死亡",
    "4 例で2倍化", "56 例が治療反応を得た", "16 of 71 had complete remission",
    "127例が完遂された", "クラスIII：12 例", "4試験", "8 施設",
    # response_rate
    "56.2%", "16 例（22.5%）が完全寛解", "81％が完全寛解", "complete remission 76%",
    "16 of 71 patients (22.5%)", "13 of 25 patients responded", "HbA1c < 7%",
    "GH < 2.5 ng/ml", "phosphorus within range", "57% of respondents",
    "16.7 percentage points", "95% CI", "完全寛解",
    # p_value
    "P=0.005", "P = 0.70", "p<0.001", "P＝0.003", "P = 0·003", "p < 1 × 10−4",
    "P values of 0.05 and 0.009", "各P＝0.027、P＝0.017", "(p_0.04)", "NS",
    "a two-sided P < 0.05 was considered significant", "P=0.003", "log-rank test",
    "subjects",
]
# Further strings the gold set was asked to contain (not all of them are in the spec).
BRIEF_EXAMPLES = [
    "MMF 群では 185 例中 104 例（56.2%）", "IVC：0.5-1.0 g/m2/月", "Twenty-eight patients",
    "73/116 [62.9%]", "log-rank test P＝0.003", "ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ", "３０００ｍｇ",
    "Ｐ＝０．００３", "calcineurin inhibitors", "185 例",
]


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def gold() -> dict[str, list[dict]]:
    return {lang: _load(ANN / f"{lang}.jsonl") for lang in LANGS}


@pytest.fixture(scope="module")
def all_docs(gold) -> list[dict]:
    return [r for lang in LANGS for r in gold[lang]]


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_counts(gold, lang):
    assert len(gold[lang]) >= 35
    assert all(r["lang"] == lang for r in gold[lang])


def test_keys_and_ids(all_docs):
    ids = [r["id"] for r in all_docs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for r in all_docs:
        assert list(r) == KEYS, r["id"]
        assert re.fullmatch(rf"{r['lang']}-\d{{3}}", r["id"])
        assert isinstance(r["text"], str) and r["text"] == r["text"].strip()
        for k in KINDS:
            assert isinstance(r[k], list), (r["id"], k)


def test_spans(all_docs):
    for r in all_docs:
        text = r["text"]
        for kind in KINDS:
            for m in r[kind]:
                s, e = m["start"], m["end"]
                assert isinstance(s, int) and isinstance(e, int), (r["id"], kind, m)
                assert 0 <= s < e <= len(text), (r["id"], kind, m)
                surface = text[s:e]
                assert surface and surface == surface.strip(), (r["id"], kind, surface)


def test_sorted_and_no_duplicate_spans(all_docs):
    for r in all_docs:
        for kind in KINDS:
            spans = [(m["start"], m["end"]) for m in r[kind]]
            assert spans == sorted(spans), (r["id"], kind)
            assert len(spans) == len(set(spans)), (r["id"], kind, "duplicate span")


def test_drug_fields(all_docs):
    for r in all_docs:
        for m in r["drug"]:
            assert set(m) == {"start", "end", "name"}, (r["id"], m)
            assert isinstance(m["name"], str) and m["name"]
            assert m["name"] == m["name"].lower().strip(), (r["id"], m)


def test_dose_fields(all_docs):
    for r in all_docs:
        for m in r["dose"]:
            assert set(m) <= {"start", "end", "min", "max", "unit", "drug"}, (r["id"], m)
            assert _is_num(m["min"]) and _is_num(m["max"]), (r["id"], m)
            assert 0 < m["min"] <= m["max"], (r["id"], m)
            assert UNIT_RE.match(m["unit"]), (r["id"], m)
            if "drug" in m:
                assert isinstance(m["drug"], int) and 0 <= m["drug"] < len(r["drug"]), (r["id"], m)


def test_trial_size_fields(all_docs):
    for r in all_docs:
        for m in r["trial_size"]:
            assert set(m) <= {"start", "end", "n", "scope", "arm"}, (r["id"], m)
            assert isinstance(m["n"], int) and not isinstance(m["n"], bool) and m["n"] > 0
            assert m["scope"] in SCOPES, (r["id"], m)
            if "arm" in m:
                assert isinstance(m["arm"], str) and m["arm"]


def test_response_rate_fields(all_docs):
    for r in all_docs:
        for m in r["response_rate"]:
            assert set(m) <= {"start", "end", "percent", "numerator", "denominator", "outcome", "arm"}
            assert isinstance(m["percent"], float) and 0 <= m["percent"] <= 100, (r["id"], m)
            assert ("numerator" in m) == ("denominator" in m), (r["id"], m)
            if "numerator" in m:
                num, den = m["numerator"], m["denominator"]
                assert isinstance(num, int) and isinstance(den, int) and 0 <= num <= den and den > 0
                assert abs(100 * num / den - m["percent"]) <= 1.0, (r["id"], m)
            assert isinstance(m["outcome"], str) and m["outcome"] in r["text"], (r["id"], m)
            if "arm" in m:
                assert isinstance(m["arm"], str) and m["arm"]


def test_response_rate_percent_matches_surface(all_docs):
    for r in all_docs:
        for m in r["response_rate"]:
            surface = unicodedata.normalize("NFKC", r["text"][m["start"] : m["end"]]).replace("·", ".")
            found = re.search(r"(\d+(?:\.\d+)?)\s*%", surface)
            if found:
                assert float(found.group(1)) == m["percent"], (r["id"], m)
            else:  # a bare count pair "13 of 25"
                assert round(100 * m["numerator"] / m["denominator"], 1) == m["percent"]


def test_p_value_fields(all_docs):
    for r in all_docs:
        for m in r["p_value"]:
            assert set(m) == {"start", "end", "operator", "value"}, (r["id"], m)
            assert m["operator"] in OPERATORS, (r["id"], m)
            assert isinstance(m["value"], float) and 0 <= m["value"] <= 1, (r["id"], m)


def test_ignore_fields(all_docs):
    for r in all_docs:
        for m in r["ignore"]:
            assert set(m) == {"start", "end", "kind"}, (r["id"], m)
            assert m["kind"] in {"drug", "p_value"}, (r["id"], m)
            for other in r[m["kind"]]:  # an ignored span is not also a mention of that kind
                assert not (other["start"] < m["end"] and m["start"] < other["end"]), (r["id"], m)


def test_every_kind_is_represented(gold):
    for lang in LANGS:
        for kind in KINDS:
            assert sum(len(r[kind]) for r in gold[lang]) >= 20, (lang, kind)


@pytest.mark.parametrize("example", SPEC_EXAMPLES + BRIEF_EXAMPLES)
def test_spec_examples_present(all_docs, example):
    assert any(example in r["text"] for r in all_docs), example


@pytest.mark.skipif(not SPEC.exists(), reason="shared/extraction-spec.md not beside the repo")
def test_spec_examples_are_from_the_spec():
    spec = re.sub(r"\s+", " ", SPEC.read_text(encoding="utf-8"))  # quotes wrap across lines
    missing = [x for x in SPEC_EXAMPLES if x not in spec]
    assert not missing, missing


def test_lengths(gold):
    for r in gold["en"]:
        assert 120 <= len(r["text"].split()) <= 300, (r["id"], len(r["text"].split()))
    for r in gold["ja"]:
        assert 250 <= len(r["text"]) <= 700, (r["id"], len(r["text"]))


def test_japanese_typography(gold):
    texts = [r["text"] for r in gold["ja"]]
    assert sum(bool(re.search(r"[０-９]", t)) for t in texts) >= 2  # full-width digits
    assert sum(bool(re.search(r"[ｦ-ﾟ]{3,}", t)) for t in texts) >= 2  # half-width katakana
    assert any("\u3000" in t for t in texts)  # ideographic space
    for ch in "％～〜－㎎㎏㎍／＝＜":
        assert any(ch in t for t in texts), ch
    mixed = [t for t in texts if re.search(r"[A-Za-z]+(?: [A-Za-z,()0-9.-]+){5,}", t)]
    assert len(mixed) >= 8, len(mixed)


def test_rebuild_is_byte_identical(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--out-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for lang in LANGS:
        assert (tmp_path / f"{lang}.jsonl").read_bytes() == (ANN / f"{lang}.jsonl").read_bytes(), lang


@pytest.mark.parametrize(
    "body",
    [
        "a [[MMF|drug|mycophenolate mofetil] b",  # unclosed
        "a [[MMF|dug|mycophenolate mofetil]] b",  # unknown kind
        "a [[185 例|size|n=185]] b",  # missing scope
        "a [[56.2%|rr|104/185]] b",  # missing outcome
        "a [[P=0.005|p]] b",  # missing operator/value
        "a [[ MMF|drug|mycophenolate mofetil]] b",  # leading whitespace
        "a [[|drug|x]] b",  # empty surface
        "a MMF]] b",  # stray close
        "a {{x}}MMF b",  # unclosed label
        "a [[3 g/日|dose|3000 mg]] b",  # unit basis disagrees with the surface
    ],
)
def test_build_fails_loudly(tmp_path, body):
    (tmp_path / "ja.md").write_text(f"### ja-001\n{body}\n", encoding="utf-8")
    (tmp_path / "en.md").write_text("### en-001\nA text.\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--src-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode != 0
    assert "ja-001" in proc.stderr
    assert not (tmp_path / "out").exists()
