"""The drug lexicons, loaded once per process.

- English: the dictionary shipped in drug-named-entity-recognition (20k generics, 107k
  synonyms and brand names with DrugBank/MeSH ids), read straight from its pickle (its
  module builds a fuzzy n-gram index we do not need), plus models/lexicons/en_overrides.tsv.
- Japanese: models/lexicons/ja_drugs.tsv (the project's own JA → English generic list).
- Abbreviations, classes and non-drugs: models/lexicons/*.tsv.
Japanese keys are folded (フォ→ホ, ヴァ→バ, ー and ・ dropped) so spelling variants meet.
"""

from __future__ import annotations

import bz2
import importlib.resources
import pickle
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .resources import read_tsv, trie_regex

_BIOSIMILAR_SUFFIX = re.compile(r"-[a-z]{4}$")  # anifrolumab-fnia → anifrolumab
_SALTS = re.compile(
    r"\s+(?:hydrochloride|hcl|sodium|potassium|calcium|sulfate|sulphate|mesylate|mesilate|"
    r"maleate|besylate|besilate|tartrate|citrate|fumarate|succinate|acetate|phosphate|"
    r"bromide|hydrobromide|dihydrochloride|monohydrate|dihydrate|trihydrate|hydrate)$"
)


def en_key(s: str) -> str:
    """Lookup key of an English name: lower case, hyphens and runs of spaces as one space."""
    return re.sub(r"[\s\-‐]+", " ", s.lower()).strip()


_FOLD_PAIRS = [
    ("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"),
    ("フォ", "ホ"), ("ファ", "ハ"), ("フィ", "ヒ"), ("フェ", "ヘ"),
    ("ティ", "チ"), ("ディ", "ジ"), ("ヂ", "ジ"), ("ヅ", "ズ"),
]
_FOLD_DROP = set("ー・ ")


def ja_fold(s: str) -> str:
    """Fold Japanese spelling variants of drug names onto one key."""
    s = "".join(c for c in s if c not in _FOLD_DROP)
    for a, b in _FOLD_PAIRS:
        s = s.replace(a, b)
    return s


@dataclass
class DrugLexicon:
    en: dict[str, str] = field(default_factory=dict)  # en_key(variant) → generic
    en_ids: dict[str, dict] = field(default_factory=dict)  # generic → {"drugbank": ..., "mesh": ...}
    en_max_tokens: int = 1
    en_prefixes: set[str] = field(default_factory=set)  # token prefixes of multi-word keys
    ja: dict[str, str] = field(default_factory=dict)  # ja_fold(surface) → generic
    ja_max_len: int = 1
    ja_first_chars: set[str] = field(default_factory=set)
    abbreviations: dict[str, str] = field(default_factory=dict)  # case-sensitive
    ambiguous_abbreviations: set[str] = field(default_factory=set)
    en_classes: set[str] = field(default_factory=set)  # en_key of class terms (also keys of en)
    classes_ja_re: re.Pattern[str] | None = None
    blocked: set[str] = field(default_factory=set)  # en_key / ja surface never a drug
    guarded: set[str] = field(default_factory=set)  # a drug only with drug context

    def canonical(self, name: str) -> str:
        return self.en.get(en_key(name), name.lower())

    def ids(self, generic: str) -> dict:
        return self.en_ids.get(generic, {})


# DrugBank also lists allergen extracts, organisms and foods; a trial's "goat milk",
# "Escherichia coli" or "birch pollen" is not a drug mention.
_NOT_A_DRUG = re.compile(
    r"\b(?:pollen|hair|dander|feathers?|whole|leaf|leaves|root|seeds?|flowers?|fruit|bark|juice|"
    r"milk|meat|egg|eggs|venom|mold|mould|epithelia|epithelium|dust|mites?|smut|flour|cells|"
    r"allergenic|extract|shell|fish|nut|nuts|bean|beans|grass|weed|tree|plant|herb|tea|coffee|"
    r"bacillus|lactobacillus|escherichia|staphylococcus|streptococcus|candida|aspergillus|"
    r"penicillium|saccharomyces|bifidobacterium|clostridium|pseudomonas|salmonella)\b"
)


def _clean_generic(name: str) -> str:
    """'Anifrolumab-fnia' → 'anifrolumab'; 'Diclofenac (arthritis pain)' → 'diclofenac'."""
    name = re.sub(r"\s*\([^)]*\)", "", name.lower()).strip()
    return _BIOSIMILAR_SUFFIX.sub("", name)


@lru_cache(maxsize=1)
def load_lexicon() -> DrugLexicon:
    lex = DrugLexicon()
    pkl = importlib.resources.files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(str(pkl), "rb") as fh:
        data = pickle.load(fh)
    canon_data = data["drug_canonical_to_data"]
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        if not canonicals or "," in canonicals[0] or _NOT_A_DRUG.search(canonicals[0]):
            continue
        cd = canon_data.get(canonicals[0], {})
        if not (cd.get("mesh_id") or cd.get("smiles") or cd.get("medline_plus_id")):
            # DrugBank-only entries (experimental compounds, biologic extracts): a drug
            # only where the text treats it as one
            lex.guarded.add(en_key(variant))
        generic = _clean_generic(canonicals[0])
        generic = _SALTS.sub("", generic) if _SALTS.sub("", generic) in data["drug_variant_to_canonical"] else generic
        lex.en[en_key(variant)] = generic
        if generic not in lex.en_ids:
            ids = {k: cd[v] for k, v in (("drugbank", "drugbank_id"), ("mesh", "mesh_id"), ("medlineplus", "medline_plus_id")) if cd.get(v)}
            if ids:
                lex.en_ids[generic] = ids
    for row in read_tsv("lexicons", "en_overrides.tsv"):
        lex.en[en_key(row["variant"])] = row["en"]
    for row in read_tsv("lexicons", "ja_drugs.tsv"):
        lex.ja[ja_fold(row["ja"])] = row["en"]
    for row in read_tsv("lexicons", "abbreviations.tsv"):
        lex.abbreviations[row["abbr"]] = row["en"]
        if "ambiguous" in row.get("note", "").lower():
            lex.ambiguous_abbreviations.add(row["abbr"])
    classes_ja = []
    for row in read_tsv("lexicons", "drug_classes.tsv"):
        if row["lang"] == "ja":
            classes_ja.append(row["term"])
        else:
            lex.en_classes.add(en_key(row["term"]))
            lex.en[en_key(row["term"])] = en_key(row["term"])
    if classes_ja:
        lex.classes_ja_re = re.compile(trie_regex([[re.escape(c) for c in t] for t in classes_ja]))
    for row in read_tsv("lexicons", "not_drugs.tsv"):
        target = lex.guarded if "guard" in row["reason"].lower() else lex.blocked
        target.add(en_key(row["term"]) if row["term"].isascii() else row["term"])
    for key in lex.blocked:
        lex.en.pop(key, None)
    lex.en_max_tokens = max(len(k.split()) for k in lex.en)
    for k in lex.en:
        words = k.split()
        for i in range(1, len(words)):
            lex.en_prefixes.add(" ".join(words[:i]))
    lex.ja_max_len = max((len(k) for k in lex.ja), default=1)
    lex.ja_first_chars = {k[0] for k in lex.ja}
    return lex
