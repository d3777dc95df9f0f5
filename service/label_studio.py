"""Label Studio ML backend served by the service itself, and the HTML view (docs/curation.md).

Connect Label Studio's "Model" (ML backend) to ``http://HOST:PORT/label-studio``:

* ``GET  /label-studio/health``  — liveness, never waits for extraction (no lock).
* ``POST /label-studio/setup``   — stores the project's label config; returns the model version.  Write: key.
* ``POST /label-studio/predict`` — pre-annotations of the tasks sent (read-only: stores nothing).
* ``POST /label-studio/webhook`` — ANNOTATION_CREATED / ANNOTATION_UPDATED / ANNOTATIONS_CREATED store
  the curated spans as a new correction version; ANNOTATION(S)_DELETED mark them deleted.  Write: key.
* ``GET  /label-studio/config``  — the labelling config shipped in models/label_studio/config.xml.

Offsets: Label Studio counts UTF-16 code units (JavaScript strings); predictions are sent in
UTF-16 and webhook results are converted back to code points before they are stored
(``?offsets=codepoint`` for a client that counts code points).

``GET/POST /v1/view`` returns a displaCy-style HTML page of one document (trialex.render).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from trialex.exports import (LabelConfig, LabelConfigError, ls_prediction, parse_label_config,
                             result_to_record)
from trialex.pipelines.pipeline import MODEL_VERSION
from trialex.render import render_record
from trialex.store import CurationStore, DocumentConflict, ingest_ls_annotation

from .auth import require_read, require_store_access, require_write
from .schemas import ExtractRequest

log = logging.getLogger("trialex.service.label_studio")

CONFIG_PATH = Path(__file__).resolve().parents[1] / "models" / "label_studio" / "config.xml"
if not CONFIG_PATH.exists():  # installed (non-editable) layout: trialex/models/label_studio
    from trialex import models as _models  # type: ignore[attr-defined]
    CONFIG_PATH = Path(_models.__file__).resolve().parent / "label_studio" / "config.xml"

Offsets = Literal["utf16", "codepoint"]
router = APIRouter(prefix="/label-studio", tags=["label-studio"])
view_router = APIRouter(tags=["curation"])
_store_lock = threading.Lock()


def default_config_xml() -> str:
    return CONFIG_PATH.read_text(encoding="utf-8")


def get_store(request: Request) -> CurationStore:
    """The app's curation store, opened on first use (TRIALEX_DB_URL or ./trialex-curation.sqlite3)."""
    state = request.app.state
    store = getattr(state, "curation_store", None)
    if store is None:
        with _store_lock:
            store = getattr(state, "curation_store", None)
            if store is None:
                store = CurationStore(state.settings.db_url, schema=os.environ.get("TRIALEX_DB_SCHEMA") or None)
                state.curation_store = store
    return store


def _extract_fn(request: Request):
    engine = request.app.state.engine

    def extract(text: str) -> dict:
        extractor = engine.get()
        with engine.lock:
            return extractor.extract(text, "auto")

    return extract


def _config(xml: str | None) -> LabelConfig:
    try:
        return parse_label_config(xml)
    except LabelConfigError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/health")
async def health() -> dict:
    """Liveness for Label Studio; answers at once, also while a prediction runs."""
    return {"status": "UP", "model_class": "trialex", "model_version": MODEL_VERSION}


@router.get("/config", response_class=Response, dependencies=[Depends(require_read)])
def config() -> Response:
    """The labelling config to paste into the Label Studio project (models/label_studio/config.xml)."""
    return Response(default_config_xml(), media_type="application/xml")


@router.post("/validate", dependencies=[Depends(require_read)])
def validate(body: dict = Body(...)) -> dict:
    """Older Label Studio versions check the config here before connecting."""
    cfg = _config(body.get("config") or body.get("label_config"))
    return {"status": "ok", "labels": cfg.labels}


@router.post("/setup", dependencies=[Depends(require_write)])
def setup(request: Request, body: dict = Body(...)) -> dict:
    """Label Studio sends {"project", "schema", "hostname", "access_token", "model_version"?}.
    The label config is checked and stored (the access token is not)."""
    schema = body.get("schema") or body.get("label_config")
    if schema is not None and not isinstance(schema, str):
        raise HTTPException(422, '"schema" must be the label config XML (a string)')
    cfg = _config(schema) if schema else LabelConfig()
    project = body.get("project")
    if isinstance(project, (str, int)):
        hostname = body.get("hostname")
        get_store(request).add_project(str(project)[:256], schema,
                                       str(hostname)[:1024] if hostname is not None else None, MODEL_VERSION)
    return {"model_version": MODEL_VERSION, "labels": cfg.labels}


@router.post("/predict", dependencies=[Depends(require_read)])
def predict(request: Request, body: dict = Body(...), offsets: Offsets = Query("utf16")) -> dict:
    """Pre-annotations of ``tasks`` ({"id", "data": {"text": ...}}) for the project's
    ``label_config``: one prediction per task, in order, regions in UTF-16 offsets."""
    tasks = body.get("tasks")
    if not isinstance(tasks, list):
        raise HTTPException(422, 'body needs "tasks": a list of {"id", "data": {"text": ...}}')
    xml = body.get("label_config")
    if not xml and isinstance(body.get("project"), (str, int)):
        xml = get_store(request).project_config(str(body["project"]).split(".")[0])
    cfg = _config(xml) if xml else LabelConfig()
    settings = request.app.state.settings
    docs, index = [], []
    for i, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(cfg.data_key) if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            continue
        if len(text) > settings.max_chars:
            log.warning("task text over TRIALEX_MAX_CHARS; no prediction", extra={"task": task.get("id")})
            continue
        lang = data.get("lang") if data.get("lang") in ("ja", "en") else "auto"
        docs.append({"id": str(task.get("id")), "text": text, "lang": lang})
        index.append(i)
    results: list[dict] = [{"result": [], "score": 0.0, "model_version": MODEL_VERSION} for _ in tasks]
    if docs:
        engine = request.app.state.engine
        extractor = engine.get()
        with engine.lock:
            extracted = list(extractor.extract_many(docs))
        for i, doc, res in zip(index, docs, extracted):
            results[i] = ls_prediction(result_to_record(res, doc["text"]), cfg, offsets, MODEL_VERSION)
    return {"results": results, "model_version": MODEL_VERSION}


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


@router.post("/webhook", dependencies=[Depends(require_write)])
def webhook(request: Request, body: dict = Body(...), offsets: Offsets = Query("utf16")) -> dict:
    """Label Studio webhook events.  Created/updated annotations are stored as a new version
    (spans converted from UTF-16 to code points, values from the per-region TextArea or the
    pre-annotation); deleted ones are marked deleted.  Other events are acknowledged and ignored."""
    action = str(body.get("action") or "")
    store = get_store(request)
    project = body.get("project")
    project_id = project.get("id") if isinstance(project, dict) else project
    if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
        xml = project.get("label_config") if isinstance(project, dict) else None
        if not xml and isinstance(project_id, (str, int)):
            xml = store.project_config(project_id)
        try:
            cfg = parse_label_config(xml) if xml else LabelConfig()
        except LabelConfigError:
            cfg = LabelConfig()  # labels are still mapped by name
        annotations = _as_list(body.get("annotation") or body.get("annotations"))
        tasks = [t for t in _as_list(body.get("task") or body.get("tasks")) if isinstance(t, dict)]
        by_id = {str(t.get("id")): t for t in tasks}
        stored = []
        for ann in annotations:
            if not isinstance(ann, dict):
                continue
            task = by_id.get(str(ann.get("task"))) or (tasks[0] if len(tasks) == 1 else None)
            if task is None or not isinstance(task.get("data"), dict):
                raise HTTPException(422, "the webhook payload has no task data: enable 'Send payload' on the "
                                         "Label Studio webhook")
            try:
                stored.append(ingest_ls_annotation(
                    store, task, ann, cfg, action="created" if action != "ANNOTATION_UPDATED" else "updated",
                    project=project_id, offsets=offsets, extract=_extract_fn(request), model_version=MODEL_VERSION,
                    raw={"action": action, "annotation": ann, "task_id": task.get("id"), "project": project_id}))
            except DocumentConflict as exc:
                raise HTTPException(409, str(exc)) from None
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        return {"status": "stored", "action": action, "stored": stored}
    if action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
        ids = [a.get("id") for a in _as_list(body.get("annotations") or body.get("annotation"))
               if isinstance(a, dict) and isinstance(a.get("id"), (str, int))]
        if isinstance(body.get("id"), (str, int)):
            ids.append(body["id"])
        marked, unknown = [], []
        for aid in ids:
            row = store.delete_correction(str(aid), source="label-studio", raw={"action": action, "id": aid})
            (marked if row else unknown).append(aid)
        return {"status": "deleted", "action": action, "deleted": marked, "unknown": unknown}
    return {"status": "ignored", "action": action}


# --------------------------------------------------------------------------- HTML view

def _view_page(request: Request, text: str | None, lang: str, doc_id: str | None, doc: str | None,
               source: str) -> HTMLResponse:
    if doc is not None:
        require_store_access(request)
        store = get_store(request)
        records = store.curated([doc]) if source == "corrections" else store.extracted([doc])
        if not records:
            raise HTTPException(404, f"no {source} stored for document {doc!r}")
        rec = records[0]
        sub = f"{source} · version {rec.get('version')} · corrects {rec.get('model_version')}" \
            if source == "corrections" else f"extractions · {rec.get('model_version')}"
        return HTMLResponse(render_record(rec, subtitle=sub))
    if text is None or not text.strip():
        raise HTTPException(422, "give text (or doc, a stored document key)")
    settings = request.app.state.settings
    if len(text) > settings.max_chars:
        raise HTTPException(413, f"text has {len(text)} characters; the limit is {settings.max_chars}")
    engine = request.app.state.engine
    extractor = engine.get()
    with engine.lock:
        result = extractor.extract(text, lang, doc_id)
    return HTMLResponse(render_record(result_to_record(result, text)))


@view_router.get("/v1/view", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def view_get(request: Request, text: str | None = Query(None, description="text to extract from and show"),
             lang: Literal["auto", "ja", "en"] = "auto", id: str | None = None,
             doc: str | None = Query(None, description="a document key of the curation store"),
             source: Literal["corrections", "extractions"] = "corrections") -> HTMLResponse:
    """The five kinds highlighted in one document, as an HTML page: of ``text`` (extracted now)
    or of a stored document (``doc``: its curated version, or its latest extraction)."""
    return _view_page(request, text, lang, id, doc, source)


@view_router.post("/v1/view", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def view_post(request: Request, req: ExtractRequest) -> HTMLResponse:
    """As GET /v1/view, with the text in the JSON body ({"text", "lang", "id"})."""
    return _view_page(request, req.text, req.lang, req.id, None, "corrections")
