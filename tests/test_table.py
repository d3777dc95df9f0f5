"""The evidence table (trialex.table, `trialex table`): one row per arm × outcome, each cell
with its spans, written as CSV, JSON and XLSX (read back with openpyxl, and by LibreOffice
where it is installed)."""
import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trialex.table import COLUMNS, rows, table, to_csv, to_json, to_xlsx

ROOT = Path(__file__).resolve().parent.parent
TEXT = ("MMF 群 185 例とプラセボ群 180 例を比較した。MMF 群では 185 例中 104 例（56.2%）、プラセボ群では 180 例中 "
        "50 例（27.8%）が完全寛解に至った（ハザード比 0.72、95%信頼区間 0.58～0.89、P＝0.002）。MMF 3 g/日を投与した。")


@pytest.fixture(scope="module")
def result(learned):
    return learned.extract(TEXT, "ja", "doc-1")


def test_one_row_per_arm_and_outcome_with_spans(result):
    got = rows(result)
    assert [r["cells"]["arm"] for r in got] == ["MMF 群", "プラセボ群"]
    mmf, placebo = (r["cells"] for r in got)
    assert (mmf["drugs"], mmf["n"], mmf["responders"], mmf["N"], mmf["percent"]) == \
        ("mycophenolate mofetil", 185, 104, 185, 56.2)
    assert mmf["doses"] == "3000 mg/day" and mmf["outcome"] == "完全寛解"
    assert placebo["percent"] == 27.8 and placebo["N"] == 180
    assert "HR 0.72 (95% CI 0.58 to 0.89)" in mmf["comparison"] and "P = 0.002" in mmf["p_value"]
    for r in got:  # every cell with a value says where it comes from
        for column, spans in r["spans"].items():
            for s, e in spans:
                assert 0 <= s < e <= len(TEXT), column


def test_csv_and_json(result):
    t = table([result])
    parsed = list(csv.reader(io.StringIO(to_csv(t))))
    assert parsed[0] == [*COLUMNS, "spans"] and len(parsed) == 3
    assert json.loads(parsed[1][-1])["percent"] == [[TEXT.index("56.2%"), TEXT.index("56.2%") + 5]]
    data = json.loads(to_json(t))
    assert data["columns"] == list(COLUMNS) and len(data["rows"]) == 2


def test_xlsx_reads_back_with_frozen_header_and_span_comments(result, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    path.write_bytes(to_xlsx(table([result])))
    wb = load_workbook(path)
    ws = wb["evidence"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert ws.cell(row=2, column=COLUMNS.index("percent") + 1).value == 56.2
    assert "characters" in ws.cell(row=2, column=COLUMNS.index("percent") + 1).comment.text
    assert wb["spans"].max_row > 2


def test_xlsx_opens_in_libreoffice(result, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    (tmp_path / "t.xlsx").write_bytes(to_xlsx(table([result])))
    subprocess.run([office, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(tmp_path / "t.xlsx")],
                   check=True, capture_output=True, timeout=180)
    text = (tmp_path / "t.csv").read_text(encoding="utf-8", errors="replace")
    assert "56.2" in text and "27.8" in text


def test_cli_table_writes_csv_and_xlsx(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "d1", "text": TEXT}, ensure_ascii=False) + "\n", encoding="utf-8")
    for ext in ("csv", "xlsx"):
        out = tmp_path / f"t.{ext}"
        proc = subprocess.run([sys.executable, "-m", "trialex.cli", "table", str(src), "-o", str(out), "--no-progress"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_size > 0 and "1 documents" in proc.stderr
    assert "56.2" in (tmp_path / "t.csv").read_text(encoding="utf-8")
