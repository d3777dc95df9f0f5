"""`trialex batch`: JSONL / CSV / folder inputs, resuming, bad documents, Dask = local."""

from __future__ import annotations

import csv
import json

import pytest

from trialex import batch
from trialex.cli import main

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"
EN = "Of 140 patients, 56 (40%) responded to rituximab 375 mg/m2 weekly (P = 0.01)."


@pytest.fixture(autouse=True)
def shared_extractor(learned, monkeypatch):
    """The local engine uses the session's default extractor (what a Dask worker loads)."""
    monkeypatch.setattr(batch, "_EXTRACTOR", learned)


def run(*argv: str) -> int:
    return main(["batch", *argv, "--no-progress"])


def read(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def docs(n: int) -> list[dict]:
    out = []
    for i in range(n):
        if i % 2:
            out.append(
                {"id": f"d{i}", "text": f"{i + 10} 例中 {i + 2} 例が奏効した（P＝0.0{i % 9 + 1}）。{JA}", "lang": "ja"}
            )
        else:
            out.append({"id": f"d{i}", "text": f"{EN} In {i + 20} patients P < 0.0{i % 9 + 1}."})
    return out


def write_jsonl(path, records) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_jsonl_input(tmp_path, learned):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(
        src,
        [
            {"id": "ja", "text": JA},
            {"id": "en", "text": EN, "lang": "en"},
            {"text": "Twelve patients (n = 12) were randomised."},
        ],
    )
    assert run(str(src), "-o", str(out)) == 0
    results = read(out)
    assert [r["id"] for r in results] == ["ja", "en", "2"]  # no id: index of the line
    assert results[0]["lang"] == "ja" and results[0]["p_values"][0]["value"] == 0.003
    assert results[1]["response_rates"][0]["percent"] == 40.0
    assert results[2]["trial_sizes"][0]["n"] == 12
    # the same shape as the API / Extractor.extract
    expected = learned.extract(JA, "auto", "ja")
    for key in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
        assert results[0][key] == expected[key]


def test_csv_input(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "lang", "source"])
        w.writerow(["c1", "Line one, with a comma.\nP = 0.04 in 33 patients", "en", "x"])
        w.writerow(["c2", JA, "", "y"])
    assert run(str(src), "-o", str(out)) == 0
    r1, r2 = read(out)
    assert (r1["id"], r2["id"]) == ("c1", "c2")
    assert r1["p_values"][0]["value"] == 0.04 and r1["trial_sizes"][0]["n"] == 33
    text = "Line one, with a comma.\nP = 0.04 in 33 patients"
    p = r1["p_values"][0]
    assert text[p["start"] : p["end"]] == p["text"] == "P = 0.04"
    assert r2["lang"] == "ja" and r2["trial_sizes"][0]["n"] == 185


def test_folder_input_with_an_undecodable_file(tmp_path):
    folder, out, errors = tmp_path / "abstracts", tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    folder.mkdir()
    (folder / "b.txt").write_text(JA, encoding="utf-8")
    (folder / "a.txt").write_text(EN, encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"P = 0.01 \xff\xfe in 40 patients")
    (folder / "notes.md").write_text("not an abstract", encoding="utf-8")
    assert run(str(folder), "-o", str(out), "--errors", str(errors)) == batch.EXIT_SOME_FAILED
    results = read(out)
    assert [r["id"] for r in results] == ["a.txt", "b.txt", "bad.txt"]
    assert results[0]["p_values"][0]["value"] == 0.01 and results[1]["p_values"][0]["value"] == 0.003
    assert set(results[2]) == {"id", "error"} and "UTF-8" in results[2]["error"]
    assert read(errors) == [results[2]]


def test_bad_documents_are_reported_and_the_rest_come_out(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps({"id": "ok1", "text": EN}),
        json.dumps({"id": "int", "text": 123}),
        "{not json",
        json.dumps({"id": "blank", "text": "   "}),
        json.dumps({"id": "lang", "text": EN, "lang": "fr"}),
        '{"id": "surrogate", "text": "\\ud800 P = 0.5"}',
        json.dumps({"id": "notext"}),
        json.dumps({"id": "ok2", "text": JA}, ensure_ascii=False),
    ]
    src.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"id": "bytes", "text": "\xff"}\n')
    assert run(str(src), "-o", str(out)) == batch.EXIT_SOME_FAILED
    results = read(out)
    assert [r["id"] for r in results] == ["ok1", "int", "2", "blank", "lang", "surrogate", "notext", "ok2", "8"]
    errors = {r["id"]: r["error"] for r in results if "error" in r}
    assert set(errors) == {"int", "2", "blank", "lang", "surrogate", "notext", "8"}
    assert "string" in errors["int"] and "JSON" in errors["2"] and "UTF-8" in errors["8"]
    assert results[0]["p_values"][0]["value"] == 0.01 and results[7]["p_values"][0]["value"] == 0.003


def test_a_document_that_breaks_the_pipeline_fails_alone(tmp_path, extractor, monkeypatch):
    class Flaky:
        """The real extractor, except that any batch or document with BOOM raises."""

        def extract_many(self, records):
            records = list(records)
            if any("BOOM" in r["text"] for r in records):
                raise RuntimeError("boom")
            return extractor.extract_many(records)

        def extract(self, text, lang="auto", doc_id=None):
            if "BOOM" in text:
                raise RuntimeError("boom")
            return extractor.extract(text, lang, doc_id)

    monkeypatch.setattr(batch, "_EXTRACTOR", Flaky())
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, [{"id": "a", "text": EN}, {"id": "b", "text": "BOOM P = 0.2"}, {"id": "c", "text": JA}])
    assert run(str(src), "-o", str(out)) == batch.EXIT_SOME_FAILED
    a, b, c = read(out)
    assert a["p_values"][0]["value"] == 0.01 and c["p_values"][0]["value"] == 0.003
    assert b == {"id": "b", "error": "extraction failed: RuntimeError: boom"}


def test_resume_skips_done_ids_and_drops_a_torn_line(tmp_path, extractor, monkeypatch):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records = docs(6)
    write_jsonl(src, records)
    # a previous run wrote d0 and d1, then was killed while writing d2
    previous = [dict(extractor.extract(r["text"], r.get("lang", "auto"), r["id"]), marker=True) for r in records[:2]]
    torn = json.dumps(extractor.extract(records[2]["text"], "auto", "d2"))[:40]
    out.write_text("".join(json.dumps(p) + "\n" for p in previous) + torn, encoding="utf-8")

    seen: list[str] = []
    real = batch.process_partition

    def spy(part, batch_size=64):
        seen.extend(r["id"] for r in part)
        return real(part, batch_size)

    monkeypatch.setattr(batch, "process_partition", spy)
    assert run(str(src), "-o", str(out)) == 0
    assert seen == ["d2", "d3", "d4", "d5"]  # only what was missing
    results = read(out)  # every line is JSON again: the torn one is gone
    assert [r["id"] for r in results] == ["d0", "d1", "d2", "d3", "d4", "d5"]
    assert results[0]["marker"] and results[1]["marker"]  # earlier lines untouched
    seen.clear()
    assert run(str(src), "-o", str(out)) == 0  # a second re-run has nothing to do
    assert seen == [] and len(read(out)) == 6


def test_resume_keeps_a_whole_last_line_without_newline(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "p_values": []}\n{"id": "b", "p_values": []}', encoding="utf-8")
    assert batch.load_done(out) == {"a", "b"}
    assert out.read_text(encoding="utf-8").endswith("}\n")


def strip_timing(results: list[dict]) -> list[dict]:
    for r in results:
        r.get("meta", {}).pop("elapsed_ms", None)
    return results


def test_dask_local_cluster_equals_single_process(tmp_path):
    pytest.importorskip("distributed")
    src = tmp_path / "in.jsonl"
    records = docs(10)
    records.insert(4, {"id": "bad", "text": 42})
    write_jsonl(src, records)
    local, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert run(str(src), "-o", str(local)) == batch.EXIT_SOME_FAILED
    assert (
        run(str(src), "-o", str(dask_out), "--engine", "dask", "--workers", "2", "--partition-size", "3")
        == batch.EXIT_SOME_FAILED
    )
    a, b = strip_timing(read(local)), strip_timing(read(dask_out))
    assert [r["id"] for r in b] == [r["id"] for r in records]  # input order
    assert a == b
    assert sum("error" in r for r in b) == 1


def test_the_progress_bar_starts_once_the_pipelines_are_loaded(tmp_path, learned, monkeypatch, capsys):
    """Its rate and ETA count extraction alone; the load time is printed once, before it."""
    import re
    import time

    import tqdm

    events: list[str] = []

    def slow_extractor():  # loading the pipelines, shortened
        time.sleep(0.5)
        events.append("loaded")
        return learned

    class Bar(tqdm.tqdm):
        def __init__(self, *args, **kwargs):
            events.append("bar")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(batch, "_EXTRACTOR", None)
    monkeypatch.setattr("trialex.pipelines.pipeline.Extractor", slow_extractor)
    monkeypatch.setattr(tqdm, "tqdm", Bar)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, docs(3))
    assert main(["batch", str(src), "-o", str(out)]) == 0  # with its progress bar
    assert events == ["loaded", "bar"]
    err = capsys.readouterr().err
    loaded = re.findall(r"trialex batch: pipelines loaded in (\d+\.\d) s\n", err)
    assert len(loaded) == 1 and float(loaded[0]) >= 0.5
    assert err.index("pipelines loaded in") < err.index("%|") and "3/3" in err
    assert len(read(out)) == 3


def test_csv_columns_named_by_options(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["pmid", "abstract"], ["111", EN], ["222", JA]])
    assert run(str(src), "-o", str(out), "--id-column", "pmid", "--text-column", "abstract") == 0
    a, b = read(out)
    assert (a["id"], b["id"]) == ("111", "222") and b["lang"] == "ja" and a["p_values"][0]["value"] == 0.01
    with pytest.raises(SystemExit, match="'text' column"):
        run(str(src), "-o", str(tmp_path / "other.jsonl"))
