"""Checks of the drug-name data in models/lexicons/ (format, size, consistency, spot checks)."""

from __future__ import annotations

import bz2
import csv
import importlib.resources
import pickle
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

LEX = Path(__file__).resolve().parents[1] / "models" / "lexicons"

HEADERS = {
    "ja_drugs.tsv": ["ja", "en", "kind"],
    "abbreviations.tsv": ["abbr", "en", "note"],
    "drug_classes.tsv": ["term", "lang", "note"],
    "not_drugs.tsv": ["term", "lang", "reason"],
    "name_map.tsv": ["name", "inn", "rule"],
}
OPTIONAL = {"note"}  # the only columns that may be empty


def read(name: str) -> list[dict[str, str]]:
    with (LEX / name).open(encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    assert lines[-1] == "", f"{name}: must end with a newline"
    lines = lines[:-1]
    header = lines[0].split("\t")
    assert header == HEADERS[name], f"{name}: header {header}"
    rows = []
    for n, line in enumerate(lines[1:], 2):
        assert not line.startswith("#"), f"{name}:{n}: no comment lines"
        cells = line.split("\t")
        assert len(cells) == len(header), f"{name}:{n}: {len(cells)} columns: {line!r}"
        row = dict(zip(header, cells))
        for col, val in row.items():
            assert val == val.strip(), f"{name}:{n}: whitespace around {col!r}"
            if col not in OPTIONAL:
                assert val, f"{name}:{n}: empty {col}"
        rows.append(row)
    return rows


# Same folding as the Japanese matcher (pipelines/drug_lexicon.ja_fold), repeated here so
# that these data checks do not depend on pipeline code.
_FOLD_PAIRS = [
    ("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"),
    ("フォ", "ホ"), ("ファ", "ハ"), ("フィ", "ヒ"), ("フェ", "ヘ"),
    ("ティ", "チ"), ("ディ", "ジ"), ("ヂ", "ジ"), ("ヅ", "ズ"),
]


def ja_fold(s: str) -> str:
    s = "".join(c for c in s if c not in "ー・ ")
    for a, b in _FOLD_PAIRS:
        s = s.replace(a, b)
    return s


@lru_cache(maxsize=1)
def english_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(canonical names, variant keys) of the drug-named-entity-recognition dictionary."""
    pytest.importorskip("drug_named_entity_recognition")
    path = importlib.resources.files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(str(path), "rb") as fh:
        d = pickle.load(fh)
    return frozenset(d["drug_canonical_to_data"]), frozenset(d["drug_variant_to_canonical"])


@pytest.fixture(scope="module")
def ja_rows():
    return read("ja_drugs.tsv")


@pytest.fixture(scope="module")
def ja_map(ja_rows):
    return {r["ja"]: r["en"] for r in ja_rows}


@pytest.fixture(scope="module")
def abbr_map():
    return {r["abbr"]: r for r in read("abbreviations.tsv")}


@pytest.fixture(scope="module")
def classes():
    return read("drug_classes.tsv")


@pytest.fixture(scope="module")
def not_drugs():
    return read("not_drugs.tsv")


# -- format -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_files_parse(name):
    rows = read(name)
    assert rows
    # The loader in pipelines/resources.py reads with csv (QUOTE_NONE): same cells.
    with (LEX / name).open(encoding="utf-8", newline="") as fh:
        parsed = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [dict(r) for r in parsed] == rows


def test_readme_documents_every_file():
    text = (LEX / "README.md").read_text(encoding="utf-8")
    for name in HEADERS:
        assert name in text


# -- ja_drugs.tsv -------------------------------------------------------------------------

def test_ja_kinds_and_surfaces(ja_rows):
    for r in ja_rows:
        assert r["kind"] in {"generic", "brand", "variant"}, r
        assert not r["ja"].isascii(), f"ASCII surfaces belong in abbreviations.tsv: {r}"
        assert re.search(r"[\u3040-\u30ff\u3400-\u9fff]", r["ja"]), r


def test_ja_unique_and_sorted(ja_rows):
    surfaces = [r["ja"] for r in ja_rows]
    assert len(surfaces) == len(set(surfaces)), "duplicate ja rows"
    keys = [(r["en"], r["ja"]) for r in ja_rows]
    assert keys == sorted(keys), "rows must be sorted by en then ja"


def test_ja_folded_surface_has_one_name(ja_rows):
    seen: dict[str, set[str]] = defaultdict(set)
    for r in ja_rows:
        seen[ja_fold(r["ja"])].add(r["en"])
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not clashes, clashes


def test_ja_size(ja_rows):
    generics = {r["en"] for r in ja_rows if r["kind"] == "generic"}
    assert len(generics) >= 900
    assert sum(r["kind"] == "brand" for r in ja_rows) >= 200
    assert sum(r["kind"] == "variant" for r in ja_rows) >= 300
    assert len(ja_rows) >= 2000


def test_en_names_lower_case(ja_rows, abbr_map):
    for en in {r["en"] for r in ja_rows} | {r["en"] for r in abbr_map.values()}:
        assert en == en.lower(), en
        assert en == en.strip() and "  " not in en, en


def test_en_names_in_english_lexicon(ja_rows):
    canon, variants = english_lexicon()
    names = {r["en"] for r in ja_rows}
    missing = sorted(n for n in names if n not in canon and n not in variants)
    share = 1 - len(missing) / len(names)
    assert share >= 0.90, (share, missing)
    # every missing name is explained in the README
    readme = (LEX / "README.md").read_text(encoding="utf-8")
    assert not [n for n in missing if f"`{n}`" not in readme]


def test_salt_not_in_en_names(ja_rows):
    """Base INN without salt, except where the salt or ester names a distinct drug."""
    distinct = {"dimethyl fumarate", "ferrous fumarate"}
    salted = {
        r["en"]
        for r in ja_rows
        if r["en"] not in distinct
        and re.search(
            r"\b(hydrochloride|besilate|besylate|mesylate|mesilate|maleate|fumarate|tosylate|hydrate)\b", r["en"]
        )
    }
    assert not salted


# -- abbreviations.tsv --------------------------------------------------------------------


def test_abbreviations(abbr_map, ja_map):
    rows = read("abbreviations.tsv")
    assert len(rows) >= 150
    assert len(abbr_map) == len(rows), "duplicate abbreviation"
    canon, variants = english_lexicon()
    ja_names = set(ja_map.values())
    for r in rows:
        assert r["abbr"].isascii() or "β" in r["abbr"], r
        assert r["en"] in ja_names or r["en"] in canon or r["en"] in variants, r


def test_ambiguous_abbreviations_are_marked(abbr_map):
    for abbr in ["CTX", "IVC", "MPA", "PTX", "ADA", "CAP", "ASA", "CY", "TAC", "HC", "LV"]:
        assert "ambiguous" in abbr_map[abbr]["note"].lower(), abbr
    for abbr in ["MMF", "IVCY", "CYC", "MTX", "HCQ", "PSL", "mPSL", "CsA", "5-FU", "CDDP"]:
        assert "ambiguous" not in abbr_map[abbr]["note"].lower(), abbr


# -- drug_classes.tsv ---------------------------------------------------------------------


def test_classes(classes, ja_map):
    assert len(classes) >= 150
    langs = {r["lang"] for r in classes}
    assert langs == {"en", "ja"}
    assert sum(r["lang"] == "ja" for r in classes) >= 50
    keys = [(r["term"], r["lang"]) for r in classes]
    assert len(keys) == len(set(keys))
    for r in classes:
        if r["lang"] == "ja":
            assert r["term"] not in ja_map, f"class term is also a drug row: {r}"


def test_ja_class_terms_inside_drug_names_are_katakana_words(classes, ja_map):
    """A class word inside a drug name (スタチン in ロスバスタチン) can only be told apart by a
    katakana word boundary, so such class terms must be pure katakana."""
    kata = re.compile(r"^[\u30a0-\u30ff]+$")
    for r in classes:
        if r["lang"] != "ja":
            continue
        inside = [ja for ja in ja_map if r["term"] in ja]
        if inside:
            assert kata.match(r["term"]), (r["term"], inside[:3])


# -- not_drugs.tsv ------------------------------------------------------------------------


def test_not_drugs(not_drugs, ja_map):
    assert len(not_drugs) >= 100
    keys = [(r["term"], r["lang"]) for r in not_drugs]
    assert len(keys) == len(set(keys))
    for r in not_drugs:
        assert r["lang"] in {"en", "ja"}, r
        reason = r["reason"].lower()
        assert reason.startswith(("block", "guard")), r
        if reason.startswith("block"):
            # the loader treats any reason containing "guard" as guarded
            assert "guard" not in reason, r
            if r["lang"] == "ja":
                assert r["term"] not in ja_map, f"blocked term is a drug row: {r}"


# -- spot checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ja,en",
    [
        ("ミコフェノール酸モフェチル", "mycophenolate mofetil"),
        ("セルセプト", "mycophenolate mofetil"),
        ("シクロホスファミド", "cyclophosphamide"),
        ("シクロフォスファミド", "cyclophosphamide"),
        ("エンドキサン", "cyclophosphamide"),
        ("メチルプレドニゾロン", "methylprednisolone"),
        ("ソル・メドロール", "methylprednisolone"),
        ("ソルメドロール", "methylprednisolone"),
        ("タクロリムス", "tacrolimus"),
        ("プログラフ", "tacrolimus"),
        ("アザチオプリン", "azathioprine"),
        ("アザチオプリム", "azathioprine"),
        ("イムラン", "azathioprine"),
        ("アザニン", "azathioprine"),
        ("リツキシマブ", "rituximab"),
        ("リツキサン", "rituximab"),
        ("メトトレキサート", "methotrexate"),
        ("プレドニン", "prednisolone"),
        ("メトホルミン", "metformin"),
        ("メトホルミン塩酸塩", "metformin"),
        ("アムロジピンベシル酸塩", "amlodipine"),
        ("インスリン グラルギン", "insulin glargine"),
        ("オクトレオチド", "octreotide"),
        ("ランレオチド", "lanreotide"),
        ("パシレオチド", "pasireotide"),
        ("ペグビソマント", "pegvisomant"),
        ("ヒドロキシクロロキン", "hydroxychloroquine"),
        ("葉酸", "folic acid"),
        ("炭酸リチウム", "lithium"),
        ("ボノプラザン", "vonoprazan"),
        # docs/annotation-guidelines.md: INN spellings, FDCs joined by "/" in JP order
        ("シクロスポリン", "ciclosporin"),
        ("ネオーラル", "ciclosporin"),
        ("アセトアミノフェン", "paracetamol"),
        ("マヴィレット", "glecaprevir/pibrentasvir"),
        ("グレカプレビル", "glecaprevir"),
        ("ピブレンタスビル", "pibrentasvir"),
        ("ザクラス", "azilsartan/amlodipine"),
        ("テノホビル ジソプロキシルフマル酸塩", "tenofovir disoproxil"),
        ("クエン酸第二鉄水和物", "ferric citrate"),
        ("ルラシドン塩酸塩", "lurasidone"),
        ("シングリックス", "recombinant zoster vaccine"),
    ],
)
def test_ja_spot_checks(ja_map, ja, en):
    assert ja_map.get(ja) == en


@pytest.mark.parametrize(
    "abbr,en",
    [
        ("MMF", "mycophenolate mofetil"),
        ("IVC", "cyclophosphamide"),
        ("IVCY", "cyclophosphamide"),
        ("CYC", "cyclophosphamide"),
        ("CTX", "cyclophosphamide"),
        ("AZA", "azathioprine"),
        ("TAC", "tacrolimus"),
        ("FK506", "tacrolimus"),
        ("MTX", "methotrexate"),
        ("PSL", "prednisolone"),
        ("mPSL", "methylprednisolone"),
        ("5-FU", "fluorouracil"),
        ("MZR", "mizoribine"),
    ],
)
def test_abbreviation_spot_checks(abbr_map, abbr, en):
    assert abbr_map[abbr]["en"] == en


def test_class_spot_checks(classes):
    terms = {(r["term"], r["lang"]) for r in classes}
    for t in [
        ("ステロイド", "ja"),
        ("免疫抑制剤", "ja"),
        ("生物学的製剤", "ja"),
        ("マルチターゲット療法", "ja"),
        ("steroids", "en"),
        ("steroid", "en"),
        ("corticosteroids", "en"),
        ("immunosuppressive agents", "en"),
        ("biologics", "en"),
        ("multitarget therapy", "en"),
        ("R-CHOP", "en"),
        ("FOLFOX", "en"),
    ]:
        assert t in terms, t


def test_not_drug_spot_checks(not_drugs):
    terms = {r["term"]: r["reason"] for r in not_drugs}
    assert terms["placebo"].startswith("block")
    assert terms["プラセボ"].startswith("block")
    assert terms["偽薬"].startswith("block")
    # the guidelines (real abstracts): oxygen is not a drug, in any context
    assert terms["oxygen"].startswith("block")


# -- name_map.tsv (issue 12: the guideline's names, as data) -------------------------------


@pytest.fixture(scope="module")
def name_map():
    return {r["name"]: r for r in read("name_map.tsv")}


def test_name_map_format(name_map):
    rows = read("name_map.tsv")
    assert len(name_map) == len(rows), "duplicate name"
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows), "rows must be sorted by name"
    for r in rows:
        assert r["name"] == r["name"].lower() and r["inn"] == r["inn"].lower(), r
        assert r["name"] != r["inn"], r
        assert r["inn"] not in name_map, f"chained rename: {r}"
        assert r["rule"], r


@pytest.mark.parametrize(
    "name, inn",
    [
        ("aspirin", "acetylsalicylic acid"),
        ("cholecalciferol", "colecalciferol"),
        ("polyethylene glycol", "macrogol"),
        ("erythropoietin", "epoetin"),
        ("tegafur-uracil", "tegafur/uracil"),
        ("antithymocyte immunoglobulin (rabbit)", "antithymocyte globulin"),
        ("vitamin b12", "cyanocobalamin"),
    ],
)
def test_name_map_spot_checks(name_map, name, inn):
    assert name_map[name]["inn"] == inn


def test_the_loaded_lexicon_uses_the_guideline_names(name_map):
    from trialex.pipelines.drug_lexicon import en_key, load_lexicon

    lex = load_lexicon()
    outputs = set(lex.en.values()) | set(lex.ja.values()) | set(lex.abbreviations.values())
    leftover = sorted(n for n in name_map if n in outputs)
    assert not leftover, leftover
    assert lex.en[en_key("aspirin")] == "acetylsalicylic acid"
    assert lex.ja["アスピリン"] == "acetylsalicylic acid"
    assert lex.en[en_key("α-tocopherol")] == "alpha-tocopherol"


def test_supplements_given_in_japanese_have_rows(ja_map):
    for ja, en in [
        ("亜鉛", "zinc"),
        ("セレン", "selenium"),
        ("コエンザイムQ10", "ubidecarenone"),
        ("カルシウム", "calcium"),
        ("生理食塩液", "sodium chloride"),
        ("インスリン", "insulin"),
    ]:
        assert ja_map.get(ja) == en, ja


def test_japanese_supplement_rows_are_guarded(not_drugs, ja_map):
    """A substance the body also has needs a study giving it: its row is guarded, not blocked."""
    reasons = {r["term"]: r["reason"] for r in not_drugs if r["lang"] == "ja"}
    for ja in ["亜鉛", "カルシウム", "インスリン", "生理食塩液", "生食"]:
        assert ja in ja_map and reasons[ja].startswith("guard"), ja
