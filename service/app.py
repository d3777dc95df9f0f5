"""The FastAPI service: a thin HTTP layer over trialex.pipelines (the API: docs/api.md).

This module only assembles the app: the routers of service/routes/ (extract, ops, label_studio,
view), the request middleware, the exception handlers that turn every error into one JSON shape
(``{"error": {"code", "message", "details"}}``), the published schema, and the offline /docs and
/redoc (Swagger UI and ReDoc served from the fastapi-offline package: no CDN).  The engine, its
lock, the limits and the time budget live in service/work.py; the settings in service/config.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from trialex.pipelines.pipeline import MODEL_VERSION
from trialex.store import DocumentConflict, InvalidInput

from .auth import ACCESS_EXTENSION, SECURITY_SCHEMES, security_of
from .config import Settings
from .logging_config import configure_logging
from .routes import extract, label_studio, ops, view
from .schemas import ERROR_CODES, error_body
from .work import (RETRY_AFTER_SECONDS, Engine, EngineNotReady, ExtractionTimeout, InvalidText, OverLimit,
                   get_engine)

log = logging.getLogger("trialex.service")

# A body announced (or streamed) over TRIALEX_MAX_BODY_BYTES is read and discarded up to this many
# bytes before the 413 is sent: clients that write the whole body before reading (Python's urllib,
# curl without Expect) then see the 413 instead of a connection reset.  Beyond it the 413 goes out
# at once with "Connection: close".
DRAIN_BYTES = 64 * 1024 * 1024
RETRY = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class BodyTooLarge(Exception):
    pass


def _too_large(max_bytes: int) -> dict:
    return error_body("body_too_large", f"request body over {max_bytes} bytes (TRIALEX_MAX_BODY_BYTES)",
                      {"setting": "TRIALEX_MAX_BODY_BYTES", "limit": max_bytes})


def _error(
    status: int, code: str, message: str, details=None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
                await send_json(500, error_body("internal_error", "internal error", {"request_id": request_id}))
        work = scope.get("state", {}).get("work")
        extra = {"request_id": request_id, "method": scope["method"], "path": scope["path"], "status": status,
                 "ms": round((time.perf_counter() - t0) * 1000, 2)}
        if work is not None and work.cancelled.is_set():
            extra["client_gone"] = True
        log.info("request", extra=extra)


def _add_exception_handlers(app: FastAPI, settings: Settings) -> None:
    """Every error as ``{"error": {"code", "message", "details"}}``: HTTP errors of routes and of
    Starlette (404, 405, body errors), validation errors, and the domain errors of the engine
    (work.py) and of the curation store."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.__cause__, BodyTooLarge):  # a streamed body over the limit
            return JSONResponse(_too_large(settings.max_body_bytes), status_code=413)
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body"
            err = exc.__cause__
            return _error(400, "invalid_utf8", f"request body is not valid UTF-8 (byte 0x{err.object[err.start]:02x} "
                                               f"at offset {err.start}); send JSON encoded as UTF-8")
        if exc.status_code == 405:  # Allow: every method of the path (as published), not the first route's
            methods = app.openapi()["paths"].get(request.scope["path"])
            allow = sorted(m.upper() for m in methods or {}) or \
                [m for m in (exc.headers or {}).get("Allow", "").split(", ") if m]
            return _error(405, "method_not_allowed", f"method {request.method} not allowed; use {', '.join(allow)}",
                          {"allow": allow}, headers={"Allow": ", ".join(allow)})
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
        return _error(exc.status_code, ERROR_CODES.get(exc.status_code, "error"), message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        issues = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        first = issues[0] if issues else {"loc": [], "msg": ""}
        where = ".".join(str(part) for part in first["loc"])
        return _error(422, "validation_error", f"the request does not have the documented shape: {where}: "
                                               f"{first['msg']}" + (f" (and {len(issues) - 1} more)" if len(issues) > 1
                                                                    else ""), issues)

    @app.exception_handler(ExtractionTimeout)
    async def extraction_timeout(request: Request, exc: ExtractionTimeout):
        work = getattr(request.state, "work", None)
        message = work.timeout_detail() if work is not None else f"the extraction was stopped: {exc}"
        return _error(503, "timeout", message, headers=RETRY)

    @app.exception_handler(EngineNotReady)
    async def engine_not_ready(request: Request, exc: EngineNotReady):
        return _error(503, "models_failed" if exc.failed else "not_ready", str(exc), headers=RETRY)

    @app.exception_handler(OverLimit)
    async def over_limit(request: Request, exc: OverLimit):
        return _error(413, "over_limit", str(exc), exc.details)

    @app.exception_handler(InvalidText)
    async def invalid_text(request: Request, exc: InvalidText):
        return _error(422, "invalid_text", str(exc))

    @app.exception_handler(DocumentConflict)
    async def document_conflict(request: Request, exc: DocumentConflict):
        return _error(409, "document_conflict", str(exc))

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput):
        return _error(422, "invalid_input", str(exc))


def _publish(schema: dict, settings: Settings) -> dict:
    """FastAPI's OpenAPI schema, completed with this server's limits (maxLength, maxItems) and keys
    (security), with JSON error bodies also on the HTML routes, and a 500 (ErrorBody) everywhere."""
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
            responses = op.setdefault("responses", {})
            for code, response in responses.items():  # errors are JSON, also of HTML routes
                if code[0] in "45" and "content" in response:
                    merged: dict = {}
                    for media in response["content"].values():  # the schema under text/html, examples under JSON
                        merged.update(media)
                    response["content"] = {"application/json": merged}
            responses.setdefault("500", _INTERNAL_ERROR)
    return schema


_INTERNAL_ERROR = {"description": "A bug: logged with the request id, which the body carries too.",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app; ``engine``: its engine (default: a new one, loaded in the background at start-up)."""
    settings = settings or Settings()
    configure_logging(settings=settings)  # JSON lines with request id and timing; no abstract text

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if get_engine not in app.dependency_overrides:  # an engine put in its place comes loaded
            app.state.engine.start()
        yield

    app = FastAPIOffline(  # /docs and /redoc with Swagger UI and ReDoc from the package, no CDN
        title="trialex",
        version=MODEL_VERSION,
        description="Drugs, doses, trial sizes, response rates and p values from Japanese and "
        "English trial abstracts, with exact character offsets (shared extraction spec). "
        f"Limits of this server: {settings.max_chars} characters a text (TRIALEX_MAX_CHARS), "
        f"{settings.max_batch} documents or tasks a request (TRIALEX_MAX_BATCH), {settings.max_body_bytes} "
        f"bytes a body (TRIALEX_MAX_BODY_BYTES): 413 over them; {settings.max_seconds:g} s of extraction a "
        "request (TRIALEX_MAX_SECONDS, 0: none): 503 with Retry-After over it. Every error is "
        '{"error": {"code", "message", "details"}} (ErrorBody).',
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
    )
    app.state.engine = engine or Engine()
    app.state.settings = settings
    app.add_middleware(RequestContext, max_bytes=settings.max_body_bytes)
    _add_exception_handlers(app, settings)
    for routes in (ops, extract, label_studio, view):
        app.include_router(routes.router)
    app.mount("/static", StaticFiles(directory=view.STATIC), name="static")

    fastapi_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _publish(fastapi_openapi(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
    return app


app = create_app()
