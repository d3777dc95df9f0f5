"""Issue 3's examples through the HTTP API: one English generic whatever the spelling."""

import pytest


@pytest.fixture(scope="module")
def client(make_client):
    with make_client() as c:
        yield c


def names(client, text):
    body = client.post("/v1/extract", json={"text": text}).json()
    for d in body["drugs"]:
        assert text[d["start"]:d["end"]] == d["text"]
    return body


@pytest.mark.parametrize(
    "form", ["MMF", "mycophenolate mofetil", "ミコフェノール酸モフェチル", "CellCept", "セルセプト"]
)
def test_mycophenolate(client, form):
    drugs = names(client, f"寛解導入に {form} を用いた。")["drugs"]
    assert [(d["text"], d["name"]) for d in drugs] == [(form, "mycophenolate mofetil")]


@pytest.mark.parametrize(
    "form", ["シクロホスファミド", "シクロフォスファミド", "IVC", "IVCY", "CYC", "CTX", "ｼｸﾛﾌｫｽﾌｧﾐﾄﾞ"]
)
def test_cyclophosphamide(client, form):
    drugs = names(client, f"寛解導入に {form} を用いた。")["drugs"]
    assert [(d["text"], d["name"]) for d in drugs] == [(form, "cyclophosphamide")]


def test_definitions_glued_forms_classes_and_links(client):
    text = (
        "ミコフェノール酸モフェチル（以下MMF）と IV シクロフォスファミド（IVC）を比較した。"
        "MMF2g/日、IVC0.75-1 g/m2。CTX-AZA への切り替えも行った。ステロイドと免疫抑制剤は併用可、"
        "プラセボ群も置いた。AZA (2 mg/kg/day)。"
    )
    body = names(client, text)
    drugs = body["drugs"]
    got = [(d["text"], d["name"]) for d in drugs if not d.get("class")]
    assert got == [
        ("ミコフェノール酸モフェチル", "mycophenolate mofetil"),
        ("MMF", "mycophenolate mofetil"),
        ("シクロフォスファミド", "cyclophosphamide"),
        ("IVC", "cyclophosphamide"),
        ("MMF", "mycophenolate mofetil"),
        ("IVC", "cyclophosphamide"),
        ("CTX", "cyclophosphamide"),
        ("AZA", "azathioprine"),
        ("AZA", "azathioprine"),
    ]
    assert {d["text"] for d in drugs if d.get("class")} == {"ステロイド", "免疫抑制剤"}
    linked = {body["doses"][i]["text"]: drugs[d["drug"]]["text"] for i, d in enumerate(body["doses"])}
    assert linked == {"2g/日": "MMF", "0.75-1 g/m2": "IVC", "2 mg/kg/day": "AZA"}
