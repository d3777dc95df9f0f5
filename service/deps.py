"""The curation store of the app, opened on first use (a dependency of the routes that read or
write curated documents: the Label Studio webhook and setup, /v1/view?doc=)."""

from __future__ import annotations

import threading

from fastapi import Request

from trialex.store import CurationStore

_store_lock = threading.Lock()


def get_store(request: Request) -> CurationStore:
    """The app's curation store (TRIALEX_DB_URL, TRIALEX_DB_SCHEMA; no URL: the store's default).
    Opening creates the tables if missing, safely when several workers do it at once (store.py)."""
    state = request.app.state
    store = getattr(state, "curation_store", None)
    if store is None:
        with _store_lock:
            store = getattr(state, "curation_store", None)
            if store is None:
                store = CurationStore(state.settings.db_url, schema=state.settings.db_schema)
                state.curation_store = store
    return store
