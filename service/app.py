"""The FastAPI service: a thin HTTP layer over trialex.pipelines.

Extraction runs in the thread pool behind one lock per process (a spaCy pipeline is not
safe for overlapping calls), so /health answers at once while a long document is
processed.  The pipelines load in a background thread at start-up; /ready says when.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.responses import JSONResponse

from trialex.pipelines.pipeline import MODEL_VERSION, Extractor

from .config import Settings
from .logging_config import configure_logging
from .schemas import BatchRequest, BatchResult, ExtractRequest, ExtractResult

log = logging.getLogger("trialex.service")


class Engine:
    """Holds the loaded extractor; loading happens once, in the background."""

    def __init__(self) -> None:
        self.extractor: Extractor | None = None
        self.error: str | None = None
        self.lock = threading.Lock()
        self.loaded = threading.Event()

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

    def get(self, timeout: float = 120.0) -> Extractor:
        if not self.loaded.wait(timeout):
            raise HTTPException(503, "models are still loading; retry shortly")
        if self.extractor is None:
            raise HTTPException(503, f"models failed to load: {self.error}")
        return self.extractor


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Counts the bytes of a request body as they arrive (also chunked, without content-length);
    over the limit the body read fails, and the handler below answers a JSON 413."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        total = 0

        async def receive_limited():
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, receive_limited, send)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    engine = engine or Engine()
    configure_logging()  # JSON lines with request id and timing; no abstract text (logging_config.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not engine.loaded.is_set() and engine.extractor is None:
            threading.Thread(target=engine.load, name="trialex-load", daemon=True).start()
        yield

    app = FastAPI(
        title="trialex",
        version=MODEL_VERSION,
        description="Drugs, doses, trial sizes, response rates and p values from Japanese and "
        "English trial abstracts, with exact character offsets (shared extraction spec).",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Curation (docs/curation.md): Label Studio ML backend + webhook, HTML view; API keys.
    from fastapi import Depends

    from .auth import require_read
    from .label_studio import router as label_studio_router, view_router
    app.include_router(label_studio_router)
    app.include_router(view_router)

    @app.middleware("http")
    async def request_context(request: Request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        length = request.headers.get("content-length")
        t0 = time.perf_counter()
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            response = JSONResponse({"detail": f"request body over {settings.max_body_bytes} bytes "
                                               "(TRIALEX_MAX_BODY_BYTES)"}, status_code=413)
        else:
            try:
                response = await call_next(request)
            except Exception:  # a bug, not a bad request: logged with its request id, JSON 500
                log.exception("unhandled error", extra={"request_id": request_id, "method": request.method,
                                                        "path": request.url.path})
                response = JSONResponse({"detail": "internal error", "request_id": request_id}, status_code=500)
        ms = round((time.perf_counter() - t0) * 1000, 2)
        response.headers["x-request-id"] = request_id
        log.info("request", extra={"request_id": request_id, "method": request.method,
                                   "path": request.url.path, "status": response.status_code, "ms": ms})
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.__cause__, BodyTooLarge):  # a streamed body over the limit
            return JSONResponse({"detail": f"request body over {settings.max_body_bytes} bytes "
                                           "(TRIALEX_MAX_BODY_BYTES)"}, status_code=413)
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body"
            err = exc.__cause__
            return JSONResponse({"detail": f"request body is not valid UTF-8 (byte 0x{err.object[err.start]:02x} "
                                           f"at offset {err.start}); send JSON encoded as UTF-8"}, status_code=400)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    def check_length(text: str) -> None:
        if len(text) > settings.max_chars:
            raise HTTPException(413, f"text has {len(text)} characters; the limit is {settings.max_chars} (TRIALEX_MAX_CHARS)")

    @app.get("/health", tags=["ops"])
    def health() -> dict:
        """Liveness: answers at once, also while models load or a request is running."""
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"])
    def ready() -> JSONResponse:
        """Readiness: 200 once the pipelines are loaded."""
        if engine.extractor is not None:
            return JSONResponse({"status": "ready", "model_version": MODEL_VERSION})
        body = {"status": "failed" if engine.error else "loading"}
        if engine.error:
            body["error"] = engine.error
        return JSONResponse(body, status_code=503)

    @app.post("/v1/extract", response_model=ExtractResult, response_model_exclude_unset=True, tags=["extract"],
              dependencies=[Depends(require_read)])
    def extract(req: ExtractRequest) -> dict:
        """Extract the five kinds from one abstract."""
        check_length(req.text)
        extractor = engine.get()
        with engine.lock:
            return extractor.extract(req.text, req.lang, req.id)

    @app.post("/v1/extract/batch", response_model=BatchResult, response_model_exclude_unset=True, tags=["extract"],
              dependencies=[Depends(require_read)])
    def extract_batch(req: BatchRequest) -> dict:
        """Extract from several abstracts (run through nlp.pipe); results in input order."""
        if len(req.documents) > settings.max_batch:
            raise HTTPException(413, f"{len(req.documents)} documents; the limit is {settings.max_batch} (TRIALEX_MAX_BATCH)")
        for d in req.documents:
            check_length(d.text)
        extractor = engine.get()
        with engine.lock:
            results = list(extractor.extract_many(d.model_dump() for d in req.documents))
        return {"results": results}

    return app


app = create_app()
