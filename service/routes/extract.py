"""Extraction: one abstract, a batch, and the evidence table of a batch."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from trialex.table import MEDIA_TYPES as TABLE_MEDIA, WRITERS as TABLE_WRITERS, table

from ..auth import read_access
from ..examples import EN_RESULT, JA_RESULT, TABLE
from ..schemas import BatchRequest, BatchResult, ExtractRequest, ExtractResult, TableRequest, errors, json_examples
from ..work import Work, get_work

router = APIRouter(prefix="/v1", tags=["extract"])
ERRORS = errors(400, 401, 403, 413, 422, 503)


@router.post("/extract", response_model=ExtractResult, response_model_exclude_unset=True,
             responses={**ERRORS, 200: {"content": json_examples(en=EN_RESULT, ja=JA_RESULT)}}, **read_access())
async def extract(req: ExtractRequest, work: Work = Depends(get_work)) -> dict:
    """Extract the six kinds from one abstract, with its arms and consistency checks."""
    work.limit([req.text])
    return await work.run(work.extract, req.text, req.lang, req.id)


@router.post("/extract/batch", response_model=BatchResult, response_model_exclude_unset=True,
             responses={**ERRORS, 200: {"content": json_examples(en_and_ja={"results": [EN_RESULT, JA_RESULT]})}},
             **read_access())
async def extract_batch(req: BatchRequest, work: Work = Depends(get_work)) -> dict:
    """Extract from several abstracts (run through nlp.pipe); results in input order."""
    work.limit([d.text for d in req.documents])
    return {"results": await work.run(work.extract_many, [d.model_dump() for d in req.documents])}


@router.post("/table", responses={**ERRORS, 200: {
    "description": "The evidence table: one row per arm × outcome, each cell with its spans.",
    "content": {**{media: {} for media in TABLE_MEDIA.values()}, **json_examples(en_and_ja=TABLE)}}},
    **read_access())
async def evidence_table(req: TableRequest, format: Literal["csv", "xlsx", "json"] = "json",
                         work: Work = Depends(get_work)) -> Response:
    """The evidence table of the documents (?format=csv|xlsx|json)."""
    work.limit([d.text for d in req.documents])
    results = await work.run(work.extract_many, [d.model_dump() for d in req.documents])
    body = TABLE_WRITERS[format](table(results))
    headers = {"Content-Disposition": f'attachment; filename="evidence-table.{format}"'} if format != "json" else {}
    return Response(body, media_type=TABLE_MEDIA[format], headers=headers)
