"""POST /v1/table: the evidence table of several documents as JSON, CSV or XLSX; the result
JSON carries effects, arms and checks; the curator page is served at / with its assets."""
import csv
import io

import pytest

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（ハザード比 0.72、95%信頼区間 0.58～0.89、P＝0.002）。"
EN = "Response was 62% (31 of 50) in the pembrolizumab arm (n = 50) and 41% in the docetaxel arm (n = 49)."


@pytest.fixture(scope="module")
def client(make_client, learned):
    with make_client(learned, max_chars=5000, max_batch=3) as c:
        yield c


def test_extract_has_effects_arms_and_checks(client):
    body = client.post("/v1/extract", json={"text": JA}).json()
    (effect,) = body["effects"]
    assert (effect["measure"], effect["value"], effect["ci_low"], effect["ci_high"]) == ("HR", 0.72, 0.58, 0.89)
    assert body["arms"][0]["label"] == "MMF 群" and body["checks"] == []


def test_table_as_json_csv_and_xlsx(client):
    docs = {"documents": [{"id": "ja", "text": JA}, {"id": "en", "text": EN, "lang": "en"}]}
    rows = client.post("/v1/table", json=docs).json()["rows"]
    assert {r["cells"]["document"] for r in rows} == {"ja", "en"}
    got = client.post("/v1/table?format=csv", json=docs)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(got.text)))
    assert any(r["arm"] == "MMF 群" and r["percent"] == "56.2" for r in parsed)
    xlsx = client.post("/v1/table?format=xlsx", json=docs)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"  # a zip: the OOXML container
    assert "attachment" in xlsx.headers["content-disposition"]


def test_table_limits_and_formats(client):
    assert client.post("/v1/table", json={"documents": []}).status_code == 422
    assert client.post("/v1/table?format=pdf", json={"documents": [{"text": JA}]}).status_code == 422
    too_many = {"documents": [{"text": JA}] * 4}
    assert client.post("/v1/table", json=too_many).status_code == 413


def test_the_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ("static/app.js", "static/app.css"):
        assert asset in page.text and client.get("/" + asset).status_code == 200
