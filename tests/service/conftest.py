"""The one way service tests build the app: ``create_app(Settings(...))`` with the engine
dependency (``get_engine``) overridden by an engine that holds an already loaded extractor (the
session's, or a wrapper of it), so no test loads the pipelines again."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.test_store import store_spec  # noqa: F401  (fixture: SQLite, and PostgreSQL where it answers)
from trialex.service.app import create_app
from trialex.service.config import Settings
from trialex.service.work import Engine, get_engine
from trialex.store import CurationStore

KEY = "test-key-123"


@pytest.fixture(scope="session")
def make_app(extractor):
    """``make_app(inner=None, engine=None, **settings)``: the app with these settings whose engine
    holds ``inner`` (default: the session's rule extractor), or is ``engine``."""

    def make(inner=None, engine: Engine | None = None, **settings) -> FastAPI:
        app = create_app(Settings(**settings))
        engine = engine or Engine.of(inner if inner is not None else extractor)
        app.dependency_overrides[get_engine] = lambda: engine
        return app

    return make


@pytest.fixture(scope="session")
def make_client(make_app):
    """``make_client(inner=None, engine=None, raise_server_exceptions=True, **settings)``: a TestClient
    of ``make_app(...)`` (enter it with ``with`` to run the lifespan)."""

    def make(inner=None, engine: Engine | None = None, raise_server_exceptions: bool = True,
             **settings) -> TestClient:
        return TestClient(make_app(inner, engine, **settings), raise_server_exceptions=raise_server_exceptions)

    return make


@pytest.fixture
def app_store(store_spec, make_client):  # noqa: F811
    """(client, store): an app with the key KEY writing to an empty store (SQLite, and PostgreSQL
    where it answers)."""
    url, schema = store_spec
    store = CurationStore(url, schema=schema)
    client = make_client(api_key=KEY)
    client.app.state.curation_store = store
    with client:
        yield client, store
    store.close()


def assert_error(r, status: int, *words: str, code: str | None = None) -> str:
    """``r`` is an error of the API's one shape with this status (and code): returns its message
    and details as one JSON string, which holds every one of ``words``."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error"] and list(body["error"]) == ["code", "message", "details"], body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    assert code is None or body["error"]["code"] == code, body
    said = json.dumps([body["error"]["message"], body["error"]["details"]], ensure_ascii=False)
    for w in words:
        assert w in said, said
    return said
