"""Drug recognition (issue 3): one English generic whatever the language or spelling."""

import pytest

from trialex.pipelines.drug_lexicon import ja_fold

MMF_FORMS = ["MMF", "mycophenolate mofetil", "ミコフェノール酸モフェチル", "CellCept", "セルセプト"]
CYC_FORMS = ["シクロホスファミド", "シクロフォスファミド", "IVC", "IVCY", "CYC", "CTX", "ｼｸﾛﾌｫｽﾌｧﾐﾄﾞ", "エンドキサン"]


def drugs(result):
    return [(d["text"], d["name"]) for d in result["drugs"] if not d.get("class")]


@pytest.mark.parametrize("form", MMF_FORMS)
def test_mycophenolate_forms(extract, form):
    assert drugs(extract(f"寛解導入には {form} を用いた。")) == [(form, "mycophenolate mofetil")]


@pytest.mark.parametrize("form", CYC_FORMS)
def test_cyclophosphamide_forms(extract, form):
    assert drugs(extract(f"寛解導入には {form} を用いた。")) == [(form, "cyclophosphamide")]


@pytest.mark.parametrize(
    "text, abbr",
    [
        ("Mycophenolate mofetil (MMF) was compared with placebo. MMF was well tolerated.", "MMF"),
        ("ミコフェノール酸モフェチル（以下MMF）を投与した。MMF の忍容性は良好であった。", "MMF"),
        ("ミコフェノール酸モフェチル（MMF：目標投与量3g/日）を投与した。MMF 群では", "MMF"),
        ("IV シクロフォスファミド（IVC）と比較した。IVC 群では", "IVC"),
    ],
)
def test_defined_abbreviations_resolve_every_mention(extract, text, abbr):
    r = extract(text)
    found = [d for d in r["drugs"] if d["text"] == abbr]
    assert len(found) == text.count(abbr)
    assert len({d["name"] for d in found}) == 1


def test_abbreviation_defined_in_text_beats_the_table(extract):
    # "CP" means nothing in the table; defined here it names cisplatin
    r = extract("cisplatin (CP) plus radiotherapy. CP was given weekly.")
    assert [d["name"] for d in r["drugs"] if d["text"] == "CP"] == ["cisplatin", "cisplatin"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CTX-AZA 療法に切り替えた", [("CTX", "cyclophosphamide"), ("AZA", "azathioprine")]),
        ("MMF2g/日を投与", [("MMF", "mycophenolate mofetil")]),
        ("IVC0.75-1 g/m2 を 6 回", [("IVC", "cyclophosphamide")]),
    ],
)
def test_glued_forms_split(extract, text, expected):
    assert drugs(extract(text)) == expected


def test_span_is_the_name_alone(extract):
    r = extract("IV シクロフォスファミド 500mg と oral MMF を比較")
    assert [d["text"] for d in r["drugs"]] == ["シクロフォスファミド", "MMF"]


@pytest.mark.parametrize("term", ["ステロイド", "steroids", "免疫抑制剤", "biologics", "calcineurin inhibitors", "corticosteroids"])
def test_classes_are_flagged_not_drugs(extract, term):
    r = extract(f"Patients on {term} were excluded. {term} の併用は不可とした。")
    assert r["drugs"], term
    assert all(d.get("class") is True for d in r["drugs"])


@pytest.mark.parametrize("text", ["placebo was given", "プラセボ群と比較した", "matching placebo tablets"])
def test_placebo_is_not_a_drug(extract, text):
    assert [d for d in extract(text)["drugs"] if not d.get("class")] == []


@pytest.mark.parametrize(
    "text",
    ["Serum iron was 60 µg/dL.", "Oxygen saturation fell to 90%.", "Serum potassium was 4.1 mmol/L.",
     "Insulin resistance improved.", "Cortisol levels were measured."],
)
def test_lab_analytes_are_not_drugs(extract, text):
    assert [d for d in extract(text)["drugs"] if not d.get("class")] == []


def test_same_substance_given_as_drug_is_found(extract):
    r = extract("Patients received oral iron 100 mg daily or potassium chloride 20 mmol.")
    assert {d["name"] for d in r["drugs"]} >= {"potassium chloride"}
    assert "iron" in {d["text"] for d in r["drugs"]}


def test_dose_links_to_its_drug(extract):
    r = extract("MMF（2g／日）と AZA (2 mg/kg/day) を比較した。")
    assert [r["drugs"][d["drug"]]["text"] for d in r["doses"]] == ["MMF", "AZA"]


def test_ids_come_with_english_drugs(extract):
    d = extract("rituximab 375 mg/m2 weekly")["drugs"][0]
    assert d["ids"]["drugbank"].startswith("DB")


def test_inn_names_across_languages(extract):
    en = extract("ciclosporin versus cyclosporine versus Neoral")["drugs"]
    ja = extract("シクロスポリン を投与")["drugs"]
    assert {d["name"] for d in en} == {d["name"] for d in ja} == {"ciclosporin"}


# -- the transliteration fallback on names that are NOT in the Japanese list ------------------
UNLISTED = {"テゼペルマブ": "tezepelumab", "ボクロスポリン": "voclosporin", "アニフロルマブ": "anifrolumab",
            "ペグビソマント": "pegvisomant", "リサンキズマブ": "risankizumab"}


@pytest.fixture(scope="module")
def without_these_names(extractor):
    """Remove the names from the Japanese list the running pipelines use, for these tests."""
    lexicons = {id(nlp.get_pipe("trialex_drugs").lex): nlp.get_pipe("trialex_drugs").lex
                for nlp in extractor.nlps.values()}
    removed = []
    for lex in lexicons.values():
        for ja in UNLISTED:
            for key in [k for k in lex.ja if k.startswith(ja_fold(ja))]:
                removed.append((lex, key, lex.ja.pop(key)))
    yield
    for lex, key, value in removed:
        lex.ja[key] = value


@pytest.mark.parametrize("ja, en", sorted(UNLISTED.items()))
def test_unlisted_katakana_named_by_transliteration(extract, without_these_names, ja, en):
    r = extract(f"{ja} 群とプラセボ群を比較した。")
    found = [d for d in r["drugs"] if d["text"] == ja]
    assert found and found[0]["name"] == en and found[0]["source"] == "transliteration"


@pytest.mark.parametrize("word", ["ランダム", "ベースライン", "プロトコル", "スコア"])
def test_ordinary_katakana_is_not_named(extract, word):
    assert extract(f"{word} 群とプラセボ群を比較した。")["drugs"] == []
