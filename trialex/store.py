"""The curation store: documents, pre-annotations and curators' corrections (SQLAlchemy 2.x).

Nothing is ever updated in place or erased:

* ``documents`` — one row per document key (the task's ``doc_id``, or ``label-studio:<project>:<task>``),
  with its exact text and SHA-256.  A different text under an existing key is refused
  (:class:`DocumentConflict`), so offsets stored for a key always refer to one text.
* ``preannotations`` — what a model version extracted from a document (the spans and the raw
  result).  A new model version adds a row; the same output of the same version is not repeated.
* ``corrections`` — every save of every curator's annotation is a new row with the next
  ``version`` of its ``(source, external_id)``, the spans in code points with their values, the
  raw payload, and the model version (and pre-annotation row) it corrected.  Deleting an
  annotation adds a row with ``action="deleted"``; the earlier versions stay readable.
* ``projects`` — the label configs Label Studio sent to /setup (never its access token).

The curated set (:meth:`CurationStore.curated`) is, per document, the latest version of its live
annotations, a ground-truth annotation first.

Creation is safe under concurrency (several workers opening a brand-new store at once): the tables
are created in one transaction that first takes a lock every creator waits for — SQLite's write
lock (``BEGIN IMMEDIATE``, waiting up to ``busy_timeout``), a transaction-level advisory lock on
PostgreSQL — and are checked for again once the lock is held; a creator that finds the database
busy anyway retries with a short back-off.

Input the store cannot hold is refused with :class:`InvalidInput` (a ``ValueError``): NUL characters
and unpaired surrogates in any text (PostgreSQL refuses them; refused on SQLite too so both behave
alike), and span values
that are not finite numbers or lie beyond ±2**53 (the integers a JSON reader such as JavaScript
keeps exactly).

Durability: each write is one transaction.  SQLite (the default, a file needing no set-up) runs
in WAL mode with ``synchronous=FULL`` and ``BEGIN IMMEDIATE`` for writes, so a process killed
mid-write loses at most the transaction it was in and never corrupts the file.  Any SQLAlchemy
URL works (``postgresql+psycopg://user@host/db``); ``schema=`` puts the tables in a PostgreSQL
schema (created if missing) and ``prefix=`` prefixes the table names.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint, create_engine, event, func, select, text as sql_text)
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from .formats.records import KINDS, result_to_spans, sort_spans

DEFAULT_DB = "curation.sqlite3"  # in the user's data directory (platformdirs), not the current folder
LIVE_ACTIONS = ("created", "updated", "imported")


def default_url() -> str:
    """TRIALEX_DB_URL, else the SQLite file curation.sqlite3 in the user's data directory
    (``$XDG_DATA_HOME/trialex``, by default ``~/.local/share/trialex`` on Linux): the same store
    whatever folder a command runs from."""
    url = os.environ.get("TRIALEX_DB_URL")
    if url:
        return url
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('trialex', appauthor=False) / DEFAULT_DB}"


def normalise_url(url: str | None) -> str:
    """Accept a bare path for SQLite and plain postgresql:// (psycopg 3 is the driver shipped)."""
    if not url:
        url = default_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class InvalidInput(ValueError):
    """Input the store refuses (a client error: the service answers 422)."""


class DocumentConflict(InvalidInput):
    """A document key already stored with a different text (the service answers 409)."""


MAX_EXACT_INT = 2 ** 53


def check_storable(**fields: Any) -> None:
    """Refuse strings no text column can hold: a NUL character (PostgreSQL refuses it) or an
    unpaired surrogate (no UTF-8 for it); refused on SQLite too, so both stores behave alike."""
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise InvalidInput(f"{name} contains a NUL character (U+0000) at position {value.index(chr(0))}; "
                               "the store cannot hold it — remove it")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"{name} has an unpaired surrogate U+{ord(value[exc.start]):04X} at position "
                               f"{exc.start}; send valid Unicode") from None


def _unstorable(*values: Any) -> bool:
    """A key no store can hold is never stored (see check_storable): reads of one find nothing."""
    for v in values:
        if isinstance(v, str):
            try:
                check_storable(key=v)
            except InvalidInput:
                return True
    return False


def _check_number(where: str, key: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{where}: {key}={value!r} is not a finite number")
    if isinstance(value, (int, float)) and abs(value) > MAX_EXACT_INT:
        shown = repr(value) if len(repr(value)) <= 24 else repr(value)[:20] + f"… ({len(repr(value))} digits)"
        raise InvalidInput(f"{where}: {key}={shown} is out of range (at most 2**53 in magnitude)")


def _inserted_id(res: CursorResult) -> int:
    """The id of the row an INSERT added (SQLAlchemy types the key Optional for every statement)."""
    key = res.inserted_primary_key
    assert key is not None
    return key[0]


def _now() -> datetime:
    return datetime.now(UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_spans(spans: Iterable[dict]) -> list[dict]:
    out = []
    for s in spans:
        if s.get("kind") not in KINDS:
            raise InvalidInput(f"span kind must be one of {KINDS}: {s!r}")
        if not (isinstance(s.get("start"), int) and isinstance(s.get("end"), int) and s["start"] < s["end"]):
            raise InvalidInput(f"span needs integer start < end: {s!r}")
        for k, v in s.items():
            _check_number(f"{s['kind']} span {s['start']}..{s['end']}", k, v)
        out.append({k: v for k, v in s.items() if not k.startswith("_")})
    return sort_spans(out)


def _transient(exc: DBAPIError) -> bool:
    """Errors the database asks to retry: SQLite busy/locked; PostgreSQL serialization failure,
    deadlock, lock not available, or a catalog row inserted by a concurrent creator."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None)
    if code in ("40001", "40P01", "55P03", "23505"):
        return True
    msg = str(orig or exc).lower()
    return "database is locked" in msg or "database table is locked" in msg or "busy" in msg


def build_tables(metadata: MetaData, prefix: str = "") -> dict[str, Table]:
    p = prefix
    documents = Table(
        f"{p}documents", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(512), nullable=False, unique=True),
        Column("text", Text, nullable=False),
        Column("text_sha256", String(64), nullable=False),
        Column("lang", String(8)),
        Column("meta", JSON),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    preannotations = Table(
        f"{p}preannotations", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("document_id", Integer, ForeignKey(f"{documents.fullname}.id"), nullable=False),
        Column("model_version", String(128), nullable=False),
        Column("spans_sha256", String(64), nullable=False),
        Column("spans", JSON, nullable=False),
        Column("result", JSON),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("document_id", "model_version", "spans_sha256", name=f"{p}uq_pre_doc_version"),
    )
    corrections = Table(
        f"{p}corrections", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("document_id", Integer, ForeignKey(f"{documents.fullname}.id"), nullable=False),
        Column("source", String(64), nullable=False),
        Column("external_id", String(256), nullable=False),
        Column("version", Integer, nullable=False),
        Column("action", String(16), nullable=False),
        Column("spans", JSON),
        Column("raw", JSON),
        Column("model_version", String(128)),
        Column("preannotation_id", Integer, ForeignKey(f"{preannotations.fullname}.id")),
        Column("annotator", String(256)),
        Column("ground_truth", Boolean, nullable=False, default=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("source", "external_id", "version", name=f"{p}uq_corr_version"),
    )
    Index(f"{p}ix_corr_document", corrections.c.document_id)
    Index(f"{p}ix_pre_document", preannotations.c.document_id)
    projects = Table(
        f"{p}projects", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("project", String(256), nullable=False),
        Column("label_config", Text),
        Column("hostname", String(1024)),
        Column("model_version", String(128)),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Index(f"{p}ix_projects_project", projects.c.project)
    return {"documents": documents, "preannotations": preannotations, "corrections": corrections,
            "projects": projects}


class CurationStore:
    """Documents, pre-annotations and versioned corrections in any SQLAlchemy database."""

    def __init__(self, url: str | None = None, *, schema: str | None = None, prefix: str = "",
                 create: bool = True, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.schema = schema
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if self.url.startswith("sqlite:///") and not self.url.endswith(":memory:"):
                Path(self.url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            self._sqlite_setup(self.engine)
        self.metadata = MetaData(schema=schema)
        self.t = build_tables(self.metadata, prefix)
        if create:
            self.create()

    # ---------------------------------------------------------------- set-up

    @staticmethod
    def _sqlite_setup(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # transactions are begun explicitly below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop("trialex_write", False) else "BEGIN")

    def create(self, attempts: int = 8) -> None:
        """Create the schema and tables if missing, once, also when several processes open a new
        store at the same moment: one transaction holds a lock every creator waits for (SQLite:
        the write lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock keyed on the schema and
        prefix) and checks for the tables under it.  Busy/locked errors are retried."""
        for attempt in range(attempts):
            try:
                with self._write() as conn:
                    if not self.is_sqlite:
                        lock_key = zlib.crc32(f"trialex-store:{self.schema}:{self.t['documents'].name}".encode())
                        conn.execute(sql_text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
                        if self.schema:
                            conn.execute(sql_text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                    self.metadata.create_all(conn)
                return
            except (OperationalError, IntegrityError) as exc:
                if attempt + 1 == attempts or not _transient(exc):
                    raise
                time.sleep(0.05 * 2 ** attempt * (0.5 + random.random()))

    def drop(self) -> None:
        self.metadata.drop_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE, waiting up to 30 s for the write lock)."""
        with self.engine.connect() as conn:
            conn.info["trialex_write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("trialex_write", None)

    def _read(self):
        return self.engine.connect()

    # ---------------------------------------------------------------- documents

    def _doc_row(self, conn: Connection, key: str):
        d = self.t["documents"]
        return conn.execute(select(d).where(d.c.key == key)).mappings().first()

    def ensure_document(self, key: str, text: str, lang: str | None = None, meta: dict | None = None) -> int:
        """The document's id, inserting it on first sight; a different text under the key raises."""
        check_storable(document_key=key, text=text, lang=lang)
        d = self.t["documents"]
        for _ in range(3):
            with self._read() as conn:
                row = self._doc_row(conn, key)
            if row is not None:
                if row["text_sha256"] != _sha(text):
                    raise DocumentConflict(
                        f"document {key!r} is stored with a different text (sha256 {row['text_sha256'][:12]}…); "
                        "offsets would not refer to the same characters — use another doc_id")
                return row["id"]
            try:
                with self._write() as conn:
                    res = conn.execute(d.insert().values(key=key, text=text, text_sha256=_sha(text), lang=lang,
                                                         meta=meta, created_at=_now()))
                    return _inserted_id(res)
            except IntegrityError:
                continue  # inserted concurrently: read it again
        raise RuntimeError(f"could not store document {key!r}")

    def document(self, key: str) -> dict | None:
        if _unstorable(key):
            return None
        with self._read() as conn:
            row = self._doc_row(conn, key)
        return dict(row) if row is not None else None

    def documents(self) -> list[dict]:
        d = self.t["documents"]
        with self._read() as conn:
            return [dict(r) for r in conn.execute(select(d).order_by(d.c.id)).mappings()]

    # ---------------------------------------------------------------- pre-annotations

    def add_preannotation(self, key: str, text: str, model_version: str, *, spans: list[dict] | None = None,
                          result: dict | None = None, lang: str | None = None) -> int:
        """Store what ``model_version`` extracted (``spans`` or an extractor ``result``)."""
        if spans is None:
            if result is None:
                raise ValueError("give spans or result")
            spans = result_to_spans(result)
        spans = _clean_spans(spans)
        check_storable(model_version=model_version)
        doc_id = self.ensure_document(key, text, lang or (result or {}).get("lang"))
        p = self.t["preannotations"]
        sha = hashlib.sha256(json.dumps(spans, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        with self._read() as conn:
            row = conn.execute(select(p.c.id).where(p.c.document_id == doc_id, p.c.model_version == model_version,
                                                    p.c.spans_sha256 == sha)).first()
        if row is not None:
            return row[0]
        try:
            with self._write() as conn:
                res = conn.execute(p.insert().values(document_id=doc_id, model_version=model_version,
                                                     spans_sha256=sha, spans=spans, result=result,
                                                     created_at=_now()))
                return _inserted_id(res)
        except IntegrityError:
            with self._read() as conn:
                return conn.execute(select(p.c.id).where(p.c.document_id == doc_id,
                                                         p.c.model_version == model_version,
                                                         p.c.spans_sha256 == sha)).scalar_one()

    def latest_preannotation(self, key: str) -> dict | None:
        if _unstorable(key):
            return None
        d, p = self.t["documents"], self.t["preannotations"]
        with self._read() as conn:
            row = conn.execute(select(p).join(d, d.c.id == p.c.document_id).where(d.c.key == key)
                               .order_by(p.c.id.desc()).limit(1)).mappings().first()
        return dict(row) if row is not None else None

    def preannotations(self, key: str) -> list[dict]:
        if _unstorable(key):
            return []
        d, p = self.t["documents"], self.t["preannotations"]
        with self._read() as conn:
            return [dict(r) for r in conn.execute(select(p).join(d, d.c.id == p.c.document_id)
                                                  .where(d.c.key == key).order_by(p.c.id)).mappings()]

    # ---------------------------------------------------------------- corrections

    def add_correction(self, key: str, text: str, spans: list[dict] | None, *, source: str = "api",
                       external_id: str | None = None, action: str = "created", model_version: str | None = None,
                       preannotation_id: int | None = None, annotator: str | None = None,
                       ground_truth: bool = False, raw: Any = None, lang: str | None = None) -> dict:
        """Append one version of a curator's annotation; returns {"id", "version", "document_id"}."""
        spans = _clean_spans(spans) if spans is not None else None
        check_storable(source=source, external_id=external_id, action=action, model_version=model_version,
                annotator=annotator)
        for s in spans or []:
            if s["end"] > len(text):
                raise InvalidInput(f"span {s['start']}..{s['end']} is past the end of the text ({len(text)})")
        doc_id = self.ensure_document(key, text, lang)
        external_id = external_id or f"{key}"
        if model_version is None or preannotation_id is None:
            pre = self.latest_preannotation(key)
            if pre is not None:
                model_version = model_version or pre["model_version"]
                preannotation_id = preannotation_id or pre["id"]
        return self._append(doc_id, source=source, external_id=str(external_id), action=action, spans=spans,
                            model_version=model_version, preannotation_id=preannotation_id, annotator=annotator,
                            ground_truth=ground_truth, raw=raw)

    def _append(self, doc_id: int, **values: Any) -> dict:
        c, d = self.t["corrections"], self.t["documents"]
        for _ in range(10):
            try:
                with self._write() as conn:
                    if not self.is_sqlite:  # serialise versions of one document
                        conn.execute(select(d.c.id).where(d.c.id == doc_id).with_for_update())
                    last = conn.execute(select(c.c.id, c.c.version, c.c.action, c.c.spans, c.c.ground_truth).where(
                        c.c.source == values["source"], c.c.external_id == values["external_id"])
                        .order_by(c.c.version.desc()).limit(1)).first()
                    if (last is not None and last.action == values["action"] and last.spans == values["spans"]
                            and bool(last.ground_truth) == bool(values.get("ground_truth"))):
                        # the same save sent again (a retried webhook, a re-import): nothing new
                        return {"id": last.id, "version": last.version, "document_id": doc_id, "unchanged": True}
                    version = (last.version if last is not None else 0) + 1
                    res = conn.execute(c.insert().values(document_id=doc_id, version=version,
                                                         created_at=_now(), **values))
                    return {"id": _inserted_id(res), "version": version, "document_id": doc_id,
                            "unchanged": False}
            except IntegrityError:
                continue
        raise RuntimeError("could not append the correction (version races)")

    def delete_correction(self, external_id: str, *, source: str = "label-studio", annotator: str | None = None,
                          raw: Any = None, action: str = "deleted") -> dict | None:
        """Mark an annotation deleted (a new version with no spans); None if it was never stored."""
        if _unstorable(external_id, source):
            return None
        check_storable(annotator=annotator)
        c = self.t["corrections"]
        with self._read() as conn:
            row = conn.execute(select(c).where(c.c.source == source, c.c.external_id == str(external_id))
                               .order_by(c.c.version.desc()).limit(1)).mappings().first()
        if row is None:
            return None
        return self._append(row["document_id"], source=source, external_id=str(external_id), action=action,
                            spans=None, model_version=row["model_version"],
                            preannotation_id=row["preannotation_id"], annotator=annotator,
                            ground_truth=row["ground_truth"], raw=raw)

    def history(self, key: str | None = None) -> list[dict]:
        """Every correction row (of one document, or all), oldest first."""
        c, d = self.t["corrections"], self.t["documents"]
        q = select(c, d.c.key).join(d, d.c.id == c.c.document_id).order_by(c.c.id)
        if key is not None:
            if _unstorable(key):
                return []
            q = q.where(d.c.key == key)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def curated(self, keys: Iterable[str] | None = None) -> list[dict]:
        """Records (see trialex.formats.records) of every document with a live correction: per document
        the latest version of each annotation; of those not deleted, a ground-truth one first,
        then the most recently saved."""
        c, d = self.t["corrections"], self.t["documents"]
        wanted = set(keys) if keys is not None else None
        with self._read() as conn:
            rows = list(conn.execute(select(c).order_by(c.c.id)).mappings())
            docs = {r["id"]: dict(r) for r in conn.execute(select(d)).mappings()}
        latest: dict[tuple[str, str], dict] = {}
        for r in rows:
            latest[(r["source"], r["external_id"])] = dict(r)
        best: dict[int, dict] = {}
        for r in latest.values():
            if r["action"] not in LIVE_ACTIONS:
                continue
            cur = best.get(r["document_id"])
            if cur is None or (bool(r["ground_truth"]), r["id"]) > (bool(cur["ground_truth"]), cur["id"]):
                best[r["document_id"]] = r
        out = []
        for doc_id in sorted(best, key=lambda i: docs[i]["id"]):
            doc, corr = docs[doc_id], best[doc_id]
            if wanted is not None and doc["key"] not in wanted:
                continue
            out.append({"id": doc["key"], "lang": doc["lang"], "text": doc["text"],
                        "spans": corr["spans"] or [], "correction_id": corr["id"], "version": corr["version"],
                        "model_version": corr["model_version"], "source": corr["source"],
                        "external_id": corr["external_id"]})
        return out

    def extracted(self, keys: Iterable[str] | None = None) -> list[dict]:
        """Records of the latest pre-annotation of every document that has one."""
        p, d = self.t["preannotations"], self.t["documents"]
        wanted = set(keys) if keys is not None else None
        with self._read() as conn:
            rows = list(conn.execute(select(p).order_by(p.c.id)).mappings())
            docs = {r["id"]: dict(r) for r in conn.execute(select(d)).mappings()}
        latest: dict[int, dict] = {}
        for r in rows:
            latest[r["document_id"]] = dict(r)
        out = []
        for doc_id in sorted(latest):
            doc = docs[doc_id]
            if wanted is not None and doc["key"] not in wanted:
                continue
            out.append({"id": doc["key"], "lang": doc["lang"], "text": doc["text"], "spans": latest[doc_id]["spans"],
                        "model_version": latest[doc_id]["model_version"], "preannotation_id": latest[doc_id]["id"]})
        return out

    def stats(self) -> dict:
        with self._read() as conn:
            counts = {name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                      for name, t in self.t.items()}
        counts["curated_documents"] = len(self.curated())
        return counts

    # ---------------------------------------------------------------- projects

    def add_project(self, project: str, label_config: str | None, hostname: str | None = None,
                    model_version: str | None = None) -> int:
        check_storable(project=project, label_config=label_config, hostname=hostname, model_version=model_version)
        pr = self.t["projects"]
        with self._write() as conn:
            res = conn.execute(pr.insert().values(project=str(project), label_config=label_config,
                                                  hostname=hostname, model_version=model_version,
                                                  created_at=_now()))
            return _inserted_id(res)

    def project_config(self, project: str | int | None) -> str | None:
        """The latest label config /setup stored for a project (its id, or LS's "id.timestamp")."""
        if project is None:
            return None
        pr = self.t["projects"]
        pid = str(project)
        if _unstorable(pid):
            return None
        with self._read() as conn:
            row = conn.execute(select(pr.c.label_config).where(
                (pr.c.project == pid) | (pr.c.project.like(pid + ".%"))).order_by(pr.c.id.desc()).limit(1)).first()
        return row[0] if row else None

    def integrity_problems(self) -> list[str]:
        """What is wrong with the stored data ([] when nothing), on any database: every row is read
        (a damaged page fails the read) and the store's invariants are checked — each text matches
        its SHA-256, every pre-annotation and correction names a stored document, the versions of
        each annotation run 1, 2, 3… without a gap, every stored span lies inside its text.  SQLite
        also runs its own ``PRAGMA integrity_check``."""
        d, p, c = self.t["documents"], self.t["preannotations"], self.t["corrections"]
        problems: list[str] = []
        try:
            with self._read() as conn:
                if self.is_sqlite:
                    problems += [f"sqlite: {r[0]}" for r in conn.exec_driver_sql("PRAGMA integrity_check")
                                 if r[0] != "ok"]
                lengths = {}
                for row in conn.execute(select(d.c.id, d.c.key, d.c.text, d.c.text_sha256)):
                    lengths[row.id] = len(row.text)
                    if _sha(row.text) != row.text_sha256:
                        problems.append(f"document {row.key!r}: its text does not match its SHA-256")
                for name, t in (("pre-annotation", p), ("correction", c)):
                    for row in conn.execute(select(t.c.id, t.c.document_id, t.c.spans)):
                        if row.document_id not in lengths:
                            problems.append(f"{name} {row.id}: document {row.document_id} is not stored")
                        elif any(not 0 <= s["start"] < s["end"] <= lengths[row.document_id] for s in row.spans or []):
                            problems.append(f"{name} {row.id}: a span lies outside its document's text")
                gaps = conn.execute(select(c.c.source, c.c.external_id).group_by(c.c.source, c.c.external_id)
                                    .having((func.min(c.c.version) != 1) | (func.max(c.c.version) != func.count())))
                problems += [f"correction {r.source}/{r.external_id}: its versions have a gap" for r in gaps]
        except DBAPIError as exc:
            problems.append(f"reading the store failed: {exc}")
        return problems

    def integrity_ok(self) -> bool:
        return not self.integrity_problems()
