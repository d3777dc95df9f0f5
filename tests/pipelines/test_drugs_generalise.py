"""Drug names that generalise (issue 12): one test group per cause, in both languages.

Every example is written for this file (none comes from a corpus or a gold split)."""


import pytest



def named(result, surface=None):
    return [(d["text"], d["name"]) for d in result["drugs"]
            if not d.get("class") and (surface is None or d["text"] == surface)]


# -- 1. definitions in the text win over tables and survive coordination ------------------------
@pytest.mark.parametrize(
    "text, surface, name, count",
    [
        (
            "Patients received tacrolimus and mycophenolate mofetil (MMF). MMF was stopped in three patients.",
            "MMF",
            "mycophenolate mofetil",
            2,
        ),
        ("EPO (epoetin beta) was given weekly. EPO doses were lowered in week 4.", "EPO", "epoetin beta", 2),
        (
            "タクロリムスとミコフェノール酸モフェチル（MMF）を併用した。MMF 群では副作用が少なかった。",
            "MMF",
            "mycophenolate mofetil",
            2,
        ),
        ("EPO（エポエチン ベータ）を週 1 回投与した。EPO 群では貧血が改善した。", "EPO", "epoetin beta", 2),
        (
            "ゾレドロン酸（開発コード：ZOL-446）を投与した。ZOL-446 群では骨折が少なかった。",
            "ZOL-446",
            "zoledronic acid",
            2,
        ),
    ],
)
def test_definitions_name_every_later_mention(extract, text, surface, name, count):
    assert named(extract(text), surface) == [(surface, name)] * count


@pytest.mark.parametrize(
    "text, maker",
    [
        ("Patients took CellCept (Roche) 1 g twice daily.", "Roche"),
        ("セルセプト（中外製薬）を 1 日 2 g 投与した。", "中外製薬"),
    ],
)
def test_a_maker_in_brackets_is_no_drug(extract, text, maker):
    r = extract(text)
    assert [n for _, n in named(r)] == ["mycophenolate mofetil"]
    assert all(maker not in d["text"] for d in r["drugs"])


# -- 2. names outside every lexicon -----------------------------------------------------------
@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("Patients received ABC-123 100 mg daily or placebo. ABC-123 was well tolerated.", "ABC-123", "abc-123"),
        ("XY-4567 100 mg を投与した。XY-4567 群では再燃が少なかった。", "XY-4567", "xy-4567"),
    ],
)
def test_development_codes_given_are_drugs_everywhere(extract, text, surface, name):
    assert named(extract(text), surface) == [(surface, name)] * 2


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Induction used anti-thymocyte globulin; granulocyte colony-stimulating factor was added.",
            [
                ("anti-thymocyte globulin", "antithymocyte globulin"),
                ("granulocyte colony-stimulating factor", "filgrastim"),
            ],
        ),
        (
            "導入療法では抗胸腺細胞グロブリンを投与し、顆粒球コロニー刺激因子を併用した。",
            [("抗胸腺細胞グロブリン", "antithymocyte globulin"), ("顆粒球コロニー刺激因子", "filgrastim")],
        ),
        (
            "Patients received peginterferon α-2a; others received β-alanine 4 g daily or α-tocopherol.",
            [
                ("peginterferon α-2a", "peginterferon alfa-2a"),
                ("β-alanine", "beta-alanine"),
                ("α-tocopherol", "alpha-tocopherol"),
            ],
        ),
    ],
)
def test_biologics_and_greek_letter_names(extract, text, expected):
    assert named(extract(text)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Patients received glecaprevir/pibrentasvir for 8 weeks.", ["glecaprevir", "pibrentasvir"]),
        ("アトバコン・プログアニルを投与した。", ["atovaquone", "proguanil"]),
    ],
)
def test_combinations_are_one_mention_a_drug(extract, text, expected):
    assert [n for _, n in named(extract(text))] == expected


# -- 3. substances given vs measured ------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Children received zinc 20 mg daily for 10 days; serum zinc rose in the zinc group.", ["zinc"] * 3),
        (
            "Lithium 300 mg twice daily and selenium 200 μg daily were given; "
            "coenzyme Q10 and vitamin D supplementation followed.",
            ["lithium", "selenium", "ubidecarenone", "vitamin d"],
        ),
        (
            "炭酸リチウム 400 mg/日、セレン 100μg、コエンザイムQ10 を投与した。",
            ["lithium", "selenium", "ubidecarenone"],
        ),
        ("亜鉛 20 mg を 1 日 1 回投与した。", ["zinc"]),
    ],
)
def test_substances_given_are_drugs(extract, text, expected):
    assert [n for _, n in named(extract(text))] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Serum zinc, creatinine, cortisol, aldosterone and ACTH were measured; "
        "oxygen saturation and malondialdehyde did not change.",
        "血清亜鉛、クレアチニン、コルチゾール、アルドステロン、ACTH を測定し、酸素飽和度は変化しなかった。",
    ],
)
def test_substances_measured_are_not_drugs(extract, text):
    assert named(extract(text)) == []


# -- 4. Japanese forms ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        # an ester the English lexicon names stays in the name; salts and hydrates leave it
        (
            "テストステロンエナント酸エステル 250 mg を筋注した。",
            [("テストステロンエナント酸エステル", "testosterone enanthate")],
        ),
        ("ヒドロコルチゾン酪酸エステル軟膏を塗布した。", [("ヒドロコルチゾン酪酸エステル", "hydrocortisone butyrate")]),
        (
            "ドネペジル塩酸塩 5 mg と塩酸ドネペジル、ロスバスタチンカルシウム、"
            "アムロジピンベシル酸塩水和物を投与した。",
            [
                ("ドネペジル塩酸塩", "donepezil"),
                ("塩酸ドネペジル", "donepezil"),
                ("ロスバスタチンカルシウム", "rosuvastatin"),
                ("アムロジピンベシル酸塩水和物", "amlodipine"),
            ],
        ),
        ("DSCG 吸入と CBZ 内服を継続した。", [("DSCG", "cromoglicic acid"), ("CBZ", "carbamazepine")]),
        ("抑肝散を 1 日 7.5 g 投与した。", [("抑肝散", "yokukansan")]),
        ("L-カルニチン 1000 mg を投与した。", [("L-カルニチン", "levocarnitine")]),
    ],
)
def test_japanese_forms(extract, text, expected):
    assert named(extract(text)) == expected


def test_english_salt_words_stay_in_the_span_not_the_name(extract):
    assert named(extract("Patients received sertraline hydrochloride 50 mg.")) == [
        ("sertraline hydrochloride", "sertraline")
    ]


# -- 5. regimens named as a whole ---------------------------------------------------------------
@pytest.mark.parametrize("text", ["Patients received FOLFOX or R-CHOP.", "FOLFOX 療法または R-CHOP 療法を施行した。"])
def test_regimen_acronyms_are_classes_never_combinations(extract, text):
    r = extract(text)
    assert named(r) == []
    assert {d["text"] for d in r["drugs"]} == {"FOLFOX", "R-CHOP"} and all(d["class"] for d in r["drugs"])
