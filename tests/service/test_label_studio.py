"""Label Studio ML backend, webhook, API keys, HTML view, and the closed loop
(webhook correction → store → every export format → `trialex evaluate`)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.service.conftest import KEY, assert_error
from trialex.formats.offsets import OffsetMap, js_slice
from trialex.service.work import Engine
from trialex.store import CurationStore

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (ROOT / "models" / "label_studio" / "config.xml").read_text(encoding="utf-8")
# Full-width letters and digits, astral characters (𠮟 U+20B9F, 😀) before the spans.
JA = (
    "𠮟😀 ＭＭＦ群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"
    "ＭＭＦは 1 日 3,000mg を投与した。"
)
EN = "A total of 140 patients 😀 received mycophenolate mofetil; 13 of 25 patients responded (P = 0.04)."


@pytest.fixture(scope="module")
def engine(extractor) -> Engine:
    return Engine.of(extractor)


@pytest.fixture(scope="module")
def client(make_client, engine, tmp_path_factory):
    db = tmp_path_factory.mktemp("ls") / "c.sqlite3"
    with make_client(engine=engine, api_key=KEY, db_url=f"sqlite:///{db}") as c:
        yield c


def _predict(client, texts, config=CONFIG, **kw):
    body = {
        "tasks": [{"id": 100 + i, "data": {"text": t}} for i, t in enumerate(texts)],
        "label_config": config,
        "project": "1.1700000000",
        "params": {"login": None, "password": None, "context": None},
        "model_version": "x",
    }
    r = client.post("/label-studio/predict", json=body, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_predict_regions_land_on_the_right_characters_utf16(client):
    body = _predict(client, [JA, EN])
    assert len(body["results"]) == 2
    for text, pred in zip([JA, EN], body["results"]):
        assert pred["model_version"].startswith("trialex")
        labels = [r for r in pred["result"] if r["type"] == "labels"]
        assert labels
        for r in labels:
            v = r["value"]
            assert (r["from_name"], r["to_name"]) == ("label", "text")
            # JavaScript's text.slice(start, end) gives the span: the offsets are UTF-16
            assert text.encode("utf-16-le")[2 * v["start"] : 2 * v["end"]].decode("utf-16-le") == v["text"]
    ja: dict = {}
    for r in body["results"][0]["result"]:
        if r["type"] == "labels":
            ja.setdefault(r["value"]["text"], r)  # the first mention of each surface
    assert ja["ＭＭＦ"]["value"]["labels"] == ["Drug"]
    assert ja["ＭＭＦ"]["value"]["start"] == JA.index("ＭＭＦ") + 2  # two astral characters before it
    assert ja["185 例"]["value"]["labels"] == ["TrialSize"]
    assert ja["56.2%"]["value"]["labels"] == ["ResponseRate"]
    assert ja["P＝0.003"]["value"]["labels"] == ["PValue"]
    assert ja["1 日 3,000mg"]["value"]["labels"] == ["Dose"]
    values = {r["id"]: r["value"]["text"][0] for r in body["results"][0]["result"] if r["type"] == "textarea"}
    assert values[ja["ＭＭＦ"]["id"]] == "name: mycophenolate mofetil"
    assert "unit: mg/day" in values[ja["1 日 3,000mg"]["id"]]
    assert "percent: 56.2" in values[ja["56.2%"]["id"]]


def test_predict_follows_the_project_config(client):
    config = """<View><Text name="abstract" value="$body"/>
      <Labels name="ents" toName="abstract"><Label value="drug"/><Label value="Trial size"/>
      <Label value="p-value"/></Labels></View>"""
    r = client.post(
        "/label-studio/predict",
        json={"tasks": [{"id": 1, "data": {"body": JA}}, {"id": 2, "data": {}}], "label_config": config},
    )
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert second["result"] == []
    labels = {x["value"]["labels"][0] for x in first["result"]}
    assert labels == {"drug", "Trial size", "p-value"}  # no Dose/ResponseRate labels in this config
    assert all(x["from_name"] == "ents" and x["to_name"] == "abstract" and "meta" in x for x in first["result"])
    bad = client.post("/label-studio/predict", json={"tasks": [], "label_config": "<View><Labels"})
    assert_error(bad, 422, "XML", code="invalid_request")
    assert client.post("/label-studio/predict", json={"label_config": config}).status_code == 422


def test_health_answers_while_extraction_holds_the_lock(client, engine):
    done = threading.Event()
    with engine.lock:  # an extraction is running
        t = threading.Thread(target=lambda: (_predict(client, [JA]), done.set()))
        t.start()
        t0 = time.perf_counter()
        r = client.get("/label-studio/health")
        elapsed = time.perf_counter() - t0
        assert not done.is_set()  # the prediction is still waiting for the lock
    t.join(30)
    assert r.status_code == 200 and r.json()["status"] == "UP"
    assert elapsed < 1.0
    assert done.is_set()


def test_setup_needs_the_key_and_stores_the_config(client):
    body = {
        "project": "5.1700000000",
        "schema": CONFIG,
        "hostname": "http://localhost:8080",
        "access_token": "secret-token",
        "model_version": "v",
    }
    assert client.post("/label-studio/setup", json=body).status_code == 401
    assert client.post("/label-studio/setup", json=body, headers={"X-API-Key": "wrong"}).status_code == 403
    r = client.post("/label-studio/setup", json=body, headers={"Authorization": f"Token {KEY}"})
    assert r.status_code == 200 and r.json()["model_version"].startswith("trialex")
    store = client.app.state.curation_store
    assert store.project_config(5) == CONFIG
    with store.engine.connect() as conn:  # the Label Studio access token is never stored
        dump = json.dumps([list(map(str, row)) for t in store.t.values() for row in conn.execute(t.select())])
    assert "secret-token" not in dump
    # HTTP Basic, as Label Studio's ML backend connection sends it (the key as password)
    import base64

    basic = base64.b64encode(f"labelstudio:{KEY}".encode()).decode()
    assert client.post("/label-studio/setup", json=body, headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_keys_and_open_modes(make_client, tmp_path):
    db = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    hook = {"action": "PROJECT_UPDATED", "project": {"id": 1}}
    # no key configured: writes refused with a clear message, reads open
    c = make_client(db_url=db)
    assert_error(c.post("/label-studio/webhook", json=hook), 403, "TRIALEX_API_KEY", code="forbidden")
    assert c.post("/v1/extract", json={"text": "P = 0.01"}).status_code == 200
    assert c.get("/label-studio/health").status_code == 200
    # explicitly open for local use
    c = make_client(db_url=db, open_writes=True)
    assert c.post("/label-studio/webhook", json=hook).json()["status"] == "ignored"
    # reads behind the key
    c = make_client(db_url=db, api_key=KEY, require_key_for_read=True)
    assert_error(c.post("/v1/extract", json={"text": "P = 0.01"}), 401, "needs the API key", code="unauthorized")
    assert c.post("/v1/extract/batch", json={"documents": [{"text": "P = 0.01"}]}).status_code == 401
    assert c.post("/label-studio/predict", json={"tasks": []}).status_code == 401
    assert (
        c.post("/v1/extract", json={"text": "P = 0.01"}, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    )
    assert c.get("/health").status_code == 200 and c.get("/label-studio/health").status_code == 200


def _annotation(client, text, edit=None, ann_id=501, task_id=9):
    """A Label Studio annotation made from the prediction (as when a curator accepts and edits it)."""
    pred = _predict(client, [text])["results"][0]
    result = json.loads(json.dumps(pred["result"]))
    if edit:
        result = edit(result)
    return {
        "action": "ANNOTATION_CREATED",
        "annotation": {
            "id": ann_id,
            "result": result,
            "task": task_id,
            "completed_by": 1,
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": 12.5,
            "prediction": {},
            "result_count": 0,
        },
        "task": {"id": task_id, "data": {"text": text}, "project": 1, "is_labeled": True},
        "project": {"id": 1, "title": "trialex", "label_config": CONFIG},
    }


def _drop_pvalue_and_add_span(text):
    """The curator removes the p value and draws a response rate the model did not mark."""

    def edit(result):
        pv = [r["id"] for r in result if r["type"] == "labels" and r["value"]["labels"] == ["PValue"]]
        result = [r for r in result if r["id"] not in pv]
        s = text.index("十分の八")
        s16, e16 = OffsetMap(text).span_to_utf16(s, s + 4)
        result.append(
            {
                "id": "manual1",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {"start": s16, "end": e16, "text": "十分の八", "labels": ["ResponseRate"]},
            }
        )
        result.append(
            {
                "id": "manual1",
                "from_name": "values",
                "to_name": "text",
                "type": "textarea",
                "origin": "manual",
                "value": {"start": s16, "end": e16, "text": ["percent: 80; outcome: 寛解"]},
            }
        )
        return result

    return edit


JA2 = JA + "寛解は十分の八であった。"  # a response rate the model does not mark


def test_webhook_stores_corrections_in_code_points(app_store):
    client, store = app_store
    hook = _annotation(client, JA2, _drop_pvalue_and_add_span(JA2))
    assert client.post("/label-studio/webhook", json=hook).status_code == 401
    r = client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY})
    assert r.status_code == 200, r.text
    (info,) = r.json()["stored"]
    assert info["document"] == "label-studio:1:9" and info["version"] == 1 and info["warnings"] == []
    (rec,) = store.curated()
    for s in rec["spans"]:
        assert JA2[s["start"] : s["end"]] == s["text"]  # code points now
    kinds = [s["kind"] for s in rec["spans"]]
    assert "p_value" not in kinds
    added = next(s for s in rec["spans"] if s["text"] == "十分の八")
    assert added == {
        "kind": "response_rate",
        "start": JA2.index("十分の八"),
        "end": JA2.index("十分の八") + 4,
        "text": "十分の八",
        "percent": 80.0,
        "outcome": "寛解",
    }
    hist = store.history("label-studio:1:9")
    assert hist[0]["model_version"].startswith("trialex") and hist[0]["preannotation_id"]
    assert store.latest_preannotation("label-studio:1:9")["model_version"] == hist[0]["model_version"]

    # the curator edits again: a new version; then deletes: a mark, earlier versions kept
    hook["action"] = "ANNOTATION_UPDATED"
    hook["annotation"]["result"] = [x for x in hook["annotation"]["result"] if x["id"] != "manual1"]
    r = client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY})
    assert r.json()["stored"][0]["version"] == 2
    r = client.post(
        "/label-studio/webhook",
        json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 501}], "project": {"id": 1}},
        headers={"X-API-Key": KEY},
    )
    assert r.json()["deleted"] == [501]
    assert [h["action"] for h in store.history("label-studio:1:9")] == ["created", "updated", "deleted"]
    assert store.curated() == []


def test_webhook_fills_values_of_spans_drawn_without_them(app_store):
    client, store = app_store

    def edit(result):
        # keep only the labels (no TextArea values): values come from the pre-annotation or the text
        result = [r for r in result if r["type"] == "labels"]
        s = JA.index("104 例")
        s16, e16 = OffsetMap(JA).span_to_utf16(s, s + 5)
        result.append(
            {
                "id": "m2",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s16, "end": e16, "text": "104 例", "labels": ["Trial size"]},
            }
        )
        return result

    hook = _annotation(client, JA, edit, ann_id=777, task_id=12)
    hook["task"]["data"]["doc_id"] = "ja-curated-1"
    hook["task"]["data"]["lang"] = "ja"
    r = client.post("/label-studio/webhook", json=hook, headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200
    (rec,) = store.curated(["ja-curated-1"])
    by_text = {s["text"]: s for s in rec["spans"]}
    assert by_text["ＭＭＦ"]["name"] == "mycophenolate mofetil"
    assert by_text["104 例"]["n"] == 104
    assert by_text["1 日 3,000mg"]["unit"] == "mg/day"
    assert by_text["P＝0.003"]["value"] == 0.003
    page = client.get("/v1/view", params={"doc": "ja-curated-1"}, headers={"X-API-Key": KEY})
    assert page.status_code == 200 and "104 例" in page.text and "k-trial_size" in page.text
    # the same payload again (a retried webhook) is no new version
    r = client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY})
    assert r.json()["stored"][0]["unchanged"] is True
    # a different text under the same doc_id is refused
    hook["task"]["data"]["text"] = JA + "!"
    assert_error(
        client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY}), 409, code="document_conflict"
    )
    # no task data in the payload
    bad = {"action": "ANNOTATION_CREATED", "annotation": {"id": 1, "result": [], "task": 3}}
    r = client.post("/label-studio/webhook", json=bad, headers={"X-API-Key": KEY})
    assert_error(r, 422, "Send payload", code="invalid_request")


def test_loop_webhook_to_exports_to_evaluate(app_store, tmp_path, monkeypatch, capsys, extractor):
    """A webhook correction, exported in every format, scored by `trialex evaluate`."""
    client, store = app_store
    hook = _annotation(client, JA2, _drop_pvalue_and_add_span(JA2), ann_id=900, task_id=33)
    hook["task"]["data"].update(doc_id="ja-loop-1", lang="ja")
    assert client.post("/label-studio/webhook", json=hook, headers={"X-API-Key": KEY}).status_code == 200

    from trialex import cli

    monkeypatch.setattr("trialex.pipelines.pipeline.Extractor", lambda **kw: extractor)  # the loaded one, for speed
    db = ["--db", store.url] + (["--schema", store.schema] if store.schema else [])
    out = {}
    for fmt, name in [
        ("gold", "curated.jsonl"),
        ("prodigy", "p.jsonl"),
        ("doccano", "d.jsonl"),
        ("label-studio", "ls.json"),
        ("spacy", "c.spacy"),
    ]:
        out[fmt] = tmp_path / name
        assert cli.main(["export", "--format", fmt, "--out", str(out[fmt]), *db]) == 0
    (gold,) = [json.loads(x) for x in out["gold"].read_text(encoding="utf-8").splitlines()]
    assert gold["id"] == "ja-loop-1" and gold["text"] == JA2 and gold["p_value"] == []
    i = JA2.index("十分の八")
    assert {"start": i, "end": i + 4, "percent": 80.0, "outcome": "寛解"} in gold["response_rate"]
    assert gold["drug"][0] == {
        "start": JA2.index("ＭＭＦ"),
        "end": JA2.index("ＭＭＦ") + 3,
        "name": "mycophenolate mofetil",
    }
    (pg,) = [json.loads(x) for x in out["prodigy"].read_text(encoding="utf-8").splitlines()]
    assert {(s["start"], s["end"], s["label"]) for s in pg["spans"]} >= {(i, i + 4, "RESPONSE_RATE")}
    (dc,) = [json.loads(x) for x in out["doccano"].read_text(encoding="utf-8").splitlines()]
    assert [i, i + 4, "RESPONSE_RATE"] in dc["label"]
    (task,) = json.loads(out["label-studio"].read_text(encoding="utf-8"))
    region = next(
        r
        for r in task["annotations"][0]["result"]
        if r["value"].get("labels") == ["ResponseRate"] and r["value"]["text"] == "十分の八"
    )
    assert js_slice(JA2, region["value"]["start"], region["value"]["end"]) == "十分の八"
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    (doc,) = DocBin().from_disk(out["spacy"]).get_docs(Vocab())
    assert ("十分の八", "RESPONSE_RATE") in [(s.text, s.label_) for s in doc.spans["sc"]]
    # UTF-16 offsets on request: two astral characters shift every span by 2
    assert (
        cli.main(["export", "--format", "doccano", "--offsets", "utf16", "--out", str(tmp_path / "d16.jsonl"), *db])
        == 0
    )
    (dc16,) = [json.loads(x) for x in (tmp_path / "d16.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x[0] - 2 for x in dc16["label"]] == [x[0] for x in dc["label"]]

    capsys.readouterr()
    assert cli.main(["evaluate", str(out["gold"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 1
    kinds = report["kinds"]
    # the model's p value was removed by the curator (a false positive now); "十分の八" it missed is a miss
    assert kinds["p_value"]["fp"] == 1 and kinds["p_value"]["tp"] == 0
    assert kinds["response_rate"]["fn"] == 1 and kinds["response_rate"]["tp"] >= 1
    assert kinds["drug"]["f1"] == 1.0 and kinds["trial_size"]["f1"] == 1.0 and kinds["dose"]["f1"] == 1.0


def test_view_endpoints(client):
    r = client.post("/v1/view", json={"text": "<b>MMF</b> 3 g/day in 140 patients (P = 0.01)", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "&lt;b&gt;" in page and "<b>MMF" not in page  # the text is escaped
    assert 'class="k-drug"' in page and "#7aecec" in page and "legend" in page
    r = client.get("/v1/view", params={"text": JA})
    assert r.status_code == 200 and "k-response_rate" in r.text
    assert client.get("/v1/view", params={"doc": "nope"}).status_code == 401  # stored data: the key
    assert client.get("/v1/view", params={"doc": "nope"}, headers={"X-API-Key": KEY}).status_code == 404
    form = client.get("/v1/view")  # neither text nor doc: a form to paste a text into
    assert form.status_code == 200 and '<textarea name="text"' in form.text
    assert client.get("/v1/view", params={"text": " \n"}).status_code == 422
    assert client.get("/label-studio/config").text.startswith("<View>")


def test_webhook_bulk_created_and_cancelled(app_store):
    client, store = app_store
    tasks = [{"id": 41, "data": {"text": JA, "doc_id": "bulk-1"}}, {"id": 42, "data": {"text": EN, "doc_id": "bulk-2"}}]
    preds = _predict(client, [JA, EN])["results"]
    anns = [
        {"id": 61, "task": 41, "result": preds[0]["result"], "was_cancelled": False},
        {"id": 62, "task": 42, "result": [], "was_cancelled": True},
    ]
    r = client.post(
        "/label-studio/webhook",
        json={"action": "ANNOTATIONS_CREATED", "annotation": anns, "task": tasks, "project": {"id": 2}},
        headers={"X-API-Key": KEY},
    )
    assert r.status_code == 200
    assert [x["action"] for x in r.json()["stored"]] == ["created", "cancelled"]
    assert [c["id"] for c in store.curated()] == ["bulk-1"]  # a skipped task is no curated document


def test_cli_preannotate_and_import_label_studio_export(tmp_path, monkeypatch, extractor):
    from trialex import cli

    monkeypatch.setattr("trialex.pipelines.pipeline.Extractor", lambda **kw: extractor)
    db = str(tmp_path / "cli.sqlite3")
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "ja-901", "lang": "ja", "text": JA}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli.main(["curation", "preannotate", str(docs), "--db", db, "--tasks", str(tmp_path / "tasks.json")]) == 0
    (task,) = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    # a Label Studio JSON export: the curator accepted the prediction as it was
    task.update(id=1, annotations=[{"id": 5, "result": task.pop("predictions")[0]["result"], "was_cancelled": False}])
    (tmp_path / "export.json").write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    assert cli.main(["curation", "import-ls", str(tmp_path / "export.json"), "--db", db]) == 0
    assert cli.main(["curation", "import-ls", str(tmp_path / "export.json"), "--db", db, "--no-extract"]) == 0
    store = CurationStore(db)
    assert len(store.history("ja-901")) == 1  # the second import changed nothing
    (rec,) = store.curated()
    (pre,) = store.extracted()
    assert [(s["kind"], s["start"], s["end"]) for s in rec["spans"]] == [
        (s["kind"], s["start"], s["end"]) for s in pre["spans"]
    ]
    store.close()


@pytest.mark.parametrize(
    "path,body",
    [
        (
            "/label-studio/predict",
            {"tasks": [None, "x", {"data": "x"}, {"data": {"text": 5}}, {"data": {"text": "P=0.1", "lang": ["x"]}}]},
        ),
        ("/label-studio/predict", {"tasks": [], "label_config": 5}),
        ("/label-studio/setup", {"project": "1", "schema": []}),
        ("/label-studio/setup", {"project": {"a": 1}, "schema": "<View>"}),
        (
            "/label-studio/webhook",
            {
                "action": "ANNOTATION_CREATED",
                "annotation": {"id": [1], "result": "x", "task": 1},
                "task": {"id": 1, "data": {"text": None}},
            },
        ),
        (
            "/label-studio/webhook",
            {
                "action": "ANNOTATION_CREATED",
                "annotation": {
                    "id": 2,
                    "task": 1,
                    "result": [
                        {"id": "r", "type": "labels", "value": {"start": "a", "end": None, "labels": "Drug"}},
                        5,
                        {"value": 3},
                    ],
                },
                "task": {"id": 1, "data": {"text": "MMF", "lang": "xx" * 20, "doc_id": "m-1"}},
                "project": {"label_config": 7},
            },
        ),
        ("/label-studio/webhook", {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": {"x": 1}}, 3, {"id": 99}]}),
    ],
)
def test_malformed_payloads_are_client_errors(client, path, body):
    r = client.post(path, json=body, headers={"X-API-Key": KEY})
    assert r.status_code < 500, r.text
