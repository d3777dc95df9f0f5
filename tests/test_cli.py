"""The `trialex` command: extract (JSONL and plain text) and evaluate, as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "trialex.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=300, check=True)


def test_extract_jsonl_and_plain_text():
    docs = [{"id": "a", "text": "MMF 群では 185 例中 104 例（56.2%）が寛解した。"}, {"id": "b", "text": "P = 0.04 in 140 patients", "lang": "en"}]
    out = run("extract", stdin="\n".join(json.dumps(d, ensure_ascii=False) for d in docs)).stdout.splitlines()
    results = [json.loads(line) for line in out]
    assert [r["id"] for r in results] == ["a", "b"]
    assert results[0]["response_rates"][0]["percent"] == 56.2
    assert results[1]["p_values"][0]["value"] == 0.04
    plain = json.loads(run("extract", stdin="Twenty-eight patients were randomized (P < 0.001).").stdout)
    assert plain["trial_sizes"][0]["n"] == 28


def test_evaluate_on_project_gold(tmp_path):
    gold = tmp_path / "gold.jsonl"
    lines = (ROOT / "annotations" / "ja.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run("evaluate", str(gold), "--json").stdout
    report = json.loads(out)
    assert report["documents"] == 3
    assert set(report["kinds"]) == {"drug", "dose", "trial_size", "response_rate", "p_value"}
    # the command's figures are the scorer's on the same documents, with an interval around them
    from trialex.evaluation import score_gold
    from trialex.pipelines.pipeline import Extractor
    direct = score_gold(Extractor(), [json.loads(line) for line in lines]).as_dict()
    assert report["macro_f1"] == direct["macro_f1"]
    for kind, k in report["kinds"].items():
        assert (k["tp"], k["fp"], k["fn"]) == tuple(direct["kinds"][kind][x] for x in ("tp", "fp", "fn"))
        lo, hi = k["f1_ci95"]
        assert lo <= k["f1"] <= hi
    errors = run("evaluate", str(gold), "--errors").stdout.splitlines()
    assert errors[-1].startswith("documents: 3")


def test_evaluate_without_a_file_prints_every_set_with_its_role_test_first(tmp_path):
    lines = (ROOT / "annotations" / "en.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    sets = {"sets": [{"file": "a.jsonl", "lang": "en", "role": "train"},
                     {"file": "b.jsonl", "lang": "en", "role": "test"},
                     {"file": "c.jsonl", "lang": "ja", "role": "dev"}]}
    (tmp_path / "sets.json").write_text(json.dumps(sets), encoding="utf-8")
    rows = run("evaluate", "--sets", str(tmp_path / "sets.json")).stdout.splitlines()
    assert [r.split()[:2] for r in rows[1:]] == [["b.jsonl", "test"], ["c.jsonl", "dev"], ["a.jsonl", "train"]]
    assert "not built yet" in rows[2] and rows[1].split()[3] == "1"


def test_version_and_python_dash_m():
    from trialex import __version__

    out = subprocess.run([sys.executable, "-m", "trialex", "--version"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True).stdout
    assert out.strip() == f"trialex {__version__}" and __version__[0].isdigit()
