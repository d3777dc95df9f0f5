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

from .resources import cues, read_tsv, trie_regex

_BIOSIMILAR_SUFFIX = re.compile(r"-[a-z]{4}$")  # anifrolumab-fnia → anifrolumab
_SALTS = re.compile(
    r"\s+(?:hydrochloride|hcl|sodium|potassium|calcium|sulfate|sulphate|mesylate|mesilate|"
    r"maleate|besylate|besilate|tartrate|citrate|fumarate|succinate|acetate|phosphate|"
    r"bromide|hydrobromide|dihydrochloride|monohydrate|dihydrate|trihydrate|hydrate|dimesylate|"
    r"pamoate|embonate|tosylate|tosilate|hyclate|hemihydrate|sesquihydrate)$"
)
# Greek letters are read as their names ("α-tocopherol" = "alpha-tocopherol")
GREEK = str.maketrans({"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "ω": "omega",
                       "Α": "alpha", "Β": "beta", "Γ": "gamma", "Δ": "delta", "Κ": "kappa", "Ω": "omega"})


def en_key(s: str) -> str:
    """Lookup key of an English name: lower case, hyphens and runs of spaces as one space."""
    return re.sub(r"[\s\-‐]+", " ", s.lower().translate(GREEK)).strip()


_FOLD_PAIRS = [
    ("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"),
    ("フォ", "ホ"), ("ファ", "ハ"), ("フィ", "ヒ"), ("フェ", "ヘ"),
    ("ティ", "チ"), ("ディ", "ジ"), ("ヂ", "ジ"), ("ヅ", "ズ"),
    # Greek letters read as their katakana names ("インターフェロン β" = "インターフェロン ベータ")
    ("α", "アルハ"), ("β", "ベタ"), ("γ", "ガンマ"), ("ω", "オメガ"),
]
_FOLD_DROP = set("ー・ ")


_FOLD_DELETE = str.maketrans("", "", "".join(_FOLD_DROP))
_FOLD_TRIGGER = re.compile(
    "[" + "".join(sorted({a[-1] for a, _ in _FOLD_PAIRS} | {a[0] for a, _ in _FOLD_PAIRS})) + "]"
)


def ja_fold(s: str) -> str:
    """Fold Japanese spelling variants of drug names onto one key."""
    s = s.translate(_FOLD_DELETE)
    if not _FOLD_TRIGGER.search(s):
        return s  # most names hold none of the letters that fold
    for a, b in _FOLD_PAIRS:
        s = s.replace(a, b)
    return s


@dataclass
class DrugLexicon:
    en: dict[str, str] = field(default_factory=dict)  # en_key(variant) → generic
    en_ids: dict[str, dict] = field(default_factory=dict)  # generic → {"drugbank": ..., "mesh": ...}
    en_max_tokens: int = 1
    en_prefixes: set[str] = field(default_factory=set)  # token prefixes of multi-word keys
    en_first_tokens: set[str] = field(default_factory=set)  # first words of keys
    en_generic_variants: set[str] = field(default_factory=set)  # non-brand synonyms
    ja: dict[str, str] = field(default_factory=dict)  # ja_fold(surface) → generic
    ja_max_len: int = 1
    ja_prefixes: set[str] = field(default_factory=set)  # every prefix of a key of ja
    ja_first_chars: set[str] = field(default_factory=set)
    abbreviations: dict[str, str] = field(default_factory=dict)  # case-sensitive
    ambiguous_abbreviations: set[str] = field(default_factory=set)
    en_classes: set[str] = field(default_factory=set)  # en_key of class terms (also keys of en)
    classes_ja_re: re.Pattern[str] | None = None
    blocked: set[str] = field(default_factory=set)  # en_key / ja surface never a drug
    guarded: set[str] = field(default_factory=set)  # a drug only with drug context
    renames: dict[str, str] = field(default_factory=dict)  # name_map.tsv: lexicon name -> guideline name
    # fixed-dose combination products known to a lexicon: frozenset of components -> "a/b" in
    # the product's order (DrugBank "artemether and lumefantrine", ja_drugs "tegafur/uracil")
    combinations: dict[frozenset, str] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        """The output name of a drug: lexicon canonical, INN, guideline name, combinations as "a/b"."""
        name = self.en.get(en_key(name), name.lower())
        if _COMBINATION.search(name):
            name = _COMBINATION.sub("/", name)
        return self.rename(name)

    def rename(self, name: str) -> str:
        """The guideline's name for a lexicon name (models/lexicons/name_map.tsv), part by part
        for a combination "a/b"."""
        if name in self.renames:
            return self.renames[name]
        if "/" in name:
            return "/".join(self.renames.get(p, p) for p in name.split("/"))
        return name

    def combination(self, parts: list[str]) -> str | None:
        """The product name of a known fixed-dose combination of ``parts`` (any order)."""
        return self.combinations.get(frozenset(parts))

    def generic_names(self) -> set[str]:
        """Every generic the English lexicon names, and the non-brand spellings of them
        (INN "rifampicin" beside USAN "rifampin"), for the transliteration fallback."""
        return {g for k, g in self.en.items() if k not in self.en_classes} | self.en_generic_variants

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


# Fixed combinations ("umeclidinium and vilanterol"): their parts are matched one by one
_COMBINATION = re.compile(r",| and |/| with | plus ")


def _entry_kind(data: dict, inn_stem: re.Pattern[str]) -> str:
    """How far to trust an entry of the English lexicon, from its ids.

    - MeSH pharmacologic-action headings (tree D27) without a DrugBank id are classes
      ("analgesics", "anti-bacterial agents").
    - MeSH-only concepts without a DrugBank id, MedlinePlus page or structure are
      endogenous substances and biomarkers ("c-reactive protein", "interleukin-6",
      "glycated hemoglobin"): blocked.
    - Substances with a structure but no DrugBank/MedlinePlus entry ("insulin", "ghrelin")
      and DrugBank-only entries (experimental compounds, extracts) are drugs only where
      the text treats them as such: guarded.
    """
    drugbank, medline = data.get("drugbank_id"), data.get("medline_plus_id")
    mesh = data.get("mesh_tree") or []
    if not drugbank and any(t.startswith("D27") for t in mesh):
        return "class"
    if not drugbank and not medline and not data.get("smiles"):
        return "block"
    if not drugbank and not medline:
        return "guard"
    if not medline and mesh and all(t[:3] in _ENDOGENOUS_TREES for t in mesh):
        return "guard"  # peptides, proteins, enzymes, biological factors: "endothelin-1", "fibrin"
    if not (medline or data.get("mesh_id") or data.get("smiles")) and not inn_stem.search(data.get("name", "").lower()):
        return "guard"
    return "drug"


_ENDOGENOUS_TREES = {"D12", "D23", "D08", "D13", "D10"}


def inn_stem_regex() -> re.Pattern[str]:
    """A word ending with a WHO INN stem (models/rules/<lang>/drug.json, inn_stems), optionally with a
    biosimilar suffix ("-fnia")."""
    stems = "|".join(sorted(cues()["drug"]["inn_stems"], key=len, reverse=True))
    return re.compile(rf"(?:{stems})(?:-[a-z]{{4}})?\b")


def _clean_generic(name: str) -> str:
    """'Anifrolumab-fnia' → 'anifrolumab'; 'Diclofenac (arthritis pain)' → 'diclofenac'."""
    name = re.sub(r"\s*\([^)]*\)", "", name.lower()).strip()
    return _BIOSIMILAR_SUFFIX.sub("", name)


def _load_combinations(lex: DrugLexicon, data: dict) -> None:
    """Known fixed-dose combinations: DrugBank's multi-ingredient canonicals ("artemether and
    lumefantrine") and the "/" names of the project's tables, keyed by their component set."""
    for canon in data["drug_canonical_to_data"]:
        if not _COMBINATION.search(canon) or "(" in canon:
            continue
        parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|/|\s+with\s+|\s+plus\s+", canon) if p.strip()]
        names = [lex.rename(lex.en.get(en_key(p), p)) for p in parts]
        if len(names) >= 2:
            lex.combinations.setdefault(frozenset(names), "/".join(names))
    # the project's own names win (their order is the guideline's)
    for name in list(lex.ja.values()) + list(lex.abbreviations.values()) + list(lex.renames.values()):
        if "/" in name:
            lex.combinations[frozenset(name.split("/"))] = name


def read_english_lexicon() -> dict:
    """The dictionary shipped in drug-named-entity-recognition, read straight from its pickle
    (its module would also build a fuzzy n-gram index we do not need)."""
    pkl = importlib.resources.files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(str(pkl), "rb") as fh:
        return pickle.load(fh)


@lru_cache(maxsize=1)
def load_lexicon() -> DrugLexicon:
    lex = DrugLexicon()
    data = read_english_lexicon()
    canon_data = data["drug_canonical_to_data"]
    inn_stem = inn_stem_regex()
    # canonical names are lookup keys too ("iron" is a canonical but no variant key)
    entries = list(data["drug_variant_to_canonical"].items())
    entries += [(c, [c]) for c in canon_data if c not in data["drug_variant_to_canonical"]]
    for variant, canonicals in entries:
        # a variant may list combinations first ("formoterol" → budesonide and formoterol, ...)
        canonicals = [c for c in canonicals if not _COMBINATION.search(c)]
        if not canonicals or _NOT_A_DRUG.search(canonicals[0]):
            continue
        cd = canon_data.get(canonicals[0], {})
        kind = _entry_kind(cd, inn_stem)
        if kind == "block":
            continue
        if kind == "class":
            lex.en_classes.add(en_key(variant))
        elif kind == "guard":
            lex.guarded.add(en_key(variant))
        generic = _clean_generic(canonicals[0])
        base = _SALTS.sub("", generic)
        if base != generic and base in data["drug_variant_to_canonical"]:
            generic = base  # "metformin hydrochloride" → "metformin"
        lex.en[en_key(variant)] = generic
        if data["drug_variant_to_variant_data"].get(variant, {}).get("is_brand") is False:
            lex.en_generic_variants.add(en_key(variant))
        if generic not in lex.en_ids:
            ids = {
                k: cd[v]
                for k, v in (("drugbank", "drugbank_id"), ("mesh", "mesh_id"), ("medlineplus", "medline_plus_id"))
                if cd.get(v)
            }
            if ids:
                lex.en_ids[generic] = ids
    for row in read_tsv("lexicons", "en_overrides.tsv"):
        lex.en[en_key(row["variant"])] = row["en"]
    inn = {row["lexicon"]: row["inn"] for row in read_tsv("lexicons", "inn_names.tsv")}
    for key, generic in lex.en.items():
        if generic in inn:
            lex.en[key] = inn[generic]
    for name in inn.values():
        lex.en.setdefault(en_key(name), name)
    # One name per drug whatever the language: the Japanese list is written in INNs
    # (docs/annotation-guidelines.md); where the English lexicon files the same word under
    # another canonical (cyclosporine for ciclosporin), every variant of it takes the INN.
    ja_rows = read_tsv("lexicons", "ja_drugs.tsv")
    renames: dict[str, str] = {}
    for row in ja_rows:
        inn_name = row["en"]
        other = lex.en.get(en_key(inn_name))
        if other and other != inn_name and "/" not in inn_name:
            renames.setdefault(other, inn_name)
    for key, generic in lex.en.items():
        if generic in renames:
            lex.en[key] = renames[generic]
    # the guideline's names (name_map.tsv) win over every lexicon's spelling
    lex.renames = {row["name"]: row["inn"] for row in read_tsv("lexicons", "name_map.tsv")}
    for key, generic in lex.en.items():
        if generic in lex.renames:
            lex.en[key] = lex.renames[generic]
    for row in ja_rows:
        lex.ja[ja_fold(row["ja"])] = lex.canonical(row["en"])
    for row in read_tsv("lexicons", "abbreviations.tsv"):
        lex.abbreviations[row["abbr"]] = lex.canonical(row["en"])
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
    listed_guards = set()
    for row in read_tsv("lexicons", "not_drugs.tsv"):
        term = en_key(row["term"]) if row["term"].isascii() else row["term"]
        if "guard" in row["reason"].lower():
            lex.guarded.add(term)
            listed_guards.add(term)
        else:
            lex.blocked.add(term)
    # a blocked canonical takes its other spellings with it ("serotonin": "5-HT"); a blocked
    # collision ("kendrick" -> cefotaxime) only removes that key
    blocked_names = {key for key in lex.blocked if lex.en.get(key) == key}
    for key in lex.blocked:
        lex.en.pop(key, None)
    for key in [k for k, g in lex.en.items() if g in blocked_names]:
        del lex.en[key]
    # the project's own spellings are drugs, whatever the lexicon's entry kind ("thymoglobulin"),
    # unless not_drugs.tsv guards them itself ("saline")
    for row in read_tsv("lexicons", "en_overrides.tsv"):
        if en_key(row["variant"]) not in listed_guards:
            lex.guarded.discard(en_key(row["variant"]))
    _load_combinations(lex, data)
    lex.en_max_tokens = max(len(k.split()) for k in lex.en)
    for k in lex.en:
        words = k.split()
        lex.en_first_tokens.add(words[0])
        for i in range(1, len(words)):
            lex.en_prefixes.add(" ".join(words[:i]))
    lex.ja_max_len = max((len(k) for k in lex.ja), default=1)
    lex.ja_prefixes = {k[:i] for k in lex.ja for i in range(len(k) + 1)}
    lex.ja_first_chars = {k[0] for k in lex.ja}
    return lex
