"""The engine and the one dependency that owns it: readiness, the lock, the limits, the time budget.

:class:`Engine` holds the extractor, loaded once in a background thread at start-up (/ready says
when), and the lock that lets one extraction run at a time per process (a spaCy pipeline is not
safe for overlapping calls).  ``get_engine`` is the dependency that gives a route the app's
engine (tests put a loaded one in its place: ``app.dependency_overrides[get_engine]``).

Every route that extracts (or stores texts) takes ``work: Work = Depends(get_work)``:

* ``work.limit(texts)`` (or ``limit_count`` and ``limit_text``) — :class:`OverLimit` for more than
  TRIALEX_MAX_BATCH texts or a text over TRIALEX_MAX_CHARS; :class:`InvalidText` for a text that
  is empty or whitespace only or holds an unpaired surrogate.
* ``await work.run(work.extract, text, lang, id)`` (or ``work.extract_many``) — the extraction in
  the thread pool, under the engine's lock, with a :class:`~trialex.pipelines.base.Budget` of
  TRIALEX_MAX_SECONDS that starts once the request has been read, so waiting for the lock (or for
  the models to load) counts.  While it runs, the client's connection is watched: when the client
  goes away the budget's event is set and the extraction stops at its next check.  A sync route
  (the webhook) calls ``work.extract`` directly: it runs in the thread pool already.

Nothing here knows HTTP: the errors are domain errors (:class:`EngineNotReady`, :class:`OverLimit`,
:class:`InvalidText`, and the extractor's :class:`ExtractionTimeout` when the budget runs out);
app.py maps them to 503 (with Retry-After), 413, 422 and 503.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
from fastapi import Depends, Request

from trialex.pipelines.base import Budget, ExtractionTimeout
from trialex.pipelines.pipeline import MODEL_VERSION, Extractor

from .config import Settings

T = TypeVar("T")
DISCONNECT_POLL_SECONDS = 0.1
RETRY_AFTER_SECONDS = 5
LOAD_WAIT_SECONDS = 120.0  # how long a request waits for the models when TRIALEX_MAX_SECONDS is 0

__all__ = ["Engine", "EngineNotReady", "ExtractionTimeout", "InvalidText", "OverLimit", "RETRY_AFTER_SECONDS",
           "Work", "get_engine", "get_work"]
log = logging.getLogger("trialex.service")


class EngineNotReady(Exception):
    """The models are still loading, or their load failed (``failed``)."""

    def __init__(self, message: str, failed: bool = False) -> None:
        super().__init__(message)
        self.failed = failed


class OverLimit(Exception):
    """A request over one of the settings' limits."""

    def __init__(self, message: str, setting: str, limit: int, actual: int) -> None:
        super().__init__(f"{message} ({setting})")
        self.details = {"setting": setting, "limit": limit, "actual": actual}


class InvalidText(ValueError):
    """A text the engine cannot take: blank, or not valid Unicode."""


class Engine:
    """Holds the extractor (loaded once, in the background) and the lock of its extractions."""

    def __init__(self) -> None:
        self.extractor: Extractor | None = None
        self.error: str | None = None
        self.lock = threading.Lock()
        self.loaded = threading.Event()
        self._started = False

    @classmethod
    def of(cls, extractor) -> Engine:
        """An engine holding this (loaded) extractor."""
        engine = cls()
        engine.extractor = extractor
        engine.loaded.set()
        return engine

    def start(self) -> None:
        """Load the pipelines in a background thread (once; nothing to do when loaded)."""
        if not self._started and not self.loaded.is_set():
            self._started = True
            threading.Thread(target=self.load, name="trialex-load", daemon=True).start()

    def load(self) -> None:
        try:
            t0 = time.perf_counter()
            self.extractor = Extractor()
            log.info("pipelines loaded", extra={"seconds": round(time.perf_counter() - t0, 2)})
        except Exception as exc:  # the service stays up and /ready reports why
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("pipeline load failed")
        finally:
            self.loaded.set()

    def status(self) -> dict:
        """The readiness body: ready (with the model version), loading, or failed (with the error)."""
        if self.extractor is not None:
            return {"status": "ready", "model_version": MODEL_VERSION}
        return {"status": "failed", "error": self.error} if self.error else {"status": "loading"}

    def get(self, timeout: float = LOAD_WAIT_SECONDS) -> Extractor:
        """The extractor, waiting up to ``timeout`` seconds for the load."""
        if not self.loaded.wait(timeout):
            raise EngineNotReady("models are still loading; retry shortly")
        if self.extractor is None:
            raise EngineNotReady(f"models failed to load: {self.error}", failed=True)
        return self.extractor


async def get_engine(request: Request) -> Engine:
    """The dependency: the app's engine (``app.state.engine``)."""
    return request.app.state.engine


class Work:
    """A FastAPI dependency: the request's limits, budget and access to the extractor."""

    def __init__(self, request: Request, engine: Engine) -> None:
        self.request = request
        self.settings: Settings = request.app.state.settings
        self.engine = engine
        self.cancelled = threading.Event()
        seconds = self.settings.max_seconds
        self.seconds = seconds if seconds and seconds > 0 else None
        self.budget = Budget(self.seconds, self.cancelled)
        self.started = time.monotonic()
        request.state.work = self  # for the ExtractionTimeout handler and the request log (app.py)

    def limit_count(self, n: int, what: str = "documents") -> None:
        if n > self.settings.max_batch:
            raise OverLimit(f"{n} {what}; the limit is {self.settings.max_batch}", "TRIALEX_MAX_BATCH",
                            self.settings.max_batch, n)

    def limit_text(self, text: str, where: str = "text") -> None:
        """A text the engine (and the store) can take: not over TRIALEX_MAX_CHARS, not blank, no
        unpaired surrogate."""
        if len(text) > self.settings.max_chars:
            raise OverLimit(f"{where} has {len(text)} characters; the limit is {self.settings.max_chars}",
                            "TRIALEX_MAX_CHARS", self.settings.max_chars, len(text))
        if not text.strip():
            raise InvalidText(f"{where} is empty or whitespace only")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # JSON allows "\ud800"; no character, no UTF-8
            raise InvalidText(f"{where}: unpaired surrogate U+{ord(text[exc.start]):04X} at character "
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
        extractor = self.engine.get(timeout=self.seconds or LOAD_WAIT_SECONDS)
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


async def get_work(request: Request, engine: Engine = Depends(get_engine)) -> Work:
    """The dependency of routes that extract (async: no thread hop just to build it)."""
    return Work(request, engine)
