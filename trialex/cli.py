"""The `trialex` command: serve, extract, evaluate (and batch, table, train, export, view, curation
from their own modules, each imported only when one of its commands runs)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import TextIO
from collections.abc import Iterable, Iterator

# command: (module with register(subparsers), one-line help).  Only the module of the command
# that runs is imported, so that `trialex --version` and `--help` stay cheap (docs/cli.md):
# trialex.train alone imports spaCy and the pipelines.
PLUGINS = {
    "batch": ("trialex.batch", "extract from JSONL, CSV or a folder of .txt files; resumable; local or Dask"),
    "table": ("trialex.table", "the evidence table (one row per arm × outcome) as CSV, XLSX or JSON"),
    "train": ("trialex.train", "rebuild the trained decisions from annotations/ (models/decisions/)"),
    "export": ("trialex.curation", "export documents with extractions or corrections "
                                   "(label-studio, prodigy, doccano, gold, spacy)"),
    "view": ("trialex.curation", "write an HTML page of one document with the five kinds highlighted"),
    "curation": ("trialex.curation", "the store of curated corrections (init, status, preannotate, "
                                     "import-ls, history)"),
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written; every option with a help text says its default (unless None/False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Every parser and sub-parser of the command (sub-parsers are of their parent's class): help
    that says the defaults."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


class _Commands:
    """The subparsers action as a plugin's register() sees it: one-line helps from PLUGINS."""

    def __init__(self, sub) -> None:
        self.sub = sub

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("help", PLUGINS[name][1])
        return self.sub.add_parser(name, **kwargs)


def _open_in(path: str) -> TextIO:
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def read_documents(stream: TextIO, lang: str = "auto") -> Iterator[dict]:
    """JSONL ({"id", "text", "lang"?} a line) or, if the input is not JSONL, one plain-text document."""
    from trialex.formats.records import jsonl_or_text

    data = stream.read()
    records = jsonl_or_text(data, lambda r: isinstance(r.get("text"), str))
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
    """Like `trialex batch` (its readers, its {"id", "error"} lines) but JSONL or plain text on
    stdin too, and no resuming."""
    from trialex.batch import (EXIT_SOME_FAILED, Progress, Writer, check_record, csv_columns, input_kind,
                               read_records, run_local)

    records: Iterable[dict]
    if input_kind(args.input) == "jsonl":
        with _open_in(args.input) as fh:
            records = [check_record(r, args.lang) for r in read_documents(fh, args.lang)]
    else:  # a .csv file or a folder of .txt files: read as `trialex batch` reads them
        records = read_records(args.input, args.lang, csv_columns(args))
    writer = Writer(args.output or "-", mode="w")
    try:
        run_local(records, writer, Progress("trialex extract", None, disable=True), 64)
    finally:
        writer.close()
    return EXIT_SOME_FAILED if writer.failed else 0


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


def build_parser(modules: set[str] | None = None) -> argparse.ArgumentParser:
    """The command's parser.  Of the plugin modules only those in MODULES are imported (None:
    all); the other commands get a stand-in parser that shows their one-line help."""
    from trialex import __version__
    from trialex.batch import add_input_options

    p = Parser(prog="trialex", description=__doc__)
    p.add_argument("--version", action="version", version=f"trialex {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on")
    s.add_argument("--port", type=int, default=8000, help="port to listen on")
    s.add_argument("--workers", type=int, default=None,
                   help="worker processes, each with its own pipelines (default: $TRIALEX_WORKERS or 1)")
    s.add_argument("--log-level", default="info", help="uvicorn's log level")
    s.set_defaults(func=cmd_serve)

    e = sub.add_parser("extract", help="extract from JSONL, plain text, CSV or a folder of .txt files; "
                                       "one JSON result a line")
    e.add_argument("input", nargs="?", default="-",
                   help="JSONL or plain text file, - for stdin, a .csv file, or a folder of .txt files")
    e.add_argument("-o", "--output", help="write results here instead of stdout")
    add_input_options(e)
    e.set_defaults(func=cmd_extract)

    v = sub.add_parser("evaluate", help="score the pipeline on gold JSONL (the spec's format); "
                       "without a file, every set of annotations/sets.json with its role")
    v.add_argument("gold", nargs="?", help="one gold file (default: every set listed in --sets)")
    v.add_argument("--sets", default="annotations/sets.json", help="the list of gold sets and their roles")
    v.add_argument("--errors", action="store_true", help="list every miss (FN) and false positive (FP)")
    v.add_argument("--kind", choices=["drug", "dose", "trial_size", "response_rate", "p_value"],
                   help="with --errors: only this kind")
    v.add_argument("--json", action="store_true", help="print the scores as JSON")
    v.add_argument("--rules-only", action="store_true",
                   help="score the rule path alone (the fallback without the trained models of models/decisions/)")
    v.add_argument("--shared", default="../shared",
                   help="where the shared corpora are, for stand-off gold without text")
    v.set_defaults(func=cmd_evaluate)

    commands = _Commands(sub)
    registered: set[str] = set()
    for name, (module, helptext) in PLUGINS.items():
        if module in registered:
            continue
        if modules is None or module in modules:
            importlib.import_module(module).register(commands)
            registered.add(module)
        else:
            sub.add_parser(name, help=helptext, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser({PLUGINS[command][0]} if command in PLUGINS else set()).parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
