"""The rule files of models/rules/<lang>/: every file has a schema and passes it, a broken file
is refused with its name, and a document reads the lists of its language (and English)."""
import json
import re
import shutil

import pytest

from trialex.pipelines import resources
from trialex.pipelines.language import LANGS
from trialex.pipelines.resources import RULE_SCHEMAS, RULES, CueFile, cue_regex, doc_lang, languages, rule_langs, rules

FILES = sorted(p.relative_to(RULES) for p in RULES.rglob("*") if p.is_file())
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def test_a_folder_per_language_of_the_pipelines():
    assert set(languages()) == set(LANGS)


@pytest.mark.parametrize("rel", FILES, ids=str)
def test_every_rule_file_passes_its_schema(rel):
    assert len(rel.parts) == 2 and rel.parts[0] in languages(), f"{rel}: rules live in models/rules/<lang>/"
    assert rel.suffix == ".json" and rel.stem in RULE_SCHEMAS, f"{rel}: no schema for this file name"
    data = rules(rel.parts[0], rel.stem)
    assert isinstance(data, RULE_SCHEMAS[rel.stem])
    assert data.comment.strip()


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_file(lang):
    # numbers.json: number words are read in English text only ("Twenty-eight patients")
    assert {p.stem for p in (RULES / lang).glob("*.json")} - {"numbers"} == set(RULE_SCHEMAS) - {"numbers"}


def _load(tmp_path, monkeypatch, lang, name, data):
    (tmp_path / lang).mkdir(exist_ok=True)
    (tmp_path / lang / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(resources, "RULES", tmp_path)
    return resources.rules.__wrapped__(lang, name)


@pytest.mark.parametrize("name,change", [
    ("dose", lambda d: d["cues"]["route"].append("")),  # an empty word matches everywhere
    ("dose", lambda d: d.update(lists=d.pop("cues"))),  # an unknown key
    ("trial_size", lambda d: d.pop("_comment")),
    ("effects", lambda d: d["measures"].update(XR=["x ratio"])),  # not a measure of the spec
    ("units", lambda d: d["amount"]["mg"].update(normalize_to="kg")),
    ("units", lambda d: d["per_time"].update(day="day")),  # a string, not a list of surfaces
    ("arm_groups", lambda d: d["names"].update(sham=3)),
])
def test_a_broken_file_is_refused_with_its_name(tmp_path, monkeypatch, name, change):
    data = json.loads((RULES / "en" / f"{name}.json").read_text(encoding="utf-8"))
    assert _load(tmp_path, monkeypatch, "en", name, data)  # the file as it is passes
    change(data)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / "en" / f"{name}.json"))):
        _load(tmp_path, monkeypatch, "en", name, data)


def _shared_lists():
    """(kind, name, ja words) of the cue lists both languages have: a Japanese document reads
    them joined with the English ones."""
    for kind, schema in RULE_SCHEMAS.items():
        if schema is CueFile and kind != "drug":  # drug.json: kept as drugs.py reads it
            en, ja = rules("en", kind).cues, rules("ja", kind).cues
            yield from ((kind, name, words) for name, words in ja.items() if name in en)


@pytest.mark.parametrize("kind,name,words", list(_shared_lists()), ids=lambda v: v if isinstance(v, str) else "")
def test_japanese_lists_hold_japanese_words(kind, name, words):
    # an abbreviation quoted in Japanese text ("CRP") belongs to the English list, which
    # Japanese documents read too; this way an English document misses no word it can contain
    assert [w for w in words if not _JA.search(w)] == []


def test_a_document_reads_its_language_and_english():
    assert rule_langs("en") == ("en",)
    assert rule_langs("ja") == ("ja", "en")
    ja_word = rules("ja", "dose").cues["lab_context"][0]
    en_word = rules("en", "dose").cues["lab_context"][0]
    ja_doc, en_doc = cue_regex("dose", "lab_context", "ja"), cue_regex("dose", "lab_context", "en")
    assert ja_doc.search(f"前 {ja_word} 後") and ja_doc.search(f"x {en_word} y")
    assert en_doc.search(f"x {en_word} y") and not en_doc.search(f"前 {ja_word} 後")
    # the joined view of every language (for extractors that do not ask by language)
    assert cue_regex("dose", "lab_context").search(ja_word)
    assert set(resources.cues()["dose"]["lab_context"]) == set(rules("en", "dose").cues["lab_context"]) | set(
        rules("ja", "dose").cues["lab_context"])


def test_units_of_a_japanese_document_add_to_the_english_ones():
    from trialex.pipelines.doses import _tables

    _, en_amount, *_ = _tables("en")
    _, ja_amount, *_, ja_lead, _ = _tables("ja")
    assert set(en_amount) < set(ja_amount)
    assert "国際単位" in ja_amount and "国際単位" not in en_amount
    assert ja_amount["国際単位"][:2] == en_amount["IU"][:2] == ("IU", "IU")


def test_model_version_hashes_the_rule_files(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(resources.MODELS / "rules", models / "rules")
    monkeypatch.setattr(resources, "MODELS", models)
    before = resources.model_version.__wrapped__()
    path = models / "rules" / "ja" / "trial_size.json"
    path.write_text(path.read_text(encoding="utf-8").replace("]", ', "人"]', 1), encoding="utf-8")
    assert resources.model_version.__wrapped__() != before


def test_the_language_a_document_reads():
    from types import SimpleNamespace as Doc

    assert doc_lang(Doc(lang="ja", has_japanese=True)) == "ja"
    assert doc_lang(Doc(lang="en", has_japanese=False)) == "en"
    # Japanese sent as English still reads the Japanese lists (and English sent as ja, both)
    assert doc_lang(Doc(lang="en", has_japanese=True)) == "ja"
    assert doc_lang(Doc(lang="ja", has_japanese=False)) == "ja"


def test_effect_measures_by_language():
    from trialex.pipelines.effects import find_effects

    ja, en = "ハザード比 0.72（95%信頼区間 0.58～0.89）", "HR 0.72 (95% CI 0.58-0.89)"
    assert [e["measure"] for e in find_effects(ja, "ja")] == ["HR"]
    assert find_effects(ja, "en") == []  # the Japanese names are not English lists
    assert [e["measure"] for e in find_effects(en, "ja")] == [e["measure"] for e in find_effects(en, "en")] == ["HR"]
