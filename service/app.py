"""The FastAPI service: a thin HTTP layer over trialex.pipelines.

Extraction runs in the thread pool behind one lock per process (a spaCy pipeline is not
safe for overlapping calls), so /health answers at once while a long document is
processed.  The pipelines load in a background thread at start-up; /ready says when.
Limits and the time budget of each request live in one place, service/work.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from trialex.pipelines.pipeline import MODEL_VERSION, Extractor
from trialex.store import DocumentConflict, InvalidInput
from trialex.table import MEDIA_TYPES as TABLE_MEDIA, WRITERS as TABLE_WRITERS, table

from .auth import ACCESS_EXTENSION, SECURITY_SCHEMES, read_access, security_of
from .config import Settings
from .logging_config import configure_logging
from .schemas import (BatchRequest, BatchResult, ExtractRequest, ExtractResult, HealthBody, ReadyBody, TableRequest,
                      errors)
from .work import RETRY_AFTER_SECONDS, ExtractionTimeout, Work, get_work

log = logging.getLogger("trialex.service")

# A body announced (or streamed) over TRIALEX_MAX_BODY_BYTES is read and discarded up to this many
# bytes before the 413 is sent: clients that write the whole body before reading (Python's urllib,
# curl without Expect) then see the 413 instead of a connection reset.  Beyond it the 413 goes out
# at once with "Connection: close".
DRAIN_BYTES = 64 * 1024 * 1024


STATIC = Path(__file__).parent / "static"  # the curator page


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
            raise HTTPException(503, "models are still loading; retry shortly",
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        if self.extractor is None:
            raise HTTPException(503, f"models failed to load: {self.error}",
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return self.extractor


class BodyTooLarge(Exception):
    pass


def _too_large(max_bytes: int) -> dict:
    return {"detail": f"request body over {max_bytes} bytes (TRIALEX_MAX_BODY_BYTES)"}


class RequestContext:
    """ASGI middleware around every request: the request id (X-Request-ID, echoed), the body limit,
    a JSON 500 for a bug, and one log line (no text of an abstract: see logging_config.py).

    The body limit: a content-length over TRIALEX_MAX_BODY_BYTES gets 413 without the app running,
    a streamed body makes the app's body read fail when it passes the limit (413 by the handler
    below).  Either way the rest of the body is read and discarded (up to DRAIN_BYTES) first."""

    def __init__(self, app, max_bytes: int, drain_bytes: int = DRAIN_BYTES) -> None:
        self.app, self.max_bytes, self.drain_bytes = app, max_bytes, drain_bytes

    async def _drain(self, receive, seen: int, more: bool = True) -> bool:
        """Read and discard the body; True when all of it was read (the connection can stay open)."""
        while more:
            if seen > self.drain_bytes:
                return False
            message = await receive()
            if message["type"] != "http.request":
                return False
            seen += len(message.get("body", b""))
            more = message.get("more_body", False)
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        request_id = (headers.get("x-request-id") or uuid.uuid4().hex)[:128]
        t0 = time.perf_counter()
        status: int | None = None
        total = 0

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        async def send_json(code: int, body: dict, close: bool = False):
            extra = [(b"connection", b"close")] if close else []
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            await send_with_id({"type": "http.response.start", "status": code, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *extra]})
            await send_with_id({"type": "http.response.body", "body": payload})

        async def receive_limited():
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_bytes:
                    await self._drain(receive, total, message.get("more_body", False))
                    raise BodyTooLarge()
            return message

        length = headers.get("content-length")
        try:
            if length and length.isdigit() and int(length) > self.max_bytes:
                drained = int(length) <= self.drain_bytes and await self._drain(receive, 0)
                await send_json(413, _too_large(self.max_bytes), close=not drained)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except Exception:  # a bug, not a bad request: logged with its request id, JSON 500
            log.exception("unhandled error", extra={"request_id": request_id, "method": scope["method"],
                                                    "path": scope["path"]})
            if status is None:
                await send_json(500, {"detail": "internal error", "request_id": request_id})
        work = scope.get("state", {}).get("work")
        extra = {"request_id": request_id, "method": scope["method"], "path": scope["path"], "status": status,
                 "ms": round((time.perf_counter() - t0) * 1000, 2)}
        if work is not None and work.cancelled.is_set():
            extra["client_gone"] = True
        log.info("request", extra=extra)


def _publish(schema: dict, settings: Settings) -> dict:
    """FastAPI's OpenAPI schema, completed with this server's limits (maxLength, maxItems) and keys
    (security), and with JSON error bodies also on the HTML routes."""
    comps = schema.setdefault("components", {})
    models = comps.get("schemas", {})
    models["ExtractRequest"]["properties"]["text"]["maxLength"] = settings.max_chars
    models["BatchRequest"]["properties"]["documents"]["maxItems"] = settings.max_batch
    models["PredictRequest"]["properties"]["tasks"]["maxItems"] = settings.max_batch
    models["TableRequest"]["properties"]["documents"]["maxItems"] = settings.max_batch
    comps["securitySchemes"] = SECURITY_SCHEMES
    for item in schema["paths"].values():
        for op in item.values():
            security = security_of(op.pop(ACCESS_EXTENSION, None), settings)
            if security is not None:
                op["security"] = security
            for param in op.get("parameters", []):  # a text in the query: the same limit
                if param["name"] == "text" and param["in"] == "query":
                    param["schema"]["maxLength"] = settings.max_chars
            for code, response in op.get("responses", {}).items():  # errors are JSON, also of HTML routes
                content = response.get("content", {})
                if code[0] in "45" and "application/json" not in content and len(content) == 1:
                    response["content"] = {"application/json": content.popitem()[1]}
    return schema


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
        "English trial abstracts, with exact character offsets (shared extraction spec). "
        f"Limits of this server: {settings.max_chars} characters a text (TRIALEX_MAX_CHARS), "
        f"{settings.max_batch} documents or tasks a request (TRIALEX_MAX_BATCH), {settings.max_body_bytes} "
        f"bytes a body (TRIALEX_MAX_BODY_BYTES): 413 over them; {settings.max_seconds:g} s of extraction a "
        "request (TRIALEX_MAX_SECONDS, 0: none): 503 with Retry-After over it.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(RequestContext, max_bytes=settings.max_body_bytes)
    # Curation (docs/curation.md): Label Studio ML backend + webhook, HTML view; API keys.
    from .label_studio import router as label_studio_router, view_router
    app.include_router(label_studio_router)
    app.include_router(view_router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.__cause__, BodyTooLarge):  # a streamed body over the limit
            return JSONResponse(_too_large(settings.max_body_bytes), status_code=413)
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body"
            err = exc.__cause__
            return JSONResponse({"detail": f"request body is not valid UTF-8 (byte 0x{err.object[err.start]:02x} "
                                           f"at offset {err.start}); send JSON encoded as UTF-8"}, status_code=400)
        if exc.status_code == 405:  # Allow: every method of the path (as published), not the first route's
            methods = app.openapi()["paths"].get(request.scope["path"])
            allow = ", ".join(sorted(m.upper() for m in methods)) if methods else (exc.headers or {}).get("Allow", "")
            return JSONResponse({"detail": f"method {request.method} not allowed; use {allow}"},
                                status_code=405, headers={"Allow": allow})
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors_ = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse({"detail": errors_}, status_code=422)

    @app.exception_handler(ExtractionTimeout)
    async def extraction_timeout(request: Request, exc: ExtractionTimeout):
        work = getattr(request.state, "work", None)
        detail = work.timeout_detail() if work is not None else f"the extraction was stopped: {exc}"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(DocumentConflict)
    async def document_conflict(request: Request, exc: DocumentConflict):
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.head("/health", tags=["ops"], response_model=HealthBody)
    @app.get("/health", tags=["ops"], response_model=HealthBody)
    async def health() -> dict:
        """Liveness: answers at once, also while models load or a request is running (also HEAD)."""
        return {"status": "ok"}

    @app.head("/ready", tags=["ops"], response_model=ReadyBody, responses={503: {"model": ReadyBody}})
    @app.get("/ready", tags=["ops"], response_model=ReadyBody,
             responses={503: {"model": ReadyBody, "description": "Loading, or the load failed (error)."}})
    async def ready() -> JSONResponse:
        """Readiness: 200 once the pipelines are loaded, 503 before (also HEAD)."""
        if engine.extractor is not None:
            return JSONResponse({"status": "ready", "model_version": MODEL_VERSION})
        body = {"status": "failed" if engine.error else "loading"}
        if engine.error:
            body["error"] = engine.error
        return JSONResponse(body, status_code=503)

    @app.post("/v1/extract", response_model=ExtractResult, response_model_exclude_unset=True, tags=["extract"],
              responses=errors(400, 401, 403, 413, 422, 503), **read_access())
    async def extract(req: ExtractRequest, work: Work = Depends(get_work)) -> dict:
        """Extract the six kinds from one abstract, with its arms and consistency checks."""
        work.limit([req.text])
        return await work.run(work.extract, req.text, req.lang, req.id)

    @app.post("/v1/extract/batch", response_model=BatchResult, response_model_exclude_unset=True, tags=["extract"],
              responses=errors(400, 401, 403, 413, 422, 503), **read_access())
    async def extract_batch(req: BatchRequest, work: Work = Depends(get_work)) -> dict:
        """Extract from several abstracts (run through nlp.pipe); results in input order."""
        work.limit([d.text for d in req.documents])
        return {"results": await work.run(work.extract_many, [d.model_dump() for d in req.documents])}

    @app.post("/v1/table", tags=["extract"], responses={
        **errors(400, 401, 403, 413, 422, 503),
        200: {"description": "The evidence table: one row per arm × outcome, each cell with its spans.",
              "content": {media: {} for media in TABLE_MEDIA.values()}}}, **read_access())
    async def evidence_table(req: TableRequest, format: Literal["csv", "xlsx", "json"] = "json",
                             work: Work = Depends(get_work)) -> Response:
        """The evidence table of the documents (?format=csv|xlsx|json)."""
        work.limit([d.text for d in req.documents])
        results = await work.run(work.extract_many, [d.model_dump() for d in req.documents])
        body = TABLE_WRITERS[format](table(results))
        headers = {"Content-Disposition": f'attachment; filename="evidence-table.{format}"'} if format != "json" else {}
        return Response(body, media_type=TABLE_MEDIA[format], headers=headers)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The curator page (service/static/index.html)."""
        return FileResponse(STATIC / "index.html", media_type="text/html")

    fastapi_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _publish(fastapi_openapi(), settings)
        return app.openapi_schema

    app.openapi = openapi
    return app


app = create_app()
