"""The published documentation: /docs and /redoc work offline (every asset served by the app), the
schema declares one error shape (ErrorBody) with examples, every route has response examples, and
the English and Japanese examples are what the service answers."""

from __future__ import annotations

import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.service.conftest import KEY
from tests.service.live import live_server
from trialex.service import examples
from trialex.service.schemas import BatchResult, ErrorBody, ExtractResult, PredictResponse

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KINDS = ("drugs", "doses", "trial_sizes", "response_rates", "p_values", "effects")


class Assets(HTMLParser):
    """The URLs a page loads: script src and link href."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


@pytest.fixture(scope="module")
def client(make_client):
    with make_client(api_key=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def schema(client) -> dict:
    return client.get("/openapi.json").json()


@pytest.mark.parametrize("page,scripts", [("/docs", 1), ("/redoc", 1)])
def test_docs_pages_load_every_asset_from_the_app(client, page, scripts):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    parser = Assets()
    parser.feed(r.text)
    assert len([u for u in parser.urls if u.endswith(".js")]) == scripts, parser.urls
    assert "cdn." not in r.text and "fonts.googleapis" not in r.text
    for url in parser.urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, (url, asset.status_code, len(asset.content))
    assert "'/openapi.json'" in r.text or 'spec-url="/openapi.json"' in r.text


def test_every_error_response_is_the_one_error_shape_with_examples(schema):
    error = schema["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    info = schema["components"]["schemas"]["ErrorInfo"]
    assert set(info["properties"]) == {"code", "message", "details"} and set(info["required"]) == {"code", "message"}
    seen = set()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for code, response in op["responses"].items():
                if code[0] not in "45" or (path, code) == ("/ready", "503"):
                    continue
                seen.add(int(code))
                (media,) = response["content"].values()
                assert media["schema"]["$ref"].endswith("/ErrorBody"), (method, path, code)
                if code != "500":
                    assert media["examples"], (method, path, code)
                for example in media.get("examples", {}).values():
                    ErrorBody.model_validate(example["value"])
            assert "500" in op["responses"], (method, path)
    assert seen == {400, 401, 403, 404, 409, 413, 422, 500, 503}
    extract = schema["paths"]["/v1/extract"]["post"]["responses"]
    assert extract["422"]["content"]["application/json"]["examples"]["validation_error"]["value"]["error"][
        "details"][0]["loc"] == ["body", "text"]


def test_every_route_has_response_examples(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method == "head":
                continue
            ok = op["responses"]["200"]["content"]
            assert any("examples" in media or "example" in media for media in ok.values()), (method, path)


def test_the_key_is_a_security_scheme(schema):
    assert schema["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "Bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY (or Token KEY)"},
        "Basic": {"type": "http", "scheme": "basic", "description": "the key as password; any user name"}}
    assert schema["paths"]["/label-studio/webhook"]["post"]["security"] == [{"ApiKey": []}, {"Bearer": []},
                                                                             {"Basic": []}]
    assert schema["paths"]["/v1/view"]["get"]["security"][0] == {}  # the key only for ?doc=


def _spans(result: dict) -> set:
    return {(kind, m["start"], m["end"], m["text"]) for kind in KINDS for m in result.get(kind, [])}


def test_the_english_and_japanese_examples_are_what_the_service_answers(make_client, learned, schema):
    requests = schema["components"]["schemas"]["ExtractRequest"]["examples"]
    assert {(e["lang"], e["text"]) for e in requests} == {("ja", examples.JA_TEXT), ("auto", examples.EN_TEXT)}
    published = schema["paths"]["/v1/extract"]["post"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert set(published) == {"en", "ja"}
    client = make_client(learned)
    for lang, text in (("en", examples.EN_TEXT), ("ja", examples.JA_TEXT)):
        example = published[lang]["value"]
        ExtractResult.model_validate(example)
        assert example["lang"] == lang and _spans(example)
        for kind, start, end, span in _spans(example):
            assert text[start:end] == span, (kind, start, end, span)  # offsets slice the example's text
        got = client.post("/v1/extract", json={"id": example["id"], "text": text}).json()
        assert _spans(example) <= _spans(got), sorted(_spans(example) - _spans(got))
    batch = schema["paths"]["/v1/extract/batch"]["post"]["responses"]["200"]["content"]["application/json"]
    assert BatchResult.model_validate(batch["examples"]["en_and_ja"]["value"]).results[1].lang == "ja"
    table = schema["paths"]["/v1/table"]["post"]["responses"]["200"]["content"]["application/json"]
    rows = table["examples"]["en_and_ja"]["value"]["rows"]
    assert [r["cells"]["document"] for r in rows] == ["en-1", "ja-1"]
    documents = schema["components"]["schemas"]["TableRequest"]["examples"][0]
    assert client.post("/v1/table", json=documents).json()["rows"][0]["cells"]["percent"] == rows[0]["cells"]["percent"]
    predict = schema["paths"]["/label-studio/predict"]["post"]["responses"]["200"]["content"]["application/json"]
    PredictResponse.model_validate(predict["examples"]["en_and_ja"]["value"])


# --------------------------------------------------------------------------- in a browser

_local = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server(make_app):
    """The app under uvicorn on a free port (the browser fixture of test_page drives Chromium)."""
    with live_server(make_app(api_key=KEY)) as url:
        with _local.open(url + "/docs", timeout=5) as r:
            assert r.status == 200
        yield url


from tests.service.test_page import browser  # noqa: E402,F401  (fixture: headless Chromium over CDP)


def test_swagger_ui_renders_the_operations_offline(server, browser):  # noqa: F811
    cdp = browser
    cdp.send("Page.navigate", url=server + "/docs")
    count = cdp.wait_for("document.querySelectorAll('.opblock').length", timeout=30)
    assert count >= 15, count
    summaries = cdp.js("Array.from(document.querySelectorAll('.opblock-summary-path')).map(e => e.textContent)")
    assert {"/v1/extract", "/v1/extract/batch", "/v1/table", "/label-studio/webhook"} <= {s.strip() for s in summaries}
    assert cdp.js("!!document.querySelector('.btn.authorize')")  # the API key's security schemes
    loaded = cdp.js("performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(u.startswith(server) for u in loaded), loaded  # nothing from the network
    ARTIFACTS.mkdir(exist_ok=True)
    cdp.screenshot(ARTIFACTS / "docs.png")
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000
    cdp.send("Page.navigate", url=server + "/redoc")
    assert cdp.wait_for("document.querySelectorAll('[data-section-id]').length", timeout=30) >= 15
    assert "/v1/extract" in cdp.js("document.body.innerText")
