"""The curation store: versions never overwritten, deletions as marks, durability when killed.

Every test runs on SQLite (a temporary file) and on the PostgreSQL server of the development and
CI machines (127.0.0.1:5432, trust auth, database ``test``; user postgres or root) in a schema of
its own, dropped afterwards.  Without a server answering, the PostgreSQL runs are skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from trialex.store import CurationStore, DocumentConflict

ROOT = Path(__file__).resolve().parents[1]
# TRIALEX_TEST_PG_URL, if set, is the only server tried.
PG_URLS = ([os.environ["TRIALEX_TEST_PG_URL"]] if os.environ.get("TRIALEX_TEST_PG_URL") else
           ["postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql+psycopg://root@127.0.0.1:5432/test"])
TEXT = "𠮟 MMF 群では 185 例中 104 例（56.2%）が完全寛解（P＝0.003）。"


def _pg_url() -> tuple[str | None, str]:
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text
    except ImportError as exc:
        return None, f"psycopg not installed ({exc})"
    reasons = []
    for url in PG_URLS:
        try:
            eng = create_engine(url, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
            return url, ""
        except Exception as exc:  # noqa: BLE001 - any failure means: no server for this run
            reasons.append(f"{url.split('@')[0]}@…: {type(exc).__name__}")
    return None, "no PostgreSQL server answers (tried " + "; ".join(reasons) + "); the SQLite runs cover the store"


_PG = None


def pg_url() -> tuple[str | None, str]:
    global _PG
    if _PG is None:
        _PG = _pg_url()
    return _PG


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spec(request, tmp_path):
    """(url, schema) of an empty store; the PostgreSQL schema is unique to this test and dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'curation.sqlite3'}", None
        return
    url, reason = pg_url()
    if url is None:
        pytest.skip(reason)
    schema = f"trialex_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield url, schema
    from sqlalchemy import create_engine, text
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


@pytest.fixture
def store(store_spec):
    url, schema = store_spec
    s = CurationStore(url, schema=schema)
    yield s
    s.close()


def _span(kind="drug", start=2, end=5, **values):
    values = values or {"name": "mycophenolate mofetil"}
    return {"kind": kind, "start": start, "end": end, "text": TEXT[start:end], **values}


def test_versions_are_kept_and_deletion_is_a_mark(store):
    pid = store.add_preannotation("d1", TEXT, "model-1", spans=[_span()])
    a = store.add_correction("d1", TEXT, [_span()], source="label-studio", external_id="7")
    b = store.add_correction("d1", TEXT, [_span(), _span("trial_size", 13, 18, n=185)], source="label-studio",
                             external_id="7", action="updated")
    assert (a["version"], b["version"]) == (1, 2)
    rows = store.history("d1")
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["spans"] == [_span()]  # version 1 is still there, unchanged
    assert rows[0]["model_version"] == "model-1" and rows[0]["preannotation_id"] == pid
    (cur,) = store.curated()
    assert cur["version"] == 2 and len(cur["spans"]) == 2

    store.delete_correction("7", source="label-studio")
    rows = store.history("d1")
    assert [r["action"] for r in rows] == ["created", "updated", "deleted"]
    assert rows[1]["spans"][1]["n"] == 185  # nothing erased
    assert store.curated() == []
    assert store.delete_correction("unknown") is None


def test_same_save_twice_is_not_a_new_version(store):
    a = store.add_correction("d1", TEXT, [_span()], external_id="x")
    b = store.add_correction("d1", TEXT, [_span()], external_id="x")
    assert b == dict(a, unchanged=True)
    assert len(store.history("d1")) == 1


def test_preannotations_versioned_by_model(store):
    store.add_preannotation("d1", TEXT, "model-1", spans=[_span()])
    store.add_preannotation("d1", TEXT, "model-1", spans=[_span()])  # same output: not repeated
    store.add_preannotation("d1", TEXT, "model-2", spans=[])
    assert [p["model_version"] for p in store.preannotations("d1")] == ["model-1", "model-2"]
    assert store.latest_preannotation("d1")["model_version"] == "model-2"
    c = store.add_correction("d1", TEXT, [_span()])
    assert store.history("d1")[0]["model_version"] == "model-2" and c["version"] == 1
    assert store.extracted()[0]["spans"] == []


def test_document_text_cannot_change_under_its_key(store):
    store.add_correction("d1", TEXT, [_span()])
    with pytest.raises(DocumentConflict):
        store.add_correction("d1", TEXT + " ", [_span()])
    with pytest.raises(ValueError):
        store.add_correction("d2", "short", [_span(start=2, end=9)])
    with pytest.raises(ValueError):
        store.add_correction("d3", TEXT, [{"kind": "organism", "start": 0, "end": 1}])


def test_curated_prefers_ground_truth_then_latest(store):
    store.add_correction("d1", TEXT, [_span()], external_id="1", ground_truth=True)
    store.add_correction("d1", TEXT, [], external_id="2")
    assert store.curated()[0]["external_id"] == "1"
    store.add_correction("d2", TEXT, [], external_id="3")
    store.add_correction("d2", TEXT, [_span()], external_id="4")
    assert [r["external_id"] for r in store.curated()] == ["1", "4"]
    assert [r["id"] for r in store.curated(["d2"])] == ["d2"]
    assert store.stats()["curated_documents"] == 2


def test_project_configs(store):
    store.add_project("3.1700000000", "<View>a</View>", "http://ls:8080", "m")
    store.add_project("3.1700000000", "<View>b</View>")
    assert store.project_config(3) == "<View>b</View>"
    assert store.project_config("3.1700000000") == "<View>b</View>"
    assert store.project_config(4) is None


def test_concurrent_writers_get_distinct_versions(store):
    errors = []

    def work(i):
        try:
            for j in range(5):
                store.add_correction("d1", TEXT, [_span("drug", 2, 5, name=f"drug {i}-{j}")],
                                     external_id="shared")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = [r["version"] for r in store.history("d1")]
    assert sorted(versions) == list(range(1, 21))


def test_a_new_store_opened_by_many_threads_at_once(store_spec):
    """Six workers (each its own engine) open a brand-new store at the same moment and write at
    once: before, SQLite said "database is locked" in CREATE TABLE and PostgreSQL raised a
    UniqueViolation on the table's type (or the schema)."""
    url, schema = store_spec
    barrier = threading.Barrier(6)
    errors, stores = [], []

    def work(i):
        try:
            barrier.wait()
            s = CurationStore(url, schema=schema)
            stores.append(s)
            s.add_correction(f"d{i}", TEXT, [_span()], external_id=f"a{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    check = CurationStore(url, schema=schema)
    assert sorted(r["id"] for r in check.curated()) == [f"d{i}" for i in range(6)]
    check.close()


OPENER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from trialex.store import CurationStore
    url, schema, start, i = sys.argv[1], (sys.argv[2] or None), float(sys.argv[3]), int(sys.argv[4])
    time.sleep(max(0.0, start - time.time()))  # every process opens the store at the same instant
    store = CurationStore(url, schema=schema)
    store.add_correction("doc-%d" % i, {text!r}, [], source="race", external_id="ann-%d" % i)
    print("ok", flush=True)
""")


def test_a_new_store_opened_by_several_processes_at_once(store_spec, tmp_path):
    """As `trialex serve --workers N` does on its first webhooks: N processes, one new store."""
    url, schema = store_spec
    script = tmp_path / "opener.py"
    script.write_text(OPENER.format(root=str(ROOT), text=TEXT), encoding="utf-8")
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, str(script), url, schema or "", str(start), str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-600:] for _, err in outs]
    check = CurationStore(url, schema=schema)
    assert sorted(r["external_id"] for r in check.history()) == [f"ann-{i}" for i in range(4)]
    check.close()


def test_nul_characters_and_numbers_out_of_range_are_refused(store):
    from trialex.store import InvalidInput

    for call in [lambda: store.add_correction("d\x00", TEXT, []),
                 lambda: store.add_correction("d1", TEXT + "\x00", []),
                 lambda: store.add_correction("d1", TEXT, [], annotator="a\x00"),
                 lambda: store.add_project("p\x00", None),
                 lambda: store.add_correction("d1", TEXT, [_span("response_rate", 13, 18, percent=float("inf"))]),
                 lambda: store.add_correction("d1", TEXT, [_span("trial_size", 13, 18, n=10 ** 400)])]:
        with pytest.raises(InvalidInput):
            call()
    assert store.documents() == []
    # reads of a key with NUL find nothing (PostgreSQL would refuse the query)
    assert store.document("d\x00") is None and store.history("d\x00") == [] and store.project_config("\x00") is None
    assert store.delete_correction("\x00") is None


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from trialex.store import CurationStore
    url, schema = sys.argv[1], (sys.argv[2] or None)
    store = CurationStore(url, schema=schema)
    text = {text!r}
    pad = "x" * 20000  # a larger payload: more time inside each transaction
    i = 0
    while True:
        spans = [{{"kind": "trial_size", "start": 13, "end": 18, "text": text[13:18], "n": i + 1}}]
        store.add_correction("doc-%d" % (i % 7), text, spans, source="kill-test", external_id="ann-%d" % (i % 7),
                             raw={{"pad": pad, "i": i}})
        print(i, flush=True)  # printed only after the commit returned
        i += 1
""")


def test_killed_writer_loses_nothing_committed(store_spec, tmp_path):
    """SIGKILL a process in the middle of a loop of writes: every correction it reported as
    committed is readable, and the database passes its integrity check."""
    url, schema = store_spec
    CurationStore(url, schema=schema).close()  # tables exist before the child starts
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), text=TEXT), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), url, schema or ""], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    committed = []
    deadline = time.monotonic() + 60
    try:
        while len(committed) < 60 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            committed.append(int(line))
        time.sleep(0.013)  # land the kill somewhere inside a later write
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = proc.stdout.read()
    committed += [int(x) for x in rest.split()]
    assert len(committed) >= 60, proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL

    store = CurationStore(url, schema=schema)
    try:
        assert store.integrity_ok()
        stored = {r["spans"][0]["n"] - 1 for r in store.history() if r["source"] == "kill-test"}
        assert set(committed) <= stored
        # the store still takes writes after the crash
        store.add_correction("after", TEXT, [], source="kill-test", external_id="after")
        assert store.curated(["after"])[0]["spans"] == []
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = CurationStore(str(tmp_path / "x.sqlite3"))  # a bare path is an SQLite file
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()
    assert (tmp_path / "x.sqlite3").exists()


def test_default_url_is_one_sqlite_file_in_the_user_data_directory(monkeypatch, tmp_path):
    from trialex.store import default_url, normalise_url

    monkeypatch.delenv("TRIALEX_DB_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    urls = set()
    for folder in ("a", "b"):  # the same store whatever folder the command runs from
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        urls.add(default_url())
    assert urls == {f"sqlite:///{tmp_path / 'data' / 'trialex' / 'curation.sqlite3'}"}
    monkeypatch.setenv("TRIALEX_DB_URL", "postgresql://u@h/db")
    assert normalise_url(None) == "postgresql+psycopg://u@h/db"


def test_integrity_check_finds_damage_on_every_database(store):
    """integrity_ok reads every row and checks the store's invariants on PostgreSQL as on SQLite
    (it used to answer True on PostgreSQL without looking)."""
    store.add_preannotation("d1", TEXT, "model-1", spans=[_span()])
    store.add_correction("d1", TEXT, [_span()], external_id="a")
    store.add_correction("d1", TEXT, [_span(), _span("trial_size", 13, 18, n=185)], external_id="a")
    store.add_correction("d2", "short text", [], external_id="b")
    assert store.integrity_problems() == [] and store.integrity_ok()

    d, c = store.t["documents"], store.t["corrections"]
    doc2 = store.document("d2")["id"]
    with store.engine.begin() as conn:  # damage written past the store's API
        conn.execute(d.update().where(d.c.key == "d2").values(text="short text, edited in place"))
        conn.execute(c.insert().values(document_id=doc2, source="api", external_id="b", version=3, action="updated",
                                       spans=[_span(start=2, end=40)], ground_truth=False,
                                       created_at=store.history("d2")[0]["created_at"]))
    problems = store.integrity_problems()
    assert not store.integrity_ok()
    assert any("'d2'" in p and "SHA-256" in p for p in problems)
    assert any("outside its document's text" in p for p in problems)  # 2..40 in a 27-character text
    assert any("api/b" in p and "gap" in p for p in problems)
    assert len(problems) == 3, problems
