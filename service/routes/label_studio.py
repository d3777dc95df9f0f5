"""Label Studio ML backend served by the service itself, and its webhook (docs/curation.md).

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
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from trialex.formats.label_studio import (LabelConfig, LabelConfigError, ingest_ls_annotation, ls_prediction,
                                          parse_label_config)
from trialex.formats.records import result_to_record
from trialex.pipelines.pipeline import MODEL_VERSION
from trialex.pipelines.resources import model_path
from trialex.store import CurationStore, check_storable

from ..auth import read_access, write_access
from ..deps import get_store
from ..examples import PREDICTIONS
from ..schemas import (PredictRequest, PredictResponse, SetupRequest, ValidateRequest, WebhookEvent, errors,
                       json_examples)
from ..work import Work, get_work

log = logging.getLogger("trialex.service.label_studio")

CONFIG_PATH = model_path("label_studio", "config.xml")

Offsets = Literal["utf16", "codepoint"]
router = APIRouter(prefix="/label-studio", tags=["label-studio"])


def default_config_xml() -> str:
    return CONFIG_PATH.read_text(encoding="utf-8")


def _config(xml: str | None) -> LabelConfig:
    if not xml:
        return LabelConfig()
    try:
        return parse_label_config(xml)
    except LabelConfigError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/health", responses={200: {"content": json_examples(up={
    "status": "UP", "model_class": "trialex", "model_version": "trialex-0.1.0-f8c55f3f1c26"})}})
async def health() -> dict:
    """Liveness for Label Studio; answers at once, also while a prediction runs."""
    return {"status": "UP", "model_class": "trialex", "model_version": MODEL_VERSION}


@router.get("/config", response_class=Response, responses={200: {"content": {"application/xml": {
    "example": '<View><Text name="text" value="$text"/><Labels name="label" toName="text">…</Labels></View>'}}},
    **errors(401, 403)}, **read_access())
def config() -> Response:
    """The labelling config to paste into the Label Studio project (models/label_studio/config.xml)."""
    return Response(default_config_xml(), media_type="application/xml")


@router.post("/validate", responses={**errors(400, 401, 403, 413, 422), 200: {"content": json_examples(ok={
    "status": "ok", "labels": ["Drug", "Dose", "TrialSize", "ResponseRate", "PValue"]})}}, **read_access())
def validate(body: ValidateRequest) -> dict:
    """Older Label Studio versions check the config here before connecting."""
    if not body.config.strip():
        raise HTTPException(422, "the label config is empty")
    cfg = _config(body.config)
    return {"status": "ok", "labels": cfg.labels}


@router.post("/setup", responses={**errors(400, 401, 403, 413, 422), 200: {"content": json_examples(stored={
    "model_version": "trialex-0.1.0-f8c55f3f1c26", "labels": ["Drug", "Dose", "TrialSize", "ResponseRate",
                                                               "PValue"]})}}, **write_access())
def setup(request: Request, body: SetupRequest) -> dict:
    """Label Studio sends {"project", "schema", "hostname", "access_token", "model_version"?}.
    The label config is checked and stored (the access token is not)."""
    cfg = _config(body.label_config)
    if body.project is not None:
        get_store(request).add_project(str(body.project)[:256], body.label_config,
                                       body.hostname[:1024] if body.hostname is not None else None, MODEL_VERSION)
    return {"model_version": MODEL_VERSION, "labels": cfg.labels}


@router.post("/predict", response_model=PredictResponse, responses={
    **errors(400, 401, 403, 413, 422, 503), 200: {"content": json_examples(
        en_and_ja={"results": PREDICTIONS, "model_version": PREDICTIONS[0]["model_version"]})}}, **read_access())
async def predict(request: Request, body: PredictRequest, offsets: Offsets = Query("utf16"),
                  work: Work = Depends(get_work)) -> dict:
    """Pre-annotations of ``tasks`` ({"id", "data": {"text": ...}}) for the project's
    ``label_config``: one prediction per task, in order, regions in UTF-16 offsets.  The limits of
    /v1/extract/batch apply (TRIALEX_MAX_BATCH tasks, TRIALEX_MAX_CHARS a text: 413)."""
    tasks = body.tasks
    work.limit_count(len(tasks), "tasks")
    xml = body.label_config
    if not xml and body.project is not None:
        project = str(body.project).split(".")[0]
        xml = await run_in_threadpool(lambda: get_store(request).project_config(project))  # may open the store
    cfg = _config(xml)
    docs: list[dict] = []
    index: list[int] = []
    for i, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(cfg.data_key) if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(text, str) or not text.strip():
            continue  # nothing to extract from: an empty prediction
        work.limit_text(text, f"task {i} (id {task.get('id')!r})")
        lang = data.get("lang") if data.get("lang") in ("ja", "en") else "auto"
        docs.append({"id": str(task.get("id")), "text": text, "lang": lang})
        index.append(i)
    results: list[dict] = [{"result": [], "score": 0.0, "model_version": MODEL_VERSION} for _ in tasks]
    if docs:
        extracted = await work.run(work.extract_many, docs)
        for i, doc, res in zip(index, docs, extracted):
            results[i] = ls_prediction(result_to_record(res, doc["text"]), cfg, offsets, MODEL_VERSION)
    return {"results": results, "model_version": MODEL_VERSION}


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


_NO_TASK = ("the webhook payload has no task data: enable 'Send payload' on the Label Studio webhook "
            '("task" or "tasks": {"id", "data": {...}} or a non-empty list of them)')


def _annotations_to_store(body: dict, store: CurationStore, work: Work) -> tuple[list, LabelConfig, list]:
    """The (annotation, task) pairs of a created/updated event, the label config, and the annotations
    skipped (whose task is not in the payload); every check (shape, project, each task's text and
    the limits) is done here, before anything is stored."""
    project = body.get("project")
    project_id = project.get("id") if isinstance(project, dict) else project
    if project_id is not None and (isinstance(project_id, bool) or not isinstance(project_id, (str, int))):
        raise HTTPException(422, "project (or project.id) must be an integer or a string")
    check_storable(project=project_id)
    tasks = []
    for key in ("task", "tasks"):  # each: a task object or a non-empty list of them (bulk events)
        if key in body:
            sent = _as_list(body[key])
            if not sent or not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in sent):
                raise HTTPException(422, _NO_TASK)
            tasks += sent
    if not tasks:
        raise HTTPException(422, _NO_TASK)
    xml = project.get("label_config") if isinstance(project, dict) else None
    if not xml and project_id is not None:
        xml = store.project_config(project_id)
    try:
        cfg = parse_label_config(xml) if isinstance(xml, str) and xml else LabelConfig()
    except LabelConfigError:
        cfg = LabelConfig()  # labels are still mapped by name
    for task in tasks:
        text = task["data"].get(cfg.data_key)
        if not isinstance(text, str):
            raise HTTPException(422, f"task {task.get('id')!r} has no text under data[{cfg.data_key!r}]")
        work.limit_text(text, f"the text of task {task.get('id')!r}")
        check_storable(text=text)
    annotations = [a for a in _as_list(body.get("annotation") or body.get("annotations")) if isinstance(a, dict)]
    work.limit_count(len(annotations), "annotations")
    by_id = {str(t.get("id")): t for t in tasks}
    pairs, skipped = [], []
    for ann in annotations:
        task = by_id.get(str(ann.get("task"))) or (tasks[0] if len(tasks) == 1 else None)
        if task is None:  # reported (and logged); the other annotations of a bulk event are stored
            skipped.append({"annotation": ann.get("id"), "reason": f"its task {ann.get('task')!r} is not among the "
                                                                  f"{len(tasks)} tasks of the payload"})
        else:
            pairs.append((ann, task))
    if skipped:
        log.warning("webhook annotations skipped", extra={"skipped": len(skipped)})
    return pairs, cfg, skipped


@router.post("/webhook", responses={**errors(400, 401, 403, 409, 413, 422, 503), 200: {"content": json_examples(
    stored={"status": "stored", "action": "ANNOTATION_CREATED", "stored": [
        {"document": "ja-1", "correction_id": 1, "version": 1, "unchanged": False, "spans": 2,
         "values_filled": 0, "action": "created", "warnings": []}]},
    deleted={"status": "deleted", "action": "ANNOTATION_DELETED", "deleted": [1], "unknown": []},
    ignored={"status": "ignored", "action": "PROJECT_UPDATED"})}}, **write_access())
def webhook(request: Request, event: WebhookEvent, offsets: Offsets = Query("utf16"),
            work: Work = Depends(get_work)) -> dict:
    """Label Studio webhook events.  Created/updated annotations are stored as a new version
    (spans converted from UTF-16 to code points, values from the per-region TextArea or the
    pre-annotation); deleted ones are marked deleted.  Other events are acknowledged and ignored.
    The limits of /v1/extract/batch apply: at most TRIALEX_MAX_BATCH annotations, each task's text
    non-blank (422) and at most TRIALEX_MAX_CHARS characters (413); nothing is stored unless the whole
    payload passes.  An annotation whose task is not in the payload is reported under "skipped"."""
    body = event.model_dump(exclude_unset=True)  # only the keys sent
    action = str(body.get("action") or "")
    store = get_store(request)
    if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
        pairs, cfg, skipped = _annotations_to_store(body, store, work)
        project = body.get("project")
        project_id = project.get("id") if isinstance(project, dict) else project
        stored = [ingest_ls_annotation(
            store, task, ann, cfg, action="created" if action != "ANNOTATION_UPDATED" else "updated",
            project=project_id, offsets=offsets, extract=work.extract, model_version=MODEL_VERSION,
            raw={"action": action, "annotation": ann, "task_id": task.get("id"), "project": project_id})
            for ann, task in pairs]
        return {"status": "stored", "action": action, "stored": stored, **({"skipped": skipped} if skipped else {})}
    if action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
        ids = [a.get("id") for a in _as_list(body.get("annotations") or body.get("annotation"))
               if isinstance(a, dict) and isinstance(a.get("id"), (str, int))]
        if isinstance(body.get("id"), (str, int)):
            ids.append(body["id"])
        work.limit_count(len(ids), "annotations")
        marked: list[object] = []
        unknown: list[object] = []
        for aid in ids:
            row = store.delete_correction(str(aid), source="label-studio", raw={"action": action, "id": aid})
            (marked if row else unknown).append(aid)
        return {"status": "deleted", "action": action, "deleted": marked, "unknown": unknown}
    return {"status": "ignored", "action": action}
