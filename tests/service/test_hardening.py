"""Hardening of the service: a time budget per request (TRIALEX_MAX_SECONDS) that also stops work
whose client went away; no 500 on anything a client can send; the limits on every route; the
published schema tells the truth; a 413 every client can read.

Some tests run a real uvicorn server on 127.0.0.1 (a free port) in a thread, sharing the
session's loaded extractor.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import KEY, assert_error
from tests.service.live import live_server
from tests.service.test_label_studio import CONFIG
from trialex.service.app import create_app
from trialex.service.config import Settings
from trialex.service.schemas import NOT_BLANK
from trialex.service.work import Engine

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"
EN = "A total of 370 patients received MMF 3 g/day; 16 of 71 patients (22.5%) responded (P = 0.003)."
# Numbers, percentages, p values and drug-like words everywhere: a lot of work for every extractor.
UNIT = "In 12 of 34 (35.3%) patients MMF 3 g/day vs 5 mg/kg; P = 0.04, n = 120, 13/25 responded. "


def pathological(chars: int) -> str:
    return (UNIT * (chars // len(UNIT) + 1))[:chars]


class Recorder:
    """Wraps the extractor; records how each call ended (the exception's type, or "ok") and when."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.nlps = inner.nlps
        self.ends: list[tuple[str, float]] = []

    def _run(self, fn):
        try:
            out = fn()
            self.ends.append(("ok", time.monotonic()))
            return out
        except BaseException as exc:
            self.ends.append((type(exc).__name__, time.monotonic()))
            raise

    def extract(self, *args, budget=None):
        return self._run(lambda: self.inner.extract(*args, budget=budget))

    def extract_many(self, records, budget=None):
        return self._run(lambda: list(self.inner.extract_many(list(records), budget=budget)))


# --------------------------------------------------------------------------- 1. time budget

def test_time_budget_answers_503_and_the_next_request_is_served(extractor, make_client):
    """A pathological input (900,000 characters dense with numbers: some 4 s of extraction here)
    under a tiny TRIALEX_MAX_SECONDS: 503 with Retry-After soon after the limit, not when the
    extraction would have ended; the service stays healthy and serves the next request normally."""
    recorder = Recorder(extractor)
    engine = Engine.of(recorder)
    client = make_client(engine=engine, max_seconds=0.3, max_chars=1_000_000, max_body_bytes=4_000_000)
    text = pathological(900_000)
    for path, body in [("/v1/extract", {"text": text}), ("/v1/extract/batch", {"documents": [{"text": text}]}),
                       ("/v1/view", {"text": text}),
                       ("/label-studio/predict", {"tasks": [{"id": 1, "data": {"text": text}}]})]:
        t0 = time.monotonic()
        r = client.post(path, json=body)
        elapsed = time.monotonic() - t0
        assert_error(r, 503, "TRIALEX_MAX_SECONDS", code="timeout")
        assert r.headers["retry-after"].isdigit()
        assert recorder.ends[-1][0] == "ExtractionTimeout"
        assert elapsed < 2.0, f"{path}: 503 after {elapsed:.1f} s; the limit is 0.3 s"
        assert client.get("/health").json() == {"status": "ok"}
        r = client.post("/v1/extract", json={"text": JA})
        assert r.status_code == 200 and r.json()["p_values"][0]["value"] == 0.003
    assert not engine.lock.locked()
    # GET /v1/view carries its text in the URL: a shorter one, a tinier limit
    client = make_client(recorder, max_seconds=0.02)
    assert_error(client.get("/v1/view", params={"text": pathological(40_000)}), 503, "TRIALEX_MAX_SECONDS")
    assert recorder.ends[-1][0] == "ExtractionTimeout"


def test_waiting_for_the_engine_counts_against_the_budget(extractor, make_client):
    engine = Engine.of(extractor)
    client = make_client(engine=engine, max_seconds=0.3)
    with engine.lock:  # another request holds the engine
        t0 = time.monotonic()
        r = client.post("/v1/extract", json={"text": JA})
    assert_error(r, 503, "TRIALEX_MAX_SECONDS")
    assert time.monotonic() - t0 < 2.0
    assert client.post("/v1/extract", json={"text": JA}).status_code == 200


def test_a_client_that_goes_away_stops_its_extraction(extractor, make_app):
    """The client gives up after 0.5 s; the server notices the disconnect and the extraction stops
    (ExtractionTimeout while the time limit is 120 s: only the cancel event can raise it)."""
    recorder = Recorder(extractor)
    app = make_app(recorder, max_seconds=120, max_chars=1_000_000, max_body_bytes=4_000_000)
    text = pathological(900_000)
    with live_server(app) as url:
        with httpx.Client(timeout=0.5) as client:
            t0 = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                client.post(f"{url}/v1/extract", json={"text": text})
            gone = time.monotonic()
        deadline = time.monotonic() + 10
        while not recorder.ends and time.monotonic() < deadline:
            time.sleep(0.05)
        assert recorder.ends, "the extraction was still running 10 s after the client went away"
        how, ended = recorder.ends[-1]
        assert how == "ExtractionTimeout"
        assert ended - gone < 3.0, f"stopped {ended - gone:.1f} s after the client left"
        r = httpx.post(f"{url}/v1/extract", json={"text": EN}, timeout=30)
        assert r.status_code == 200 and r.json()["p_values"][0]["value"] == 0.003
    assert time.monotonic() - t0 < 30


# --------------------------------------------------------------------------- 2. no 500s

NINES = "9" * 400


@pytest.mark.parametrize("text", [
    f"A total of {NINES} patients were randomized; P = 0.01.",
    f"{NINES} of {NINES} patients (50%) responded.",
    f"Responses in 13 of {NINES} patients.",
    f"{NINES}例中 {NINES}例が奏効した（P＝0.01）。",
    f"{NINES}/{NINES} (100%) responded; {NINES}% and P = 0.{NINES}.",
])
def test_huge_numbers_in_a_text_give_a_result_not_a_500(make_client, text):
    client = make_client()
    r = client.post("/v1/extract", json={"text": text})
    assert r.status_code == 200, r.text[:300]
    result = r.json()
    for kind in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
        for m in result[kind]:
            assert text[m["start"]:m["end"]] == m["text"]


def test_lone_surrogate_in_a_predict_task_is_422(make_client):
    client = make_client()
    body = b'{"tasks": [{"id": 1, "data": {"text": "P = 0.01 \\ud800 in 40 patients"}}]}'
    r = client.post("/label-studio/predict", content=body, headers={"content-type": "application/json"})
    assert_error(r, 422, "surrogate U+D800", "task 0")


def _hook(result, text=EN, doc_id="doc-1", project=1, ann_id=5, annotator=1):
    return {"action": "ANNOTATION_CREATED",
            "annotation": {"id": ann_id, "task": 1, "result": result, "completed_by": annotator},
            "task": {"id": 1, "data": {"text": text, **({"doc_id": doc_id} if doc_id is not None else {})}},
            "project": {"id": project, "label_config": CONFIG}}


def _region(start, end, label, values=None, rid="r1"):
    out = [{"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "labels": [label]}}]
    if values is not None:
        out.append({"id": rid, "from_name": "values", "to_name": "text", "type": "textarea",
                    "value": {"start": start, "end": end, "text": [values]}})
    return out


def _post_raw(client, body: str, path="/label-studio/webhook"):
    return client.post(path, content=body.encode(), headers={"content-type": "application/json", "X-API-Key": KEY})


@pytest.mark.parametrize("label,values", [
    ("ResponseRate", "percent: 1e999"), ("ResponseRate", f"percent: {NINES}"), ("TrialSize", f"n: {NINES}"),
    ("TrialSize", "n: 1e999"), ("PValue", "value: 1e999"), ("Dose", "min: 1e999; max: 1e999; unit: mg"),
])
def test_webhook_values_out_of_range_are_422(app_store, label, values):
    client, store = app_store
    s = EN.index("22.5%")
    r = client.post("/label-studio/webhook", json=_hook(_region(s, s + 5, label, values)), headers={"X-API-Key": KEY})
    detail = assert_error(r, 422, "span" if "finite" in r.text else "annotation 5")
    assert "out of range" in detail or "is not a finite number" in detail
    assert store.curated() == []


def test_webhook_region_offsets_1e999_are_422(app_store):
    client, store = app_store
    body = json.dumps(_hook(_region(0, 3, "Drug"))).replace('"start": 0', '"start": 1e999')
    assert_error(_post_raw(client, body), 422, "out of range")
    assert store.curated() == []


@pytest.mark.parametrize("where", ["text", "doc_id", "project", "annotator", "annotation id"])
def test_nul_characters_in_webhooks_are_422(app_store, where):
    client, store = app_store
    hook = _hook([], **{"text": {"text": EN + "\x00"}, "doc_id": {"doc_id": "doc\x00-1"},
                        "project": {"doc_id": None, "project": "p\x00"}, "annotator": {"annotator": "u\x00"},
                        "annotation id": {"ann_id": "a\x00"}}[where])
    r = client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY})
    assert_error(r, 422, "NUL")
    assert store.documents() == [] or where in ("annotator", "annotation id")
    assert store.history() == []


def test_nul_characters_elsewhere_are_4xx_or_nothing_found(app_store):
    client, store = app_store
    h = {"X-API-Key": KEY}
    r = client.post("/label-studio/setup", json={"project": "p\x00", "schema": CONFIG}, headers=h)
    assert r.status_code == 422
    r = client.post("/label-studio/setup", json={"project": "p", "schema": CONFIG, "hostname": "h\x00"}, headers=h)
    assert r.status_code == 422
    r = client.post("/label-studio/predict", json={"tasks": [], "project": "p\x00"})
    assert r.status_code == 422  # the schema forbids NUL in a project id
    r = client.post("/label-studio/webhook", json={"action": "ANNOTATION_DELETED", "annotation": {"id": "x\x00"}},
                    headers=h)
    assert r.status_code == 200 and r.json()["unknown"] == ["x\x00"]
    assert client.get("/v1/view", params={"doc": "a\x00"}, headers=h).status_code == 404
    assert store.project_config("p\x00") is None and store.document("a\x00") is None


# --------------------------------------------------------------------------- 4. limits everywhere

def test_predict_has_the_limits_of_a_batch(make_client):
    client = make_client(max_batch=4, max_chars=1000)
    r = client.post("/label-studio/predict", json={"tasks": [{}] * 100_000})
    assert_error(r, 413, "100000 tasks", "TRIALEX_MAX_BATCH")
    r = client.post("/label-studio/predict", json={"tasks": [{"id": 7, "data": {"text": "P = 0.01 " * 200}}]})
    assert_error(r, 413, "1800 characters", "TRIALEX_MAX_CHARS")
    r = client.post("/label-studio/predict", json={"tasks": [{}, {"data": {"text": " "}}, {"data": {"text": EN}}]})
    assert r.status_code == 200 and [bool(p["result"]) for p in r.json()["results"]] == [False, False, True]


def test_webhook_has_the_limits_and_stores_nothing_over_them(app_store):
    client, store = app_store
    h = {"X-API-Key": KEY}
    r = client.post("/label-studio/webhook", json=_hook([], text="a" * 300_000), headers=h)
    assert_error(r, 413, "300000 characters", "TRIALEX_MAX_CHARS")
    for blank in ("", " \n"):
        r = client.post("/label-studio/webhook", json=_hook([], text=blank), headers=h)
        assert_error(r, 422, "empty or whitespace")
    many = _hook([])
    many["annotation"] = [dict(many["annotation"], id=i) for i in range(300)]
    assert_error(client.post("/label-studio/webhook", json=many, headers=h), 413, "300 annotations")
    assert store.documents() == [] and store.history() == []


def test_basic_auth_takes_the_key_as_password_only(make_client, tmp_path):
    """docs/curation.md: HTTP Basic with the key as password (any user name)."""
    client = make_client(api_key=KEY, require_key_for_read=True, db_url=f"sqlite:///{tmp_path / 'a.db'}")

    def basic(user: str, password: str) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    hook = {"action": "PROJECT_UPDATED"}
    for path, body in [("/label-studio/webhook", hook), ("/v1/extract", {"text": EN})]:
        assert client.post(path, json=body, headers=basic("labelstudio", KEY)).status_code == 200
        assert client.post(path, json=body, headers=basic("", KEY)).status_code == 200
        r = client.post(path, json=body, headers=basic(KEY, ""))  # the key as user name: no key
        assert_error(r, 401, "HTTP Basic with the key as password")
        assert client.post(path, json=body, headers=basic(KEY, "wrong")).status_code == 403


# --------------------------------------------------------------------------- 5. the published schema

def test_the_schema_declares_every_status_with_its_body(make_client):
    client = make_client(api_key=KEY, max_chars=5000, max_batch=3)
    schema = client.get("/openapi.json").json()
    ops = {(m.upper(), p): op for p, item in schema["paths"].items() for m, op in item.items()}
    want = {
        ("POST", "/v1/extract"): {400, 401, 403, 413, 422, 503},
        ("POST", "/v1/extract/batch"): {400, 401, 403, 413, 422, 503},
        ("POST", "/v1/view"): {400, 401, 403, 413, 422, 503},
        ("GET", "/v1/view"): {401, 403, 404, 413, 422, 503},
        ("POST", "/label-studio/predict"): {400, 401, 403, 413, 422, 503},
        ("POST", "/label-studio/webhook"): {400, 401, 403, 409, 413, 422, 503},
        ("POST", "/label-studio/setup"): {400, 401, 403, 413, 422},
        ("POST", "/label-studio/validate"): {400, 401, 403, 413, 422},
        ("GET", "/ready"): {503},
    }
    for key, codes in want.items():
        responses = ops[key]["responses"]
        assert codes <= {int(c) for c in responses if c.isdigit()}, (key, sorted(responses))
        for code in codes:
            content = responses[str(code)]["content"]
            assert list(content) == ["application/json"], (key, code, content)
            ref = content["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody" if key != ("GET", "/ready") else "/ReadyBody")
    assert "retry-after" in {h.lower() for h in ops["POST", "/v1/extract"]["responses"]["503"]["headers"]}
    text = schema["components"]["schemas"]["ExtractRequest"]["properties"]["text"]
    assert (text["minLength"], text["pattern"], text["maxLength"]) == (1, NOT_BLANK, 5000)
    assert schema["components"]["schemas"]["BatchRequest"]["properties"]["documents"]["maxItems"] == 3
    # writes declare the key; open reads do not
    assert "security" in ops["POST", "/label-studio/webhook"] and "security" not in ops["POST", "/v1/extract"]
    assert {"HEAD"} <= {m for m, p in ops if p == "/health"} and ("HEAD", "/ready") in ops


def test_blank_text_is_invalid_in_the_schema_and_in_the_code(make_client):
    client = make_client()
    text_schema = client.get("/openapi.json").json()["components"]["schemas"]["ExtractRequest"]["properties"]["text"]

    def schema_valid(text: str) -> bool:  # minLength and pattern (searched, as JSON Schema does)
        return len(text) >= text_schema["minLength"] and re.search(text_schema["pattern"], text) is not None

    for text in ["", " ", "\n\t\u3000", "\x85\x1c"]:  # the last two: blank for Python, not for ECMA's \s
        assert not schema_valid(text)
        assert_error(client.post("/v1/extract", json={"text": text}), 422, "empty or whitespace")
    assert schema_valid(" P = 0.01")


def test_head_on_health_and_ready(make_client):
    client = make_client()
    for path in ("/health", "/ready"):
        r = client.head(path)
        assert r.status_code == 200 and r.content == b""
    loading = TestClient(create_app(Settings()))  # no lifespan: never loads
    assert loading.head("/ready").status_code == 503 and loading.get("/ready").json()["status"] == "loading"
    r = client.request("OPTIONS", "/v1/view")
    assert_error(r, 405, "OPTIONS", code="method_not_allowed")
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"} and r.json()["error"]["details"]["allow"] == [
        "GET", "POST"]


# --------------------------------------------------------------------------- 6. the 413 every client reads

def test_a_20_mb_body_gets_a_413_that_urllib_and_httpx_read(make_app):
    app = make_app(max_body_bytes=1_000_000)
    body = json.dumps({"text": "x" * 20_000_000}).encode()
    with live_server(app) as url:
        req = urllib.request.Request(f"{url}/v1/extract", data=body, headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=60)
        assert err.value.code == 413
        assert "TRIALEX_MAX_BODY_BYTES" in json.loads(err.value.read())["error"]["message"]

        r = httpx.post(f"{url}/v1/extract", content=body, headers={"Content-Type": "application/json"}, timeout=60)
        assert_error(r, 413, "1000000 bytes", "TRIALEX_MAX_BODY_BYTES")

        def chunks():  # no content-length: counted as it arrives
            for i in range(0, len(body), 1 << 20):
                yield body[i:i + (1 << 20)]

        r = httpx.post(f"{url}/v1/extract", content=chunks(), headers={"Content-Type": "application/json"}, timeout=60)
        assert_error(r, 413, "TRIALEX_MAX_BODY_BYTES")
        assert httpx.post(f"{url}/v1/extract", json={"text": EN}, timeout=30).status_code == 200


def test_import_ls_reports_what_the_store_refuses(tmp_path, capsys):
    from trialex import cli
    from trialex.store import CurationStore

    export = [{"id": 1, "data": {"text": EN, "doc_id": "ok-1"}, "annotations": [{"id": 11, "result": []}]},
              {"id": 2, "data": {"text": EN, "doc_id": "bad\x00"}, "annotations": [{"id": 12, "result": []}]}]
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    db = str(tmp_path / "c.sqlite3")
    assert cli.main(["curation", "import-ls", str(tmp_path / "export.json"), "--db", db, "--no-extract"]) == 3
    assert "NUL character" in capsys.readouterr().err
    store = CurationStore(db)
    assert [d["key"] for d in store.documents()] == ["ok-1"]
    store.close()
