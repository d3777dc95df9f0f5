"""Bad input gets a clear 4xx JSON error (or a correct result), and the service stays up.

Also: the structured request log carries the request id, method, path, status and timing,
and never the text of an abstract.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from tests.service.conftest import assert_error
from trialex.service.logging_config import JsonFormatter, configure_logging

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"
SECRET = "患者秘密テキスト secret-abstract-words"
SETTINGS = {"max_chars": 100_000, "max_batch": 4, "max_body_bytes": 1_500_000}


@pytest.fixture(scope="module")
def client(make_client):
    with make_client(raise_server_exceptions=False, **SETTINGS) as c:
        yield c


def post(client, body: bytes, path: str = "/v1/extract", ctype: str = "application/json"):
    return client.post(path, content=body, headers={"content-type": ctype})


@pytest.mark.parametrize("text", ["", " ", "\n\t \u3000"])
def test_empty_or_whitespace_text(client, text):
    assert_error(client.post("/v1/extract", json={"text": text}), 422, "empty or whitespace")


def test_one_megabyte_text_gets_413_with_the_limit(client):
    r = client.post("/v1/extract", json={"text": "a" * 1_000_000})
    assert_error(r, 413, "1000000 characters", "100000", "TRIALEX_MAX_CHARS", code="over_limit")


def test_body_over_the_byte_limit_gets_413(client):
    r = post(client, json.dumps({"text": "あ" * 600_000}, ensure_ascii=False).encode())  # 1.8 MB
    assert_error(r, 413, "1500000", "TRIALEX_MAX_BODY_BYTES", code="body_too_large")


def test_streamed_body_without_length_is_limited_too(client):
    def chunks():
        yield b'{"text": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    r = client.post("/v1/extract", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "1500000", "TRIALEX_MAX_BODY_BYTES", code="body_too_large")


@pytest.mark.parametrize("body", [b'{"text": "P = 0.01 \xff\xfe"}', b'{"text": "\xe3\x81"}', b"\x80\x81"])
def test_non_utf8_body_is_a_clear_4xx(client, body):
    r = post(client, body)
    assert 400 <= r.status_code < 500
    assert_error(r, r.status_code)
    if r.status_code == 400:
        assert_error(r, 400, "UTF-8", code="invalid_utf8")


def test_lone_surrogate_escape_is_422(client):
    assert_error(post(client, b'{"text": "P = 0.01 \\ud800"}'), 422, "surrogate")
    assert_error(post(client, b'{"text": "P = 0.01", "id": "\\udfff"}'), 422, "id")


@pytest.mark.parametrize("body", [b"{not json", b'{"text": "a"', b"", b"\x00", b'{"text": "a"} trailing'])
def test_invalid_json_is_422(client, body):
    assert_error(post(client, body), 422, code="validation_error")


@pytest.mark.parametrize(
    "payload",
    [
        {"text": 1}, {"text": None}, {"text": ["P = 0.01"]}, {"text": {"a": 1}}, {"text": True},
        {"text": "ok", "lang": 5}, {"text": "ok", "lang": "de"}, {"text": "ok", "id": 7},
        {"text": "ok", "id": "x" * 513}, [], "text", None, 3,
    ],
)
def test_wrong_types_are_422(client, payload):
    assert_error(client.post("/v1/extract", json=payload), 422)


def test_not_json_content_type_is_422(client):
    assert_error(post(client, b"P = 0.01", ctype="text/plain"), 422)


@pytest.mark.parametrize(
    "payload",
    [
        {"documents": "P = 0.01"}, {"documents": [1, 2]}, {"documents": [{"text": ""}]},
        {"documents": [{"text": "ok"}, {"text": 5}]}, {"documents": []}, {"docs": [{"text": "ok"}]},
    ],
)
def test_bad_batches_are_422(client, payload):
    assert_error(client.post("/v1/extract/batch", json=payload), 422)


def test_too_many_documents_is_413(client):
    r = client.post("/v1/extract/batch", json={"documents": [{"text": "P = 0.01"}] * 5})
    assert_error(r, 413, "5 documents", "limit is 4", "TRIALEX_MAX_BATCH")


def test_a_long_text_in_a_batch_is_413(client):
    r = client.post("/v1/extract/batch", json={"documents": [{"text": "ok"}, {"text": "b" * 100_001}]})
    assert_error(r, 413, "TRIALEX_MAX_CHARS")


def long_japanese() -> tuple[str, list[str]]:
    """About 70 kB of Japanese, every sentence with a p value."""
    sentences, p_texts = [], []
    i = 0
    while sum(len(s.encode("utf-8")) for s in sentences) < 70_000:
        p = f"P＝0.0{i % 9 + 1}"
        sentences.append(f"第{i + 1}群では {i % 90 + 10} 例中 {i % 7 + 2} 例が奏効した（{p}）。")
        p_texts.append(p)
        i += 1
    sentences.append(JA)
    p_texts.append("P＝0.003")
    return "".join(sentences), p_texts


def test_long_japanese_text_keeps_every_offset(client):
    text, p_texts = long_japanese()
    assert len(text.encode("utf-8")) > 49_149 and len(text) < SETTINGS["max_chars"]
    r = client.post("/v1/extract", json={"text": text, "id": "long-ja"})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["lang"] == "ja" and body["meta"]["chars"] == len(text)
    for key in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
        for m in body[key]:
            assert text[m["start"]:m["end"]] == m["text"], (key, m)
    assert [p["text"] for p in body["p_values"]] == p_texts  # none lost at a chunk boundary
    last = body["p_values"][-1]
    assert last["value"] == 0.003 and last["start"] == text.rindex("P＝0.003")
    assert body["trial_sizes"][-1]["n"] == 185


def test_service_stays_up_after_bad_input(client):
    bad = [
        post(client, b"\xff\xfe"), post(client, b"{not json"), client.post("/v1/extract", json={"text": 1}),
        client.post("/v1/extract", json={"text": "a" * 100_001}), post(client, b'{"text": "\\ud800"}'),
        client.post("/v1/extract/batch", json={"documents": [{"text": "x"}] * 9}),
    ]
    assert all(400 <= r.status_code < 500 for r in bad), [r.status_code for r in bad]
    assert client.get("/health").json() == {"status": "ok"}
    r = client.post("/v1/extract", json={"text": JA})
    assert r.status_code == 200 and r.json()["p_values"][0]["value"] == 0.003


def test_an_internal_error_is_json_500_with_request_id_and_the_service_stays_up(make_client):
    class Broken:
        def extract(self, *a, **kw):
            raise RuntimeError("bug")

    stream = io.StringIO()
    with make_client(Broken(), raise_server_exceptions=False, **SETTINGS) as c:
        configure_logging("json", stream=stream)
        try:
            r = c.post("/v1/extract", json={"text": SECRET}, headers={"x-request-id": "req-500"})
            assert r.status_code == 500
            assert r.json() == {"error": {"code": "internal_error", "message": "internal error",
                                          "details": {"request_id": "req-500"}}}
            assert c.get("/health").status_code == 200
        finally:
            configure_logging()
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    error = next(rec for rec in records if rec["msg"] == "unhandled error")
    assert error["request_id"] == "req-500" and "RuntimeError: bug" in error["exc"]
    assert any(rec.get("status") == 500 and rec["request_id"] == "req-500" for rec in records)
    assert SECRET not in stream.getvalue()


def test_request_log_has_request_id_timing_and_no_text(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("trialex")
    logger.addHandler(handler)
    try:
        ok = client.post("/v1/extract", json={"text": SECRET + " P = 0.02"}, headers={"x-request-id": "req-ok-1"})
        bad = client.post("/v1/extract", json={"text": SECRET, "lang": "xx"}, headers={"x-request-id": "req-bad-1"})
        generated = client.post("/v1/extract", json={"text": "P = 0.3"})
    finally:
        logger.removeHandler(handler)
    assert ok.status_code == 200 and bad.status_code == 422
    assert ok.headers["x-request-id"] == "req-ok-1"
    lines = stream.getvalue().splitlines()
    records = {rec["request_id"]: rec for rec in map(json.loads, lines) if rec["msg"] == "request"}
    assert records["req-ok-1"]["status"] == 200 and records["req-bad-1"]["status"] == 422
    for rec in (records["req-ok-1"], records["req-bad-1"]):
        assert rec["method"] == "POST" and rec["path"] == "/v1/extract"
        assert rec["logger"] == "trialex.service" and rec["level"] == "info"
        assert isinstance(rec["ms"], float) and rec["ts"].endswith("Z")
    assert records[generated.headers["x-request-id"]]["status"] == 200  # an id is made when none is sent
    assert SECRET not in stream.getvalue() and "secret-abstract" not in stream.getvalue()


def test_text_fields_are_dropped_unless_asked_for():
    record = logging.LogRecord("trialex.service", logging.INFO, __file__, 1, "debug", None, None)
    record.text, record.request_id = SECRET, "r1"
    assert json.loads(JsonFormatter().format(record)) == {**json.loads(JsonFormatter().format(record)),
                                                          "request_id": "r1"}
    assert "text" not in json.loads(JsonFormatter().format(record))
    assert json.loads(JsonFormatter(log_text=True).format(record))["text"] == SECRET
