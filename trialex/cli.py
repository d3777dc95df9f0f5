"""The `trialex` command: serve, extract, evaluate (and batch, export, view, curation from their modules)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Iterator, TextIO


PLUGIN_COMMANDS = ("trialex.batch", "trialex.curation", "trialex.table", "trialex.train")


def _open_in(path: str) -> TextIO:
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def read_documents(stream: TextIO, lang: str = "auto") -> Iterator[dict]:
    """JSONL ({"id", "text", "lang"?} a line) or, if the input is not JSONL, one plain-text document."""
    data = stream.read()
    # split on newlines only: str.splitlines() would also cut texts at U+2028 or U+0085
    lines = [ln for ln in data.split("\n") if ln.strip()]
    records = []
    try:
        for ln in lines:
            rec = json.loads(ln)
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError
            records.append(rec)
    except ValueError:
        records = None
    if not lines:
        return iter(())
    if records is None:
        return iter([{"id": None, "text": data, "lang": lang}])
    return iter({"id": r.get("id", str(i)), "text": r["text"], "lang": r.get("lang") or lang}
                for i, r in enumerate(records))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from trialex.service.config import default_workers

    workers = args.workers if args.workers is not None else default_workers()
    uvicorn.run("trialex.service.app:app", host=args.host, port=args.port, workers=workers,
                log_level=args.log_level)
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from trialex.pipelines.pipeline import Extractor

    extractor = Extractor()
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    with _open_in(args.input) as fh:
        docs = read_documents(fh, args.lang)
        for result in extractor.extract_many(docs):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from trialex.evaluation import evaluate_sets, load_gold, read_sets, score_gold
    from trialex.pipelines.pipeline import Extractor

    extractor = Extractor(decisions=not args.rules_only)
    shared = Path(args.shared)
    if not args.gold:
        rows = evaluate_sets(extractor, read_sets(Path(args.sets)), shared)
        print(json.dumps(rows, ensure_ascii=False, indent=1) if args.json else _sets_table(rows))
        return 0
    report = score_gold(extractor, load_gold(Path(args.gold), shared))
    if args.errors:
        for e in report.errors:
            if args.kind and e["kind"] != args.kind:
                continue
            print(json.dumps(e, ensure_ascii=False))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.table())
    return 0


def _sets_table(rows: list[dict]) -> str:
    from trialex.evaluation import KINDS

    short = {"drug": "drug", "dose": "dose", "trial_size": "size", "response_rate": "rate", "p_value": "p"}
    head = f"{'set':<20}{'role':<7}{'lang':<5}{'docs':>5}" + "".join(f"{short[k]:>7}" for k in KINDS)
    lines = [head + f"{'macro-F1':>10}  95% CI"]
    for r in rows:
        if "missing" in r:
            lines.append(f"{r['file']:<20}{r['role']:<7}{r['lang']:<5}  (not built yet)")
            continue
        s = r["scores"]
        ci = s["macro_f1_ci95"]
        lines.append(f"{r['file']:<20}{r['role']:<7}{r['lang']:<5}{s['documents']:>5}"
                     + "".join(f"{s['kinds'][k]['f1']:>7.3f}" for k in KINDS)
                     + f"{s['macro_f1']:>10.3f}  [{ci[0]:.3f}, {ci[1]:.3f}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from trialex import __version__

    p = argparse.ArgumentParser(prog="trialex", description=__doc__)
    p.add_argument("--version", action="version", version=f"trialex {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=None,
                   help="worker processes, each with its own pipelines (default: $TRIALEX_WORKERS or 1)")
    s.add_argument("--log-level", default="info")
    s.set_defaults(func=cmd_serve)

    e = sub.add_parser("extract", help="extract from JSONL or plain text; one JSON result a line")
    e.add_argument("input", nargs="?", default="-", help="file, or - for stdin (default)")
    e.add_argument("--lang", default="auto", choices=["auto", "ja", "en"])
    e.add_argument("-o", "--output", help="write results here instead of stdout")
    e.set_defaults(func=cmd_extract)

    v = sub.add_parser("evaluate", help="score the pipeline on gold JSONL (the spec's format); "
                       "without a file, every set of annotations/sets.json with its role")
    v.add_argument("gold", nargs="?", help="one gold file (default: every set listed in --sets)")
    v.add_argument("--sets", default="annotations/sets.json",
                   help="the list of gold sets and their roles (default annotations/sets.json)")
    v.add_argument("--errors", action="store_true", help="list every miss (FN) and false positive (FP)")
    v.add_argument("--kind", choices=["drug", "dose", "trial_size", "response_rate", "p_value"],
                   help="with --errors: only this kind")
    v.add_argument("--json", action="store_true", help="print the scores as JSON")
    v.add_argument("--rules-only", action="store_true",
                   help="score the rule path alone (the fallback without the trained models of models/decisions/)")
    v.add_argument("--shared", default="../shared",
                   help="where the shared corpora are, for stand-off gold without text (default ../shared)")
    v.set_defaults(func=cmd_evaluate)

    # Further commands live in their own modules, each with register(subparsers):
    # trialex.batch (batch, Dask) and trialex.curation (export, view, curation store).
    for module in PLUGIN_COMMANDS:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
