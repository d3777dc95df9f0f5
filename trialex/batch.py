"""`trialex batch`: extraction over many documents, resumable, on one process or on Dask.

Input (by what INPUT is):

- a folder: every ``*.txt`` file in it (not recursive), id = the file name;
- a ``.csv`` file: columns ``id``, ``text`` and optionally ``lang`` (other columns ignored;
  ``--id-column``, ``--text-column``, ``--lang-column`` name others);
- anything else (or ``-`` for stdin): JSONL, one ``{"id", "text", "lang"?}`` object a line
  (a record without ``id`` gets its line index among non-blank lines, as in `trialex extract`).

Output: JSONL, one line per input document, in input order: the API's result
(``{"id", "lang", "drugs", ...}``) or, for a document that could not be processed,
``{"id": ..., "error": "..."}``; the run goes on (exit status 3 says that some failed).

Resuming: the output file is opened for appending; ids already in it are skipped, so a
re-run after a crash or kill only does what is missing.  Every line is flushed as it is
written, so a killed run loses at most the line in flight; a torn last line (no newline,
or not JSON) is cut off before appending.

``--engine dask`` spreads partitions of documents over a Dask cluster: ``--scheduler
ADDRESS`` for a running one (whose workers have trialex installed), otherwise a
LocalCluster of ``--workers`` processes.  Every worker process loads one Extractor (a
worker plugin loads it at start; a lazily created per-process global otherwise), each
partition comes back as plain JSON-ready dicts, and results are written in input order.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

LANGS = ("auto", "ja", "en")
EXIT_SOME_FAILED = 3
CSV_COLUMNS = {"id": "id", "text": "text", "lang": "lang"}  # field: the CSV column it is read from (default)

# -- input --------------------------------------------------------------------------------


def _error(doc_id, message: str) -> dict:
    return {"id": doc_id, "error": message}


def check_record(rec: dict, default_lang: str = "auto") -> dict:
    """A record ready for the pipeline ({"id","text","lang"}), or {"id","error"}."""
    doc_id = rec.get("id")
    if doc_id is not None and not isinstance(doc_id, str):
        doc_id = (
            str(doc_id) if isinstance(doc_id, (int, float)) and not isinstance(doc_id, bool) else json.dumps(doc_id)
        )
    if "error" in rec:
        return _error(doc_id, rec["error"])
    text = rec.get("text")
    if not isinstance(text, str):
        return _error(doc_id, f"text must be a string, not {type(text).__name__}" if "text" in rec else "no text")
    if not text.strip():
        return _error(doc_id, "text is empty or whitespace only")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return _error(doc_id, f"text is not valid Unicode (unpaired surrogate at character {exc.start})")
    lang = rec.get("lang") or default_lang
    if lang not in LANGS:
        return _error(doc_id, f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return {"id": doc_id, "text": text, "lang": lang}


def read_jsonl(stream) -> Iterator[dict]:
    """Records of a binary JSONL stream; a line that is not UTF-8 JSON becomes an error record."""
    index = 0
    for line_no, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            rec = {"error": f"line {line_no} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at {exc.start})"}
        except ValueError as exc:
            rec = {"error": f"line {line_no} is not JSON: {exc}"}
        if not isinstance(rec, dict):
            rec = {"error": f"line {line_no} is not a JSON object"}
        rec.setdefault("id", str(index))
        index += 1
        yield rec


def read_csv(path: Path, columns: dict[str, str] = CSV_COLUMNS) -> Iterator[dict]:
    """Rows of a CSV file with columns id, text[, lang] (named by COLUMNS); undecodable bytes make
    that row an error."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # abstracts longer than 128 kB
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if columns["text"] not in fields:
            raise SystemExit(
                f"{path}: a CSV input needs a {columns['text']!r} column (found {fields}; --text-column names another)"
            )
        for index, row in enumerate(reader):
            rec = {
                "id": row.get(columns["id"]) or str(index),
                "text": row.get(columns["text"]),
                "lang": row.get(columns["lang"]) or None,
            }
            if isinstance(rec["text"], str):
                try:
                    rec["text"].encode("utf-8")
                except UnicodeEncodeError as exc:
                    rec = {
                        "id": rec["id"],
                        "error": f"row {index + 1}: text is not valid UTF-8 (at character {exc.start})",
                    }
            if None in row:  # more cells than header columns
                rec = {"id": rec["id"], "error": f"row {index + 1} has more cells than the header"}
            yield rec


def read_folder(path: Path) -> Iterator[dict]:
    """One record per *.txt file (sorted by name); id = the file name."""
    for f in sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file()):
        try:
            yield {"id": f.name, "text": f.read_bytes().decode("utf-8")}
        except UnicodeDecodeError as exc:
            yield {
                "id": f.name,
                "error": f"file is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            }
        except OSError as exc:
            yield {"id": f.name, "error": f"cannot read file: {exc.strerror or exc}"}


def input_kind(src: str) -> str:
    if src != "-" and Path(src).is_dir():
        return "folder"
    if src.lower().endswith(".csv"):
        return "csv"
    return "jsonl"


def read_records(src: str, lang: str = "auto", columns: dict[str, str] = CSV_COLUMNS) -> Iterator[dict]:
    """Checked records of INPUT (see the module doc): pipeline-ready or {"id","error"}."""
    kind = input_kind(src)
    if kind == "folder":
        raw = read_folder(Path(src))
    elif kind == "csv":
        raw = read_csv(Path(src), columns)
    elif src == "-":
        raw = read_jsonl(sys.stdin.buffer)
    else:

        def _lines():
            with open(src, "rb") as fh:
                yield from read_jsonl(fh)

        raw = _lines()
    for rec in raw:
        yield check_record(rec, lang)


def count_records(src: str, columns: dict[str, str] = CSV_COLUMNS) -> int | None:
    """Number of input documents, for the progress bar (None for stdin)."""
    kind = input_kind(src)
    if src == "-":
        return None
    if kind == "folder":
        return sum(1 for p in Path(src).iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    if kind == "csv":
        return sum(1 for _ in read_csv(Path(src), columns))
    with open(src, "rb") as fh:
        return sum(1 for line in fh if line.strip())


# -- output (resumable) ------------------------------------------------------------------


def load_done(path: Path) -> set[str | None]:
    """Ids already in OUTPUT.  A torn last line (the run was killed while writing it) is
    cut off the file; a last line that is whole JSON but lacks its newline gets one."""
    done: set[str | None] = set()
    if not path.exists():
        return done
    size = path.stat().st_size
    good_end = 0  # the file is kept up to here
    with path.open("rb") as fh:
        for raw in fh:
            try:
                rec = json.loads(raw.decode("utf-8")) if raw.strip() else None
            except ValueError:
                rec = None
                if not raw.endswith(b"\n"):
                    break  # torn last line: dropped below
            if isinstance(rec, dict) and "id" in rec:
                done.add(rec["id"])
            good_end += len(raw)
    if good_end < size:
        with path.open("r+b") as fh:
            fh.truncate(good_end)
    elif size and not raw.endswith(b"\n"):
        with path.open("ab") as fh:
            fh.write(b"\n")
    return done


class Writer:
    """Appends one JSON line per result, flushed at once; errors also go to --errors."""

    def __init__(self, path: str, errors_path: str | None = None, mode: str = "a") -> None:
        self.stdout = path == "-"
        self.fh = sys.stdout if self.stdout else open(path, mode, encoding="utf-8")
        self.errors = open(errors_path, "a", encoding="utf-8") if errors_path else None
        self.written = 0
        self.failed = 0

    def write(self, result: dict) -> None:
        line = json.dumps(result, ensure_ascii=False)
        self.fh.write(line + "\n")
        self.fh.flush()
        self.written += 1
        if "error" in result:
            self.failed += 1
            if self.errors:
                self.errors.write(line + "\n")
                self.errors.flush()

    def close(self) -> None:
        if not self.stdout:
            self.fh.close()
        if self.errors:
            self.errors.close()


# -- extraction ---------------------------------------------------------------------------

_EXTRACTOR = None  # one per process: loaded on first use (or by the Dask worker plugin)


def get_extractor():
    global _EXTRACTOR
    if _EXTRACTOR is None:
        from trialex.pipelines.pipeline import Extractor

        _EXTRACTOR = Extractor()
    return _EXTRACTOR


def process_partition(records: list[dict], batch_size: int = 64) -> list[dict]:
    """Results of checked records, in order; one failing document fails only itself.

    Runs on the calling process (local engine) or on a Dask worker (a partition in, a list
    of plain dicts out).  Records that are already errors pass through unchanged.
    """
    extractor = get_extractor()
    out: list[dict | None] = [r if "error" in r else None for r in records]
    todo = [i for i, r in enumerate(records) if "error" not in r]
    try:
        results = list(extractor.extract_many([records[i] for i in todo]))
        for i, res in zip(todo, results):
            out[i] = res
    except Exception:  # find the bad document(s): one at a time
        for i in todo:
            rec = records[i]
            try:
                out[i] = extractor.extract(rec["text"], rec["lang"], rec["id"])
            except Exception as exc:
                out[i] = _error(rec["id"], f"extraction failed: {type(exc).__name__}: {exc}")
    return out  # type: ignore[return-value]


def chunks(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    part: list[dict] = []
    for item in items:
        part.append(item)
        if len(part) >= size:
            yield part
            part = []
    if part:
        yield part


class Progress:
    """The progress bar of a run (tqdm, on stderr), opened only once the pipelines are loaded, so
    that its rate and ETA count extraction alone; just before it, the load time is printed once."""

    def __init__(self, desc: str, total: int | None, disable: bool = False) -> None:
        self.desc, self.total, self.disable = desc, total, disable
        self.t0 = time.perf_counter()
        self.bar: tqdm | None = None

    def start(self, what: str = "pipelines loaded") -> None:
        from tqdm import tqdm

        print(f"{self.desc}: {what} in {time.perf_counter() - self.t0:.1f} s", file=sys.stderr, flush=True)
        self.bar = tqdm(
            total=self.total, unit="doc", file=sys.stderr, disable=self.disable, desc=self.desc, dynamic_ncols=True
        )

    def update(self, n: int = 1) -> None:
        assert self.bar is not None, "start() first"
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_local(records: Iterable[dict], writer: Writer, progress: Progress, batch_size: int) -> None:
    get_extractor()
    progress.start()
    for part in chunks(records, batch_size):
        for result in process_partition(part, batch_size):
            writer.write(result)
            progress.update(1)


class _LoadExtractor:
    """Dask worker plugin: each worker process loads its pipelines once, at start."""

    name = "trialex-extractor"

    def setup(self, worker) -> None:
        get_extractor()

    def teardown(self, worker) -> None:
        pass


def _worker_plugin():
    from distributed import WorkerPlugin

    class LoadExtractor(_LoadExtractor, WorkerPlugin):
        pass

    return LoadExtractor()


def run_dask(
    records: Iterable[dict],
    writer: Writer,
    progress: Progress,
    *,
    scheduler: str | None,
    workers: int,
    partition_size: int,
    batch_size: int,
    log=None,
) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SystemExit("--engine dask needs the dask extra: pip install 'trialex[dask]'") from exc

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
        client = Client(cluster)
    try:
        client.register_plugin(_worker_plugin())
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        progress.start(f"{n_workers} Dask workers started, their pipelines loaded")
        window = 2 * n_workers  # partitions in flight: bounded memory, every worker busy
        pending: deque = deque()  # (partition, future), in input order
        parts = chunks(records, partition_size)

        def submit_next() -> bool:
            part = next(parts, None)
            if part is None:
                return False
            fut = client.submit(process_partition, part, batch_size, pure=False)
            pending.append((part, fut))
            return True

        while len(pending) < window and submit_next():
            pass
        while pending:
            part, fut = pending.popleft()
            try:
                results = fut.result()
            except Exception as exc:  # a worker died or the task failed as a whole
                results = [
                    r if "error" in r else _error(r["id"], f"worker failed: {type(exc).__name__}: {exc}") for r in part
                ]
            for result in results:
                writer.write(result)
                progress.update(1)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- command ------------------------------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    done: set = set()
    if args.output != "-":
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        done = load_done(Path(args.output))
    skipped = 0

    def todo() -> Iterator[dict]:
        nonlocal skipped
        for rec in read_records(args.input, args.lang, csv_columns(args)):
            if rec["id"] in done:
                skipped += 1
                progress.update(1)
                continue
            yield rec

    progress = Progress("trialex batch", count_records(args.input, csv_columns(args)), args.no_progress)
    writer = Writer(args.output, args.errors)
    try:
        if args.engine == "dask":
            run_dask(
                todo(),
                writer,
                progress,
                scheduler=args.scheduler,
                workers=args.workers,
                partition_size=args.partition_size,
                batch_size=args.batch_size,
            )
        else:
            run_local(todo(), writer, progress, args.batch_size)
    finally:
        progress.close()
        writer.close()
    secs = time.perf_counter() - t0
    print(
        f"trialex batch: {writer.written} written ({writer.failed} errors), {skipped} already done, {secs:.1f}s",
        file=sys.stderr,
    )
    return EXIT_SOME_FAILED if writer.failed else 0


def add_input_options(p: argparse.ArgumentParser) -> None:
    """--lang and the CSV column options, the same for `trialex batch` and `trialex extract`."""
    p.add_argument("--lang", default="auto", choices=list(LANGS), help="for documents without a lang")
    for field, column in CSV_COLUMNS.items():
        p.add_argument(f"--{field}-column", default=column, help=f"CSV input: the column of the document's {field}")


def csv_columns(args: argparse.Namespace) -> dict[str, str]:
    return {field: getattr(args, f"{field}_column") for field in CSV_COLUMNS}


def register(subparsers) -> None:
    b = subparsers.add_parser("batch", description=__doc__)
    b.add_argument("input", help="a .jsonl file (or - for stdin), a .csv file, or a folder of .txt files")
    b.add_argument(
        "-o",
        "--output",
        required=True,
        help="results, JSONL; appended to, and ids already in it are skipped (- for stdout)",
    )
    b.add_argument("--errors", help="also write the {id, error} lines of failed documents here")
    add_input_options(b)
    b.add_argument("--batch-size", type=int, default=64, help="documents per nlp.pipe batch")
    b.add_argument("--engine", choices=["local", "dask"], default="local", help="where extraction runs")
    b.add_argument("--scheduler", help="with --engine dask: address of a running scheduler (tcp://host:8786)")
    b.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="with --engine dask and no --scheduler: LocalCluster worker processes (default: the cores)",
    )
    b.add_argument("--partition-size", type=int, default=256, help="with --engine dask: documents per task")
    b.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    b.set_defaults(func=cmd_batch)
