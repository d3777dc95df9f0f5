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


@pytest.mark.parametrize(
    "term", ["ステロイド", "steroids", "免疫抑制剤", "biologics", "calcineurin inhibitors", "corticosteroids"]
)
def test_classes_are_flagged_not_drugs(extract, term):
    r = extract(f"Patients on {term} were excluded. {term} の併用は不可とした。")
    assert r["drugs"], term
    assert all(d.get("class") is True for d in r["drugs"])


@pytest.mark.parametrize("text", ["placebo was given", "プラセボ群と比較した", "matching placebo tablets"])
def test_placebo_is_not_a_drug(extract, text):
    assert [d for d in extract(text)["drugs"] if not d.get("class")] == []


@pytest.mark.parametrize(
    "text",
    [
        "Serum iron was 60 µg/dL.",
        "Oxygen saturation fell to 90%.",
        "Serum potassium was 4.1 mmol/L.",
        "Insulin resistance improved.",
        "Cortisol levels were measured.",
    ],
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
UNLISTED = {
    "テゼペルマブ": "tezepelumab",
    "ボクロスポリン": "voclosporin",
    "アニフロルマブ": "anifrolumab",
    "ペグビソマント": "pegvisomant",
    "リサンキズマブ": "risankizumab",
}


@pytest.fixture(scope="module")
def without_these_names(extractor):
    """Remove the names from the Japanese list the running pipelines use, for these tests."""
    lexicons = {id(nlp.components["drugs"].lex): nlp.components["drugs"].lex for nlp in extractor.nlps.values()}
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


# -- issue 12: drug names that generalise (docs/drugs.md) -------------------------------------
# Every text below was written for these tests.


def names_of(result, surface):
    return [d["name"] for d in result["drugs"] if d["text"] == surface and not d.get("class")]


@pytest.mark.parametrize(
    "text, abbr, name",
    [
        (
            "Induction used tacrolimus and mycophenolate mofetil (MMF). MMF was reduced at week 12.",
            "MMF",
            "mycophenolate mofetil",
        ),
        (
            "導入にはタクロリムスとミコフェノール酸モフェチル（ＭＭＦ）を用いた。ＭＭＦは 12 週で減量した。",
            "ＭＭＦ",
            "mycophenolate mofetil",
        ),
        ("Anaemic patients were given EPO (epoetin beta) weekly; the EPO dose was titrated.", "EPO", "epoetin beta"),
        ("貧血例には EPO（エポエチン ベータ）を週 1 回投与し、EPO の用量を調整した。", "EPO", "epoetin beta"),
        (
            "We compared pentoxifylline (PTX) with placebo; PTX 400 mg was given three times daily.",
            "PTX",
            "pentoxifylline",
        ),
        ("ペントキシフィリン（以下、PTX）400 mg を 1 日 3 回投与した。PTX 群では", "PTX", "pentoxifylline"),
    ],
)
def test_text_definitions_win_over_tables_and_coordination(extract, text, abbr, name):
    found = names_of(extract(text), abbr)
    assert found == [name] * text.count(abbr), found


@pytest.mark.parametrize(
    "text, code, name",
    [
        (
            "Participants received amlodipine, valsartan and hydrochlorothiazide (QRS-2211) once daily. "
            "QRS-2211 lowered blood pressure.",
            "QRS-2211",
            "amlodipine/valsartan/hydrochlorothiazide",
        ),
        ("新規化合物ルルビネクテジン（開発コード：QRS-0917）を投与した。QRS-0917 群では", "QRS-0917", "lurbinectedin"),
    ],
)
def test_a_code_defined_for_a_drug_or_a_combination(extract, text, code, name):
    assert names_of(extract(text), code) == [name] * text.count(code)


@pytest.mark.parametrize(
    "text",
    [
        "Patients took CellCept (Roche) 1 g twice daily.",
        "Patients took adalimumab (AbbVie Inc) 40 mg every other week.",
    ],
)
def test_a_maker_in_brackets_is_no_drug(extract, text):
    surfaces = [d["text"] for d in extract(text)["drugs"]]
    assert "Roche" not in surfaces and "AbbVie Inc" not in surfaces and "AbbVie" not in surfaces


@pytest.mark.parametrize(
    "text, code",
    [
        ("Adults were randomised to ABC-123 200 mg or placebo.", "ABC-123"),
        ("The XY-4567 group reported fewer headaches than the placebo group.", "XY-4567"),
        ("Patients received SB4 50 mg weekly.", "SB4"),
        ("被験者を XY-4567 群とプラセボ群に割り付けた。", "XY-4567"),
        ("ABC-123 200 mg を 1 日 1 回経口投与した。", "ABC-123"),
    ],
)
def test_development_codes_from_context(extract, text, code):
    assert names_of(extract(text), code) == [code.lower()]


@pytest.mark.parametrize(
    "text",
    [
        "The SF-36 and EQ-5D were completed at baseline.",
        "CD4 counts above 350 cells were required; HbA1c fell in both groups.",
        "The registration number is NCT01234567.",
        "SAM40056 試験の成績を提出した。",
    ],
)
def test_scales_registries_and_study_codes_are_no_drugs(extract, text):
    assert [d for d in extract(text)["drugs"] if not d.get("class")] == []


@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("Patients received anti-thymocyte globulin on day 0.", "anti-thymocyte globulin", "antithymocyte globulin"),
        ("peginterferon α-2a plus ribavirin for 48 weeks", "peginterferon α-2a", "peginterferon alfa-2a"),
        ("β-alanine 4 g/day was taken for four weeks.", "β-alanine", "beta-alanine"),
        ("α-tocopherol 400 IU daily or placebo", "α-tocopherol", "alpha-tocopherol"),
    ],
)
def test_biologics_and_greek_letter_names(extract, text, surface, name):
    assert names_of(extract(text), surface) == [name]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "アトバコン・プログアニルを 1 日 1 回服用した。",
            [("アトバコン", "atovaquone"), ("プログアニル", "proguanil")],
        ),
        (
            "Patients took glecaprevir/pibrentasvir for 8 weeks.",
            [("glecaprevir", "glecaprevir"), ("pibrentasvir", "pibrentasvir")],
        ),
        (
            "ロピナビル／リトナビル（以下、LPV/r）を投与した。LPV/r 群では",
            [
                ("ロピナビル", "lopinavir"),
                ("リトナビル", "ritonavir"),
                ("LPV", "lopinavir"),
                ("r", "ritonavir"),
                ("LPV", "lopinavir"),
                ("r", "ritonavir"),
            ],
        ),
        (
            "Fluticasone furoate/vilanterol (FF/VI) was inhaled; FF/VI improved FEV1.",
            [
                ("Fluticasone furoate", "fluticasone furoate"),
                ("vilanterol", "vilanterol"),
                ("FF", "fluticasone furoate"),
                ("VI", "vilanterol"),
                ("FF", "fluticasone furoate"),
                ("VI", "vilanterol"),
            ],
        ),
    ],
)
def test_combinations_written_with_a_slash_or_a_dot_are_two_drugs(extract, text, expected):
    assert drugs(extract(text)) == expected


@pytest.mark.parametrize(
    "text, abbr, name",
    [
        (
            "Uncomplicated malaria was treated with artemether-lumefantrine (AL); AL was well tolerated.",
            "AL",
            "artemether/lumefantrine",
        ),
        ("テガフール・ウラシル配合剤（以下、UFT）を投与した。UFT 群では", "UFT", "tegafur/uracil"),
    ],
)
def test_a_fixed_combination_abbreviation_is_one_drug(extract, text, abbr, name):
    assert names_of(extract(text), abbr) == [name] * text.count(abbr)


@pytest.mark.parametrize(
    "text",
    [
        "Patients received FOLFOX or R-CHOP according to the tumour type.",
        "Conditioning was busulfan plus fludarabine (BuFlu); BuFlu was tolerated.",
        "mFOLFOX6 療法群とカペシタビン群を比較した。",
    ],
)
def test_regimen_acronyms_are_never_expanded(extract, text):
    for d in extract(text)["drugs"]:
        if d["text"] in ("FOLFOX", "R-CHOP", "BuFlu", "mFOLFOX6"):
            assert d.get("class") is True, d


@pytest.mark.parametrize(
    "text, word",
    [
        ("Children received zinc 20 mg/day or placebo; plasma zinc rose in the zinc group.", "zinc"),
        ("Lithium 900 mg/day was started and serum lithium levels were checked weekly.", "ithium"),
        ("Selenium 200 μg daily or placebo was given for five years.", "elenium"),
        ("Calcium and vitamin D supplementation was given to all women.", "alcium"),
        ("Coenzyme Q10 100 mg three times daily was compared with placebo.", "Coenzyme Q10"),
        ("セレン 200μg/日を投与する群とプラセボ群に割り付けた。血漿セレン濃度はセレン群で上昇した。", "セレン"),
        ("亜鉛 20mg を 1 日 1 回 10 日間服用した。亜鉛群では下痢が減少した。", "亜鉛"),
    ],
)
def test_substances_given_are_drugs_wherever_named(extract, text, word):
    r = extract(text)
    found = [d for d in r["drugs"] if word in d["text"] and not d.get("class")]
    assert len(found) == text.count(word), found


@pytest.mark.parametrize(
    "text",
    [
        "Serum zinc, creatinine, cortisol and ACTH were measured at baseline.",
        "Oxygen saturation fell below 90% in three patients.",
        "Insulin secretion and insulin resistance were estimated by HOMA.",
        "血清亜鉛値とクレアチニンを測定した。",
        "血清プロラクチン値は 8 週で低下した。",
    ],
)
def test_substances_only_measured_are_no_drugs(extract, text):
    assert [d for d in extract(text)["drugs"] if not d.get("class")] == []


@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("Low-dose aspirin 100 mg daily", "aspirin", "acetylsalicylic acid"),
        ("低用量アスピリン 100 mg を投与した。", "アスピリン", "acetylsalicylic acid"),
        ("cholecalciferol 1000 IU daily", "cholecalciferol", "colecalciferol"),
        ("ビタミンD3（コレカルシフェロール）を投与した。", "コレカルシフェロール", "colecalciferol"),
        ("polyethylene glycol 3350 17 g daily", "polyethylene glycol 3350", "macrogol"),
        ("Normal saline hydration 1 mL/kg/h was given before contrast.", "Normal saline", "sodium chloride"),
        ("Erythropoietin 10,000 IU weekly was given.", "Erythropoietin", "epoetin"),
    ],
)
def test_names_follow_the_guideline_convention(extract, text, surface, name):
    assert names_of(extract(text), surface) == [name]


def test_saline_given_as_the_control_is_no_drug(extract):
    r = extract("The control group received the same volume of normal saline; 対照群には同容量の生理食塩液を静注した。")
    assert [d for d in r["drugs"] if not d.get("class")] == []


@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("ボノプラザンフマル酸塩 20 mg を投与した。", "ボノプラザンフマル酸塩", "vonoprazan"),
        ("ナプロキセンナトリウム（NS）440mg を投与した。NS 群では", "ナプロキセンナトリウム", "naproxen"),
        ("塩酸ドネペジル 5 mg を投与した。", "ドネペジル", "donepezil"),
        ("L-カルニチン 1000 mg/日を投与した。", "L-カルニチン", "levocarnitine"),
        ("DSCG 点眼液を 1 日 4 回点眼した。", "DSCG", "cromoglicic acid"),
        ("大建中湯 15 g/日を投与した。", "大建中湯", "daikenchuto"),
    ],
)
def test_japanese_forms(extract, text, surface, name):
    r = extract(text)
    hit = [d for d in r["drugs"] if surface in d["text"] and not d.get("class")]
    assert hit and hit[0]["name"] == name, r["drugs"]


def test_japanese_salt_then_defined_abbreviation(extract):
    r = extract("ナプロキセンナトリウム（NS）440mg を投与した。NS 群では")
    assert names_of(r, "NS") == ["naproxen", "naproxen"]


@pytest.mark.parametrize(
    "text, abbr",
    [
        ("Postoperative myalgia (POM) was recorded; POM occurred in 20% of patients.", "POM"),
        ("術後筋痛（POM）の発現率は 20％であった。", "POM"),
    ],
)
def test_an_abbreviation_the_text_defines_for_something_else_is_no_drug(extract, text, abbr):
    assert names_of(extract(text), abbr) == []


def test_a_biosimilar_code_is_named_by_its_reference(extract):
    r = extract("The biosimilar QX 0501 was compared with adalimumab. Patients received QX 0501 40 mg every 2 weeks.")
    assert names_of(r, "QX 0501") == ["adalimumab", "adalimumab"]


def test_a_defined_abbreviation_with_a_dose_prefix(extract):
    text = (
        "Antithymocyte globulin (ATG) was given at 3.75 mg/kg (sATG) or 2.25 mg/kg (lowATG); sATG and lowATG were safe."
    )
    r = extract(text)
    assert names_of(r, "sATG") == ["antithymocyte globulin"] * 2
    assert names_of(r, "lowATG") == ["antithymocyte globulin"] * 2
