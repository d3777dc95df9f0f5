"""One place for what a request may ask of the engine: the limits and the time budget.

Every route that extracts (or stores texts) takes ``work: Work = Depends(get_work)``:

* ``work.limit(texts)`` (or ``limit_count`` and ``limit_text``) — 413 for more than
  TRIALEX_MAX_BATCH texts or a text over TRIALEX_MAX_CHARS; 422 for a text that is empty or
  whitespace only or holds an unpaired surrogate.
* ``await work.run(work.extract, text, lang, id)`` (or ``work.extract_many``) — the extraction in
  the thread pool, under the engine's lock (one extraction per process at a time), with a
  :class:`~trialex.pipelines.base.Budget` of TRIALEX_MAX_SECONDS that starts once the request
  has been read, so waiting for the lock (or for the models to load) counts.  While it runs, the client's connection is watched:
  when the client goes away the budget's event is set and the extraction stops at its next check.
  A sync route (the webhook) calls ``work.extract`` directly: it runs in the thread pool already.

When the budget runs out the extractor raises :class:`ExtractionTimeout`; the app answers 503 with
``Retry-After`` (app.py) and the worker is free for the next request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
from fastapi import HTTPException, Request

from trialex.pipelines.base import Budget, ExtractionTimeout

from .config import Settings

T = TypeVar("T")
DISCONNECT_POLL_SECONDS = 0.1
RETRY_AFTER_SECONDS = 5

__all__ = ["Work", "get_work", "ExtractionTimeout", "RETRY_AFTER_SECONDS"]


class Work:
    """A FastAPI dependency: the request's limits, budget and access to the extractor."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.settings: Settings = request.app.state.settings
        self.engine = request.app.state.engine
        self.cancelled = threading.Event()
        seconds = self.settings.max_seconds
        self.seconds = seconds if seconds and seconds > 0 else None
        self.budget = Budget(self.seconds, self.cancelled)
        self.started = time.monotonic()
        request.state.work = self  # for the ExtractionTimeout handler (app.py)

    def limit_count(self, n: int, what: str = "documents") -> None:
        if n > self.settings.max_batch:
            raise HTTPException(413, f"{n} {what}; the limit is {self.settings.max_batch} (TRIALEX_MAX_BATCH)")

    def limit_text(self, text: str, where: str = "text") -> None:
        """A text the engine (and the store) can take: not over TRIALEX_MAX_CHARS (413), not blank,
        no unpaired surrogate (422)."""
        if len(text) > self.settings.max_chars:
            raise HTTPException(413, f"{where} has {len(text)} characters; the limit is {self.settings.max_chars} "
                                     "(TRIALEX_MAX_CHARS)")
        if not text.strip():
            raise HTTPException(422, f"{where} is empty or whitespace only")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # JSON allows "\ud800"; no character, no UTF-8
            raise HTTPException(422, f"{where}: unpaired surrogate U+{ord(text[exc.start]):04X} at character "
                                     f"{exc.start}; send valid Unicode") from None

    def limit(self, texts: Sequence[str]) -> None:
        """The limits of a request of ``texts`` (one or a batch of documents)."""
        self.limit_count(len(texts))
        for i, text in enumerate(texts):
            self.limit_text(text, f"document {i}" if len(texts) > 1 else "text")

    # ------------------------------------------------------------ blocking: in a worker thread

    @contextmanager
    def _extractor(self):
        """The loaded extractor under the engine's lock, waiting at most the budget for both."""
        extractor = self.engine.get(timeout=self.seconds or 120.0)
        while not self.engine.lock.acquire(timeout=0.05):
            self.budget.check()  # over budget, or the client went away, while queued
        try:
            yield extractor
        finally:
            self.engine.lock.release()

    def extract(self, text: str, lang: str | None = "auto", doc_id: str | None = None) -> dict:
        with self._extractor() as extractor:
            return extractor.extract(text, lang, doc_id, budget=self.budget)

    def extract_many(self, records: Iterable[dict]) -> list[dict]:
        with self._extractor() as extractor:
            return list(extractor.extract_many(records, budget=self.budget))

    # ------------------------------------------------------------ async: from an async route

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the thread pool; the budget's event is set if the client disconnects."""
        error: Exception | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_disconnect)
            try:
                result = await anyio.to_thread.run_sync(fn, *args)
            except Exception as exc:  # raised outside the task group: not wrapped in an ExceptionGroup
                error = exc
            tg.cancel_scope.cancel()
        if error is not None:
            raise error
        return result

    async def _watch_disconnect(self) -> None:
        while not self.cancelled.is_set():
            if await self.request.is_disconnected():
                self.cancelled.set()
                return
            await anyio.sleep(DISCONNECT_POLL_SECONDS)

    def timeout_detail(self) -> str:
        if self.cancelled.is_set():
            return "the client disconnected; the extraction was stopped"
        return (f"the extraction did not finish within {self.settings.max_seconds:g} s (TRIALEX_MAX_SECONDS) "
                f"after {time.monotonic() - self.started:.1f} s; the text may be too long or the service busy — "
                f"retry later or send a shorter text")


async def get_work(request: Request) -> Work:
    """The dependency (async: no thread hop just to build it)."""
    return Work(request)
