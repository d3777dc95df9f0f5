"""Commands of the curation loop (registered into `trialex` by trialex.cli):

    trialex export  [INPUT] --format label-studio|prodigy|doccano|gold|spacy [--out PATH] [--offsets utf16]
    trialex view    [INPUT] [--id ID | --doc KEY] [-o page.html]
    trialex curation init|status|preannotate|import-ls|history ...

INPUT is JSONL: gold lines (the spec's format) are exported as they are; lines with only
``{"id", "text", "lang"?}`` are extracted first.  Without INPUT, ``export`` reads the curation
store (``--db``, default TRIALEX_DB_URL or curation.sqlite3 in the user's data directory): the curated documents
(``--source corrections``, default) or their latest pre-annotations (``--source extractions``).
The loop: ``trialex export --format gold --out curated.jsonl`` then ``trialex evaluate curated.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .formats.gold import gold_to_record
from .formats.label_studio import LabelConfig, parse_label_config, to_label_studio
from .formats.offsets import OFFSETS
from .formats.records import KINDS, is_ignored, jsonl_or_text, missing_values, result_to_record
from .formats.writers import FORMATS, write


def _read_jsonl_or_text(path: str) -> tuple[list[dict] | None, str]:
    data = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    # stand-off gold ("source", no text) gets its text from --shared
    return jsonl_or_text(data, lambda r: isinstance(r.get("text"), str) or "source" in r), data


def _is_gold(rec: dict) -> bool:
    return any(isinstance(rec.get(k), list) for k in (*KINDS, "ignore"))


def _is_result(rec: dict) -> bool:
    return any(isinstance(rec.get(k), list) for k in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"))


def records_from_lines(lines: list[dict], lang: str = "auto", extractor=None) -> list[dict]:
    """Gold lines as they are, extractor results with text as they are, plain documents extracted."""
    out: list[dict | None] = [None] * len(lines)
    todo = []
    for i, rec in enumerate(lines):
        if _is_gold(rec):
            out[i] = gold_to_record(rec)
        elif _is_result(rec):
            out[i] = result_to_record(rec, rec["text"])
        else:
            todo.append(i)
    if todo:
        if extractor is None:
            from trialex.pipelines.pipeline import Extractor
            extractor = Extractor()
        docs = [{"id": lines[i].get("id", str(i)), "text": lines[i]["text"], "lang": lines[i].get("lang") or lang}
                for i in todo]
        for i, doc, res in zip(todo, docs, extractor.extract_many(docs)):
            out[i] = result_to_record(res, doc["text"])
    return [r for r in out if r is not None]


def _store(args):
    """The store of --db/--schema; which one it is goes to stderr (once: each command opens one)."""
    from .store import CurationStore
    store = CurationStore(args.db, schema=args.schema or os.environ.get("TRIALEX_DB_SCHEMA") or None)
    print(f"curation store: {store.engine.url.render_as_string(hide_password=True)}"
          + (f" (schema {store.schema})" if store.schema else ""), file=sys.stderr)
    return store


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="store URL or SQLite path (default: $TRIALEX_DB_URL, else curation.sqlite3 "
                                "in the user's data directory, ~/.local/share/trialex on Linux)")
    p.add_argument("--schema", help="PostgreSQL schema of the tables (default: $TRIALEX_DB_SCHEMA)")


def _ids(args) -> list[str] | None:
    return [x for x in args.ids.split(",") if x] if getattr(args, "ids", None) else None


def cmd_export(args: argparse.Namespace) -> int:
    if args.input:
        lines, _ = _read_jsonl_or_text(args.input)
        if lines is None:
            print(f"{args.input}: not JSONL of {{'id', 'text', ...}} lines", file=sys.stderr)
            return 2
        if any("text" not in ln for ln in lines):
            from .evaluation import attach_texts
            lines = attach_texts(lines, Path(args.shared))
        records = records_from_lines(lines, args.lang)
        wanted = _ids(args)
        if wanted is not None:
            records = [r for r in records if r.get("id") in set(wanted)]
    else:
        store = _store(args)
        records = store.curated(_ids(args)) if args.source == "corrections" else store.extracted(_ids(args))
    if args.format == "spacy" and not args.out:
        print("--format spacy writes a binary DocBin: give --out PATH.spacy", file=sys.stderr)
        return 2
    incomplete = sum(1 for r in records for s in r["spans"] if missing_values(s) and not is_ignored(s))
    if args.format == "label-studio":
        cfg = parse_label_config(Path(args.label_config).read_text(encoding="utf-8")) if args.label_config \
            else LabelConfig()
        payload = json.dumps(to_label_studio(records, args.offsets or "utf16", args.source == "corrections"
                                             and not args.input, cfg), ensure_ascii=False, indent=1)
        if args.out:
            Path(args.out).write_text(payload, encoding="utf-8")
        else:
            sys.stdout.write(payload)
        n = len(records)
    elif args.out:
        n = write(records, args.format, args.out, args.offsets)
    else:
        n = write(records, args.format, sys.stdout, args.offsets)
    print(f"exported {n} documents as {args.format}" + (f" to {args.out}" if args.out else "")
          + (f"; {incomplete} spans lack their key values" + (" (moved to ignore)" if args.format == "gold" else "")
             if incomplete else ""),
          file=sys.stderr)
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from .render import render_record

    if args.doc:
        store = _store(args)
        recs = store.curated([args.doc]) if args.source == "corrections" else store.extracted([args.doc])
        if not recs:
            print(f"no {args.source} stored for {args.doc!r}", file=sys.stderr)
            return 1
        record = recs[0]
    else:
        lines, raw = _read_jsonl_or_text(args.input)
        if lines is None:
            lines = [{"id": args.id or (Path(args.input).stem if args.input != "-" else "document"),
                      "text": raw.rstrip("\n"), "lang": args.lang}]
        if args.id:
            lines = [ln for ln in lines if str(ln.get("id")) == args.id]
            if not lines:
                print(f"no line with id {args.id!r}", file=sys.stderr)
                return 1
        record = records_from_lines(lines[:1], args.lang)[0]
    page = render_record(record)
    out = args.output or f"{record.get('id') or 'view'}.html".replace("/", "_").replace(":", "_")
    Path(out).write_text(page, encoding="utf-8")
    print(out)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    store = _store(args)
    print(store.engine.url.render_as_string(hide_password=True))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    print(json.dumps(_store(args).stats(), indent=1))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    for row in _store(args).history(args.key):
        print(json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
                          if k != "raw"}, ensure_ascii=False))
    return 0


def cmd_preannotate(args: argparse.Namespace) -> int:
    """Extract every document, store it with its pre-annotation, optionally write LS tasks."""
    from trialex.pipelines.pipeline import MODEL_VERSION, Extractor

    lines, _ = _read_jsonl_or_text(args.input)
    if lines is None:
        print(f"{args.input}: not JSONL of {{'id', 'text', 'lang'?}} lines", file=sys.stderr)
        return 2
    store = _store(args)
    extractor = Extractor()
    docs = [{"id": str(ln.get("id", i)), "text": ln["text"], "lang": ln.get("lang") or "auto"}
            for i, ln in enumerate(lines)]
    records = []
    for doc, res in zip(docs, extractor.extract_many(docs)):
        store.add_preannotation(doc["id"], doc["text"], MODEL_VERSION, result=res, lang=res["lang"])
        records.append(result_to_record(res, doc["text"]))
    if args.tasks:
        cfg = parse_label_config(Path(args.label_config).read_text(encoding="utf-8")) if args.label_config \
            else LabelConfig()
        Path(args.tasks).write_text(json.dumps(to_label_studio(records, "utf16", False, cfg), ensure_ascii=False,
                                               indent=1), encoding="utf-8")
    print(f"stored {len(records)} documents with {MODEL_VERSION} pre-annotations"
          + (f"; Label Studio tasks in {args.tasks}" if args.tasks else ""), file=sys.stderr)
    return 0


def cmd_import_ls(args: argparse.Namespace) -> int:
    """A Label Studio JSON export (tasks with their annotations) into the store as corrections."""
    from .formats.label_studio import ingest_ls_annotation
    from .store import InvalidInput

    tasks = json.loads(Path(args.export).read_text(encoding="utf-8"))
    if isinstance(tasks, dict):
        tasks = [tasks]
    cfg = parse_label_config(Path(args.label_config).read_text(encoding="utf-8")) if args.label_config \
        else LabelConfig()
    store = _store(args)
    extract = None
    if not args.no_extract:
        from trialex.pipelines.pipeline import Extractor
        extractor = Extractor()
        extract = lambda text: extractor.extract(text, "auto")  # noqa: E731
    n = new = 0
    warnings, errors = [], []
    for task in tasks:
        for ann in task.get("annotations") or []:
            try:
                res = ingest_ls_annotation(store, task, ann, cfg, action="imported", project=args.project,
                                           offsets=args.offsets, extract=extract)
            except InvalidInput as exc:  # what the store cannot hold (NUL, numbers out of range, ...)
                errors.append(f"task {task.get('id')!r}, annotation {ann.get('id')!r}: {exc}")
                continue
            n += 1
            new += not res["unchanged"]
            warnings += res["warnings"]
    for w in warnings:
        print("warning:", w, file=sys.stderr)
    for e in errors:
        print("error:", e, file=sys.stderr)
    print(f"imported {n} annotations ({new} new versions)" + (f"; {len(errors)} refused" if errors else ""),
          file=sys.stderr)
    return 3 if errors else 0


def register(sub) -> None:
    x = sub.add_parser("export")
    x.add_argument("input", nargs="?", help="JSONL (gold lines, or {id,text,lang} to extract); "
                                            "omit to export from the curation store")
    x.add_argument("--format", "-f", required=True, choices=FORMATS, help="the output format")
    x.add_argument("--out", "-o", help="output file (default stdout; required for spacy)")
    x.add_argument("--offsets", choices=OFFSETS, default=None,
                   help="codepoint (Python, the default) or utf16 (JavaScript); label-studio defaults to utf16")
    _store_options(x)
    x.add_argument("--source", choices=["corrections", "extractions"], default="corrections",
                   help="from the store: the curated versions or the latest pre-annotations")
    x.add_argument("--ids", help="comma-separated document ids to export (default all)")
    x.add_argument("--lang", default="auto", choices=["auto", "ja", "en"], help="for documents without a lang")
    x.add_argument("--label-config", help="label-studio: name regions after this labelling config XML")
    x.add_argument("--shared", default="../shared", help="where the shared corpora are, for stand-off gold "
                                                         "lines without text")
    x.set_defaults(func=cmd_export)

    v = sub.add_parser("view")
    v.add_argument("input", nargs="?", default="-", help="text file, JSONL (first line or --id), or - (stdin)")
    v.add_argument("--id", help="the JSONL line with this id")
    v.add_argument("--doc", help="a document of the curation store instead of INPUT")
    v.add_argument("--source", choices=["corrections", "extractions"], default="corrections",
                   help="with --doc: the curated version or the latest pre-annotation")
    _store_options(v)
    v.add_argument("--lang", default="auto", choices=["auto", "ja", "en"], help="for a document without a lang")
    v.add_argument("-o", "--output", help="the .html file (default ID.html)")
    v.set_defaults(func=cmd_view)

    c = sub.add_parser("curation")
    cs = c.add_subparsers(dest="curation_command", required=True, metavar="COMMAND")
    for name, fn, helptext in (("init", cmd_init, "create the tables; print the database URL"),
                               ("status", cmd_status, "counts of documents, pre-annotations, corrections")):
        p = cs.add_parser(name, help=helptext, description=helptext)
        _store_options(p)
        p.set_defaults(func=fn)
    p = cs.add_parser("history", help="every stored version of the corrections (of one document)")
    p.add_argument("key", nargs="?", help="a document key (default: every document)")
    _store_options(p)
    p.set_defaults(func=cmd_history)
    p = cs.add_parser("preannotate", help="extract JSONL documents, store them with their pre-annotations, "
                                          "optionally write Label Studio tasks")
    p.add_argument("input", help="JSONL of {id, text, lang?} lines")
    _store_options(p)
    p.add_argument("--tasks", help="write Label Studio tasks (JSON, UTF-16 offsets) here")
    p.add_argument("--label-config", help="labelling config XML the tasks are for (default: the shipped one)")
    p.set_defaults(func=cmd_preannotate)
    p = cs.add_parser("import-ls", help="store the annotations of a Label Studio JSON export as corrections")
    p.add_argument("export", help="the JSON export (a list of tasks with their annotations)")
    _store_options(p)
    p.add_argument("--project", help="project id, for tasks without data.doc_id")
    p.add_argument("--label-config", help="labelling config XML the annotations were made with "
                                          "(default: the shipped one)")
    p.add_argument("--offsets", choices=OFFSETS, default="utf16", help="how the export counts offsets")
    p.add_argument("--no-extract", action="store_true", help="do not run the extractor to fill missing values")
    p.set_defaults(func=cmd_import_ls)
