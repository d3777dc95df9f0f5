"""The `trialex` command: extract (JSONL, plain text, CSV) and evaluate, as a user runs them; its
help, its start-up, the curation store it opens."""

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trialex import batch
from trialex.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
LOADED = "trialex extract: pipelines loaded in "


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "trialex.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=300, check=True)


def test_extract_jsonl_and_plain_text():
    docs = [
        {"id": "a", "text": "MMF 群では 185 例中 104 例（56.2%）が寛解した。"},
        {"id": "b", "text": "P = 0.04 in 140 patients", "lang": "en"},
    ]
    out = run("extract", stdin="\n".join(json.dumps(d, ensure_ascii=False) for d in docs)).stdout.splitlines()
    results = [json.loads(line) for line in out]
    assert [r["id"] for r in results] == ["a", "b"]
    assert results[0]["response_rates"][0]["percent"] == 56.2
    assert results[1]["p_values"][0]["value"] == 0.04
    done = run("extract", stdin="Twenty-eight patients were randomized (P < 0.001).")
    assert json.loads(done.stdout)["trial_sizes"][0]["n"] == 28
    # the load time, once, on stderr
    assert done.stderr.count(LOADED) == 1 and done.stderr.rstrip().endswith(" s")


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
    assert errors[-2].startswith("documents: 3") and errors[-1].startswith("trial sizes found: ")


def test_evaluate_without_a_file_prints_every_set_with_its_role_test_first(tmp_path):
    lines = (ROOT / "annotations" / "en.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    sets = {
        "sets": [
            {"file": "a.jsonl", "lang": "en", "role": "train"},
            {"file": "b.jsonl", "lang": "en", "role": "test"},
            {"file": "c.jsonl", "lang": "ja", "role": "dev"},
        ]
    }
    (tmp_path / "sets.json").write_text(json.dumps(sets), encoding="utf-8")
    rows = run("evaluate", "--sets", str(tmp_path / "sets.json")).stdout.splitlines()
    assert [r.split()[:2] for r in rows[1:]] == [["b.jsonl", "test"], ["c.jsonl", "dev"], ["a.jsonl", "train"]]
    assert "not built yet" in rows[2] and rows[1].split()[3] == "1"


def test_version_and_python_dash_m():
    from trialex import __version__

    out = subprocess.run(
        [sys.executable, "-m", "trialex", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    ).stdout
    assert out.strip() == f"trialex {__version__}" and __version__[0].isdigit()


def leaf_parsers(parser: argparse.ArgumentParser, prog: str = "trialex"):
    """(command, parser) of every command that runs something (trialex curation status, ...)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from leaf_parsers(sub, f"{prog} {name}")
            return
    yield prog, parser


def test_every_command_help_says_its_defaults():
    commands = dict(leaf_parsers(build_parser()))  # every plugin module loaded
    assert {
        "trialex serve",
        "trialex extract",
        "trialex batch",
        "trialex export",
        "trialex curation status",
        "trialex curation import-ls",
        "trialex table",
        "trialex train",
    } <= set(commands)
    for name, parser in commands.items():
        text = " ".join(parser.format_help().split())
        assert "(default: " in text, name
    serve = " ".join(commands["trialex serve"].format_help().split())
    assert "(default: 127.0.0.1)" in serve and "(default: 8000)" in serve
    assert "(default: text)" in " ".join(commands["trialex extract"].format_help().split())


def test_version_and_help_load_no_pipelines_web_or_database_modules():
    probe = (
        "import contextlib, io, json, sys\n"
        "from trialex.cli import main\n"
        "for argv in (['--version'], ['--help'], ['extract', '--help'], ['batch', '--help'],\n"
        "             ['curation', 'status', '--help'], ['export', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "    assert out.getvalue(), argv\n"
        "heavy = ('spacy', 'sudachipy', 'numpy', 'sqlalchemy', 'fastapi', 'uvicorn', 'trialex.pipelines.pipeline')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    ).stdout
    assert json.loads(out) == []


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_extract_reads_csv_as_batch_does(tmp_path, learned, monkeypatch, capsys):
    monkeypatch.setattr(batch, "_EXTRACTOR", learned)
    src = tmp_path / "abstracts.csv"
    write_csv(
        src,
        [
            ["pmid", "abstract", "language", "journal"],
            ["p1", "Of 140 patients, 56 (40%) responded (P = 0.01).", "en", "x"],
            ["p2", "MMF 群では 185 例中 104 例（56.2%）が寛解した。", "", "y"],
            ["p3", "   ", "en", "z"],
            ["p4", "P = 0.2", "en", "z", "an extra cell"],
        ],
    )
    columns = ["--id-column", "pmid", "--text-column", "abstract", "--lang-column", "language"]
    extracted, batched = tmp_path / "extract.jsonl", tmp_path / "batch.jsonl"
    assert main(["extract", str(src), "-o", str(extracted), *columns]) == batch.EXIT_SOME_FAILED
    assert capsys.readouterr().err.count(LOADED) == 1
    assert main(["batch", str(src), "-o", str(batched), "--no-progress", *columns]) == batch.EXIT_SOME_FAILED

    def read(path):
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        for r in lines:
            r.get("meta", {}).pop("elapsed_ms", None)
        return lines

    results = read(extracted)
    assert results == read(batched)
    assert [r["id"] for r in results] == ["p1", "p2", "p3", "p4"]
    assert results[0]["p_values"][0]["value"] == 0.01 and results[1]["lang"] == "ja"
    assert results[1]["trial_sizes"][0]["n"] == 185
    assert "empty" in results[2]["error"] and "more cells" in results[3]["error"]
    # without --text-column the abstract column is not found: said, not guessed
    with pytest.raises(SystemExit, match="'text' column"):
        main(["extract", str(src)])


def test_the_curation_store_is_the_same_from_any_folder_and_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TRIALEX_DB_URL", raising=False)
    monkeypatch.delenv("TRIALEX_DB_SCHEMA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            [
                {
                    "id": 5,
                    "data": {"text": "P = 0.04 in 140 patients", "doc_id": "d1"},
                    "annotations": [
                        {
                            "id": 9,
                            "completed_by": 1,
                            "result": [
                                {
                                    "id": "r1",
                                    "from_name": "label",
                                    "to_name": "text",
                                    "type": "labels",
                                    "value": {"start": 0, "end": 8, "text": "P = 0.04", "labels": ["PValue"]},
                                }
                            ],
                        }
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    expected = f"curation store: sqlite:///{tmp_path / 'data' / 'trialex' / 'curation.sqlite3'}\n"
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert main(["curation", "import-ls", str(export), "--no-extract"]) == 0
    assert capsys.readouterr().err.count(expected) == 1
    monkeypatch.chdir(tmp_path / "b")  # another folder: the same store
    assert main(["curation", "status"]) == 0
    out = capsys.readouterr()
    assert out.err == expected and json.loads(out.out)["documents"] == 1
    assert not [p for f in ("a", "b") for p in (tmp_path / f).iterdir()]  # nothing left in the folders
    # --db wins, and is the store named
    assert main(["curation", "status", "--db", str(tmp_path / "other.sqlite3")]) == 0
    out = capsys.readouterr()
    assert (
        out.err == f"curation store: sqlite:///{tmp_path / 'other.sqlite3'}\n" and json.loads(out.out)["documents"] == 0
    )
