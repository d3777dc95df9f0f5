"""The assembled pipelines: language choice, offsets on mixed text, batches, long texts."""

import json

import pytest

from trialex.pipelines.language import detect
from trialex.pipelines.base import DocState
from trialex.pipelines.pipeline import Pipeline

MIXED = ("背景：Mycophenolate mofetil (MMF) は IV シクロフォスファミド（IVC）と比較された"
         "（ALMS試験）。MMF 群では 185 例中 104 例（56.2%）が反応し（log-rank test P＝0.003）、"
         "IVC：0.5-1.0 g/m2/月。ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ 500mg を 3 日間投与した。𠮟 😀 P = 0.04。")


def test_language_detection():
    assert detect("Complete remission in 16 of 71 patients.") == "en"
    assert detect("MMF 群では 185 例") == "ja"


def test_mixed_text_offsets_and_kinds(extract):
    r = extract(MIXED)
    assert r["lang"] == "ja"
    names = {d["name"] for d in r["drugs"] if not d.get("class")}
    assert {"mycophenolate mofetil", "cyclophosphamide", "methylprednisolone"} <= names
    assert [p["value"] for p in r["p_values"]] == [0.003, 0.04]
    # the astral characters before the last p value must not shift it
    last = r["p_values"][-1]
    assert MIXED[last["start"]:last["end"]] == "P = 0.04"
    assert [d["text"] for d in r["doses"]] == ["0.5-1.0 g/m2/月", "500mg"]


def test_forced_language_gives_same_extractions(extractor):
    text = "A total of 140 patients were enrolled; remission 56.2% (P = 0.003)."
    auto = extractor.extract(text, "auto")
    forced = extractor.extract(text, "ja")
    for key in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
        assert auto[key] == forced[key]


def test_batch_keeps_order_and_ids(extractor):
    docs = [{"id": str(i), "text": t, "lang": "auto"} for i, t in enumerate(
        ["P = 0.01", "185 例が登録された。", "P = 0.02", "MMF 3g/日"] * 40)]
    results = list(extractor.extract_many(docs))
    assert [r["id"] for r in results] == [d["id"] for d in docs]
    assert [r["lang"] for r in results[:4]] == ["en", "ja", "en", "ja"]
    assert results[2]["p_values"][0]["value"] == 0.02


def test_long_japanese_text_keeps_exact_offsets(extractor):
    unit = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（P＝0.003）。"
    text = unit * 700
    assert len(text.encode()) > 50_000
    r = extractor.extract(text, "ja")
    assert len(r["p_values"]) == text.count("P＝0.003")
    for p in r["p_values"]:
        assert text[p["start"]:p["end"]] == "P＝0.003"


def test_results_are_json_serialisable(extract):
    json.dumps(extract(MIXED), ensure_ascii=False)


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_gives_empty_result(extractor, text):
    r = extractor.extract(text, "auto")
    assert all(r[k] == [] for k in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"))


@pytest.mark.parametrize("text, error", [("P = 0.01 \ud800", ValueError), (b"P = 0.01", TypeError), (None, TypeError)])
def test_unusable_text_is_a_clear_error(extractor, text, error):
    with pytest.raises(error, match="surrogate|string"):
        extractor.extract(text, "en")
    assert extractor.extract("P = 0.01", "en")["p_values"][0]["value"] == 0.01  # still works


@pytest.mark.parametrize(
    "text", ["腫瘍体積は ８７５．６㎤ に倍増し、MMF 3g/日 を投与した。", "容積 2㎤、㎥、㍉ P＝0.04"]
)
def test_characters_sudachi_splits_oddly(extractor, text):
    # Sudachi returns an empty morpheme after "㎤": the doc must still be the text
    r = extractor.extract(text, "ja")
    for kind in ("drugs", "doses", "p_values"):
        for m in r[kind]:
            assert text[m["start"] : m["end"]] == m["text"]
    assert r["doses"] or r["p_values"]


def test_random_text_never_breaks_offsets(extractor):
    """Random mixtures of the characters abstracts contain (and odd ones) in both pipelines."""
    import random

    rng = random.Random(11)
    pieces = [
        "MMF",
        " ",
        "群",
        "例",
        "中",
        "（",
        "）",
        "%",
        "％",
        "P＝0.0",
        "p < ",
        "mg",
        "㎎",
        "/日",
        "～",
        "−",
        "ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ",
        "０",
        "1",
        "2",
        ".",
        "·",
        ",",
        "、",
        "。",
        "\n",
        "\u3000",
        "\u00a0",
        "㎤",
        "㍉",
        "🩺",
        "𠮟",
        "e\u0301",
        "ﾞ",
        "patients",
        "of",
        "n = ",
        "×10",
        "−4",
        "\u200b",
        "\ufeff",
        "Ⅲ",
        "①",
    ]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        for lang in ("ja", "en"):
            r = extractor.extract(text, lang)
            for kind in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
                for m in r[kind]:
                    assert 0 <= m["start"] < m["end"] <= len(text)
                    assert text[m["start"] : m["end"]] == m["text"]


def test_a_pipeline_runs_its_components_in_order_over_the_document_state():
    rules = Pipeline("en", decisions=False)
    assert rules.pipe_names == ["drugs", "p_values", "doses", "trial_sizes", "response_rates", "effects"]
    assert Pipeline("en").pipe_names[-1] == "decisions"
    st = rules("Twenty-eight patients received MMF 2 g/day (P = 0.04).")
    assert isinstance(st, DocState) and st.lang == "en"
    assert [m.attrs["value"] for m in st.mentions["p_value"]] == [0.04]
    assert [m.attrs["name"] for m in st.mentions["drug"]] == ["mycophenolate mofetil"]
    with pytest.raises(ValueError, match="unsupported language"):
        Pipeline("de")


def test_both_languages_share_the_loaded_components(extractor):
    en, ja = extractor.nlps["en"], extractor.nlps["ja"]
    assert (en.lang, ja.lang) == ("en", "ja")
    assert all(en.components[k] is ja.components[k] for k in en.components)  # loaded once
    assert ja("185 例中 104 例（56.2%）が寛解した。").lang == "ja"
