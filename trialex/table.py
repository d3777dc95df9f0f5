"""The evidence table: one row per arm × outcome, each cell with the spans it comes from.

Rows are built from results (the API's JSON) and written as CSV, XLSX (openpyxl: one
sheet, frozen header, each cell's source span as a cell comment, and a second sheet
listing every span) or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable

COLUMNS = ("document", "arm", "drugs", "doses", "n", "responders", "N", "percent", "outcome",
           "comparison", "p_value", "checks")


def _dose_text(d: dict) -> str:
    norm = d.get("normalized") or {}
    lo, hi, unit = norm.get("min"), norm.get("max"), norm.get("unit", "")
    return f"{lo:g} {unit}" if lo == hi else f"{lo:g}-{hi:g} {unit}"


def _effect_text(e: dict) -> str:
    s = f"{e['measure']} {e['value']:g}"
    if "ci_low" in e:
        s += f" ({e['ci_level']:g}% CI {e['ci_low']:g} to {e['ci_high']:g})"
    return s


def _p_text(p: dict) -> str:
    return f"P {p['operator']} {p['value']:g}"


def _span(m: dict) -> list[int]:
    return [m["start"], m["end"]]


def rows(result: dict) -> list[dict]:
    """Rows of one result: ``{"cells": {column: value}, "spans": {column: [[s, e], ...]}}``."""
    drugs, doses = result.get("drugs", []), result.get("doses", [])
    sizes, rates = result.get("trial_sizes", []), result.get("response_rates", [])
    effects, pvals = result.get("effects", []), result.get("p_values", [])
    out = []
    for arm in result.get("arms", []):
        names = list(dict.fromkeys(drugs[i]["name"] for i in arm["drugs"]))
        base_cells = {"document": result.get("id") or "", "arm": arm["label"], "drugs": "; ".join(names),
                      "doses": "; ".join(dict.fromkeys(_dose_text(doses[i]) for i in arm["doses"]))}
        base_spans = {"drugs": [_span(drugs[i]) for i in arm["drugs"]],
                      "doses": [_span(doses[i]) for i in arm["doses"]]}
        if "n" in arm:
            base_cells["n"] = sizes[arm["n"]]["n"]
            base_spans["n"] = [_span(sizes[arm["n"]])]
        comparison = [effects[i] for i in arm.get("effects", [])]
        ps = [pvals[i] for i in arm.get("p_values", [])]
        for res in arm["results"] or [None]:
            cells, spans = dict(base_cells), {k: list(v) for k, v in base_spans.items()}
            if res is not None:
                r = rates[res["response_rate"]]
                cells.update(percent=r["percent"], outcome=r.get("outcome") or "",
                             responders=r.get("numerator", ""), N=r.get("denominator", cells.get("n", "")))
                spans["percent"] = [_span(r)]
            if comparison:
                cells["comparison"] = "; ".join(_effect_text(e) for e in comparison)
                spans["comparison"] = [_span(e) for e in comparison]
            if ps:
                cells["p_value"] = "; ".join(_p_text(p) for p in ps)
                spans["p_value"] = [_span(p) for p in ps]
            row_spans = {tuple(s) for v in spans.values() for s in v}
            fired = [c for c in result.get("checks", []) if any(tuple(s) in row_spans for s in c["spans"])]
            if fired:
                cells["checks"] = "; ".join(c["message"] for c in fired)
            out.append({"cells": {c: cells.get(c, "") for c in COLUMNS}, "spans": spans})
    return out


def table(results: Iterable[dict]) -> list[dict]:
    return [row for r in results for row in rows(r)]


def to_csv(table_rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*COLUMNS, "spans"])
    for row in table_rows:
        w.writerow([row["cells"][c] for c in COLUMNS] + [json.dumps(row["spans"])])
    return buf.getvalue()


def to_json(table_rows: list[dict]) -> str:
    return json.dumps({"columns": list(COLUMNS), "rows": table_rows}, ensure_ascii=False)


def to_xlsx(table_rows: list[dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "evidence"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    spans_ws = wb.create_sheet("spans")
    spans_ws.append(["row", "column", "start", "end"])
    for r, row in enumerate(table_rows, start=2):
        ws.append([row["cells"][c] for c in COLUMNS])
        for col, spans in row["spans"].items():
            if not spans:
                continue
            c = ws.cell(row=r, column=COLUMNS.index(col) + 1)
            c.comment = Comment("characters " + ", ".join(f"{s}-{e}" for s, e in spans), "trialex")
            for s, e in spans:
                spans_ws.append([r, col, s, e])
    for i, col in enumerate(COLUMNS, start=1):
        width = max([len(str(col))] + [len(str(row["cells"][col])) for row in table_rows[:200]])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WRITERS: dict[str, Callable[[list[dict]], str | bytes]] = {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# -- command ------------------------------------------------------------------------------


def cmd_table(args) -> int:
    import sys
    import time
    from pathlib import Path

    from tqdm import tqdm

    from trialex.batch import count_records, read_records
    from trialex.pipelines.pipeline import Extractor

    fmt = args.format or Path(args.output).suffix.lstrip(".").lower() or "csv"
    if fmt not in WRITERS:
        print(f"trialex table: unknown format {fmt!r} (csv, xlsx, json)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    extractor = Extractor()
    print(f"trialex table: pipelines loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    records = [r for r in read_records(args.input, args.lang) if "error" not in r]
    results = []
    with tqdm(total=count_records(args.input), unit="doc", file=sys.stderr, disable=args.no_progress,
              desc="trialex table", dynamic_ncols=True) as progress:
        for result in extractor.extract_many(records):
            results.append(result)
            progress.update(1)
    body = WRITERS[fmt](table(results))
    Path(args.output).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    print(f"trialex table: {len(results)} documents → {args.output}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    import argparse

    t = subparsers.add_parser("table", help="the evidence table (one row per arm × outcome) as CSV, XLSX or JSON",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("input", help="a .jsonl file (or - for stdin), a .csv file, or a folder of .txt files")
    t.add_argument("-o", "--output", required=True, help="table.xlsx, table.csv or table.json")
    t.add_argument("--format", choices=sorted(WRITERS), help="default: from the output's extension")
    t.add_argument("--lang", default="auto", choices=["auto", "en", "ja"], help="for documents without a lang")
    t.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    t.set_defaults(func=cmd_table)
