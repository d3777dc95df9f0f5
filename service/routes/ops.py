"""Liveness and readiness (GET and HEAD, for load balancers); never wait for an extraction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..schemas import HealthBody, ReadyBody, json_examples
from ..work import Engine, get_engine

router = APIRouter(tags=["ops"])
_READY: dict[int | str, dict[str, Any]] = {
    200: {"content": json_examples(ready={"status": "ready", "model_version": "trialex-0.1.0-f8c55f3f1c26"})},
    503: {"model": ReadyBody, "description": "Loading, or the load failed (error).",
          "content": json_examples(loading={"status": "loading"}, failed={
              "status": "failed", "error": "FileNotFoundError: models/decisions/en.json"})},
}


@router.head("/health", response_model=HealthBody)
@router.get("/health", response_model=HealthBody, responses={200: {"content": json_examples(ok={"status": "ok"})}})
async def health() -> dict:
    """Liveness: answers at once, also while models load or a request is running (also HEAD)."""
    return {"status": "ok"}


@router.head("/ready", response_model=ReadyBody, responses={503: {"model": ReadyBody}})
@router.get("/ready", response_model=ReadyBody, responses=_READY)
async def ready(engine: Engine = Depends(get_engine)) -> JSONResponse:
    """Readiness: 200 once the pipelines are loaded, 503 before (also HEAD)."""
    body = engine.status()
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)
