"""HTTP API: the spec's JSON, batches, readiness and clear errors for bad requests."""

import pytest
from fastapi.testclient import TestClient

from trialex.service.app import create_app
from trialex.service.config import Settings
from trialex.service.work import Engine

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"


@pytest.fixture(scope="module")
def client(make_client):
    with make_client(max_chars=5000, max_batch=3, max_body_bytes=200_000) as c:
        yield c


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/ready")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_ready_is_503_while_loading():
    c = TestClient(create_app(Settings(max_seconds=0.2)))  # no lifespan: its engine never starts loading
    assert c.get("/ready").status_code == 503 and c.get("/ready").json() == {"status": "loading"}
    assert c.get("/health").status_code == 200
    r = c.post("/v1/extract", json={"text": "P = 0.01"})  # waits up to the budget for the models
    assert r.status_code == 503 and r.headers["retry-after"].isdigit()
    assert r.json()["error"]["code"] == "not_ready"


def test_a_failed_load_is_reported():
    engine = Engine()
    engine.error = "OSError: no models"
    engine.loaded.set()
    c = TestClient(create_app(Settings(), engine))
    assert c.get("/ready").json() == {"status": "failed", "error": "OSError: no models"}
    r = c.post("/v1/extract", json={"text": "P = 0.01"})
    assert r.status_code == 503 and r.json()["error"] == {
        "code": "models_failed", "message": "models failed to load: OSError: no models", "details": None}


def test_extract_japanese(client):
    r = client.post("/v1/extract", json={"text": JA, "lang": "auto", "id": "doc-1"})
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "doc-1" and body["lang"] == "ja"
    rate = body["response_rates"][0]
    assert JA[rate["start"]:rate["end"]] == "56.2%" and rate["percent"] == 56.2
    assert body["trial_sizes"][0]["n"] == 185
    assert body["p_values"][0] == {"start": JA.index("P＝"), "end": JA.index("P＝") + 7, "text": "P＝0.003",
                                   "operator": "=", "value": 0.003}
    assert body["drugs"][0]["name"] == "mycophenolate mofetil"
    assert "x-request-id" in r.headers


def test_extract_english_dose_fields(client):
    text = "Patients received IV cyclophosphamide 0.5 to 1.0 g per square meter monthly."
    body = client.post("/v1/extract", json={"text": text}).json()
    dose = body["doses"][0]
    assert dose["normalized"]["min"] == 500 and dose["normalized"]["max"] == 1000
    assert dose["normalized"]["unit"].startswith("mg/m2")
    assert body["drugs"][dose["drug"]]["name"] == "cyclophosphamide"


def test_batch_in_order(client):
    docs = [{"id": "a", "text": "P = 0.01"}, {"id": "b", "text": JA, "lang": "ja"}, {"id": "c", "text": "n = 12"}]
    r = client.post("/v1/extract/batch", json={"documents": docs})
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["results"]] == ["a", "b", "c"]
    assert r.json()["results"][2]["trial_sizes"][0]["n"] == 12


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "   \n"},
        {"text": 123},
        {"text": ["a"]},
        {"text": "ok", "lang": "fr"},
        {"lang": "en"},
        {"text": "ok", "unknown": 1},
    ],
)
def test_bad_requests_get_422(client, payload):
    r = client.post("/v1/extract", json=payload)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error" and error["details"][0]["loc"][0] == "body"


def test_invalid_json_gets_422(client):
    r = client.post("/v1/extract", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_too_long_text_gets_413(client):
    r = client.post("/v1/extract", json={"text": "a" * 5001})
    assert r.status_code == 413
    assert "5000" in r.json()["error"]["message"]
    assert r.json()["error"]["details"] == {"setting": "TRIALEX_MAX_CHARS", "limit": 5000, "actual": 5001}


def test_too_many_documents_gets_413(client):
    r = client.post("/v1/extract/batch", json={"documents": [{"text": "x"}] * 4})
    assert r.status_code == 413


def test_empty_batch_gets_422(client):
    assert client.post("/v1/extract/batch", json={"documents": []}).status_code == 422


def test_service_healthy_after_errors(client):
    client.post("/v1/extract", json={"text": 1})
    client.post("/v1/extract", json={"text": "a" * 6000})
    assert client.post("/v1/extract", json={"text": "P = 0.5"}).json()["p_values"][0]["value"] == 0.5


def test_openapi_has_examples_in_both_languages(client):
    schema = client.get("/openapi.json").json()
    examples = schema["components"]["schemas"]["ExtractRequest"]["examples"]
    assert {e["lang"] for e in examples} >= {"ja"}
    assert any("patients" in e["text"] for e in examples)


def test_spec_examples_end_to_end(client):
    text = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。IVC：0.5-1.0 g/m2/月。"
    body = client.post("/v1/extract", json={"text": text}).json()
    assert body["id"] is None  # the key is always there, even when no id was sent
    dose = body["doses"][0]
    assert (dose["text"], dose["normalized"]) == ("0.5-1.0 g/m2/月", {"min": 500, "max": 1000, "unit": "mg/m2/month"})
    assert body["drugs"][dose["drug"]]["text"] == "IVC"
    assert [(d["text"], d["name"]) for d in body["drugs"]] == [
        ("MMF", "mycophenolate mofetil"),
        ("IVC", "cyclophosphamide"),
    ]
    assert "frequency" not in dose  # absent attributes are left out, not null
