"""The HTML view of one document (``GET/POST /v1/view``, trialex.render) and the curator page at /
(service/static)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse

from trialex.formats.records import result_to_record
from trialex.render import render_record

from ..auth import read_access, require_store_access
from ..deps import get_store
from ..schemas import NOT_BLANK, ExtractRequest, errors
from ..work import Work, get_work

STATIC = Path(__file__).resolve().parents[1] / "static"  # the curator page (mounted at /static by app.py)
router = APIRouter(tags=["curation"])
_HTML_EXAMPLES = {"text/html": {"examples": {
    "en": {"value": '<!doctype html><html lang="en">… <mark class="k-drug">rituximab<span class="val">'
                    'rituximab</span></mark> …</html>'},
    "ja": {"value": '<!doctype html><html lang="ja">… <mark class="k-drug">リツキシマブ<span class="val">'
                    'rituximab</span></mark> …</html>'}}}}

_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trialex view</title></head>
<body><h1>trialex</h1><form method="get" action="/v1/view">
<p><textarea name="text" rows="12" cols="100" required placeholder="An abstract (Japanese or English)"></textarea></p>
<p><select name="lang"><option>auto</option><option>ja</option><option>en</option></select>
<button type="submit">Extract</button></p></form>
<p>Or <code>?doc=KEY</code>: a document of the curation store (needs the API key).</p></body></html>"""


def _stored_page(request: Request, doc: str, source: str) -> HTMLResponse:
    require_store_access(request)
    store = get_store(request)
    records = store.curated([doc]) if source == "corrections" else store.extracted([doc])
    if not records:
        raise HTTPException(404, f"no {source} stored for document {doc!r}")
    rec = records[0]
    sub = f"{source} · version {rec.get('version')} · corrects {rec.get('model_version')}" \
        if source == "corrections" else f"extractions · {rec.get('model_version')}"
    return HTMLResponse(render_record(rec, subtitle=sub))


async def _text_page(work: Work, text: str, lang: str, doc_id: str | None) -> HTMLResponse:
    work.limit([text])

    def page() -> str:
        return render_record(result_to_record(work.extract(text, lang, doc_id), text))

    return HTMLResponse(await work.run(page))


@router.get("/v1/view", response_class=HTMLResponse,
            responses={**errors(401, 403, 404, 413, 422, 503), 200: {"content": _HTML_EXAMPLES}},
            **read_access(store_parameters=True))
async def view_get(request: Request,
                   text: str | None = Query(None, description="text to extract from and show (not blank)",
                                            min_length=1, pattern=NOT_BLANK),
                   lang: Literal["auto", "ja", "en"] = "auto", id: str | None = Query(None, max_length=512),
                   doc: str | None = Query(None, description="a document key of the curation store (needs the "
                                           "key)", min_length=1),
                   source: Literal["corrections", "extractions"] = "corrections",
                   work: Work = Depends(get_work)) -> HTMLResponse:
    """The five kinds highlighted in one document, as an HTML page: of ``text`` (extracted now)
    or of a stored document (``doc``: its curated version, or its latest extraction).  With
    neither, a form to paste a text into."""
    if doc is not None:
        return await run_in_threadpool(_stored_page, request, doc, source)
    if text is None:
        return HTMLResponse(_FORM)
    return await _text_page(work, text, lang, id)


@router.post("/v1/view", response_class=HTMLResponse,
             responses={**errors(400, 401, 403, 413, 422, 503), 200: {"content": _HTML_EXAMPLES}}, **read_access())
async def view_post(req: ExtractRequest, work: Work = Depends(get_work)) -> HTMLResponse:
    """As GET /v1/view, with the text in the JSON body ({"text", "lang", "id"})."""
    return await _text_page(work, req.text, req.lang, req.id)


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    """The curator page (service/static/index.html)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
