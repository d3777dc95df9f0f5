"""Loading of the project's data files (models/): lexicons, rule files, unit tables.

Language differences live in these files, not in code.  ``models/rules/<lang>/<name>.json``
holds one concern's word lists for one language; every file is checked against the schema
of its name (``RULE_SCHEMAS``) when it is loaded.  An extractor asks for the lists of the
document's language: ``rule_langs(lang)`` is that language and English, which Japanese (and
any other) abstracts quote ("log-rank P", "HbA1c", "mg").
"""

from __future__ import annotations

import csv
import importlib.resources
import re
from functools import lru_cache, cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

MODELS = Path(str(importlib.resources.files("trialex.models")))
RULES = MODELS / "rules"
# the language whose lists every document reads: abstracts in any language quote English
QUOTED = "en"


def model_path(*parts: str) -> Path:
    return MODELS.joinpath(*parts)


def read_tsv(*parts: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header line; '#' lines are comments."""
    path = model_path(*parts)
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


# --- the schemas of the rule files, one per file name ---------------------------------

Word = Annotated[str, StringConstraints(min_length=1)]


class RuleFile(BaseModel):
    """What every rule file has: a comment saying what its lists are for, and nothing unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    comment: str = Field(alias="_comment", min_length=1)


class CueFile(RuleFile):
    """Named cue lists of one extractor (drug, dose, trial_size, response_rate, p_value):
    ASCII words match as whole words, case-insensitively; a space matches any whitespace; a
    trailing ``*`` any word ending (see ``cue_regex``)."""

    cues: dict[str, list[Word]]


class DrugFile(CueFile):
    """The drug recognizer's cue lists, and its literal word lists (salts, esters, pathogen
    genera, placebo and fixed-dose words: matched as written, longest first; drugs.py)."""

    words: dict[str, list[Word] | dict[Word, Word]]  # a dict: surface → English ("酢酸" → "acetate")


class EffectsFile(RuleFile):
    """Names of the effect measures, per measure code (effects.py)."""

    measures: dict[Literal["HR", "OR", "RR", "RD", "MD", "SMD", "IRR"], list[Word]]


class ArmGroupsFile(RuleFile):
    """Group words and the arm name each stands for (linking.py)."""

    names: dict[Word, Word]


class AmountUnit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    normalize_to: Literal["mg", "IU", "U", "mL", "mmol", "mEq"]
    surfaces: list[Word]


class UnitsFile(RuleFile):
    """The dose extractor's unit table (doses.py); a language adds surfaces to the sections."""

    amount: dict[str, AmountUnit]
    per_body: dict[Literal["kg", "m2", "body"], list[Word]]
    per_time: dict[Literal["day", "week", "month", "h", "min"], list[Word]]
    daily_words: dict[Literal["day", "week", "month"], list[Word]]
    trailing_time: dict[Literal["day", "week", "month"], list[Word]]
    concentration_tail: list[Word]


class NumbersFile(RuleFile):
    """Number words and their values (numbers.py); only English has them so far."""

    units: dict[Word, int]
    tens: dict[Word, int]
    scales: dict[Word, int]


RULE_SCHEMAS: dict[str, type[RuleFile]] = {
    "drug": DrugFile,
    "dose": CueFile,
    "trial_size": CueFile,
    "response_rate": CueFile,
    "p_value": CueFile,
    "effects": EffectsFile,
    "arm_groups": ArmGroupsFile,
    "units": UnitsFile,
    "numbers": NumbersFile,
}


def languages() -> tuple[str, ...]:
    """The languages that have rules: the folders of models/rules/."""
    return tuple(sorted(p.name for p in RULES.iterdir() if p.is_dir()))


def rule_langs(lang: str) -> tuple[str, ...]:
    """The languages whose lists a document of ``lang`` reads: its own, and English."""
    return (lang,) if lang == QUOTED else (lang, QUOTED)


def doc_lang(st) -> str:
    """The language whose lists a document (``DocState``) reads: its own, except that a text
    with Japanese script sent as English reads the Japanese lists too (as it did when every
    document read every list)."""
    return "ja" if st.lang == QUOTED and st.has_japanese else st.lang


@cache
def rules(lang: str, name: str):
    """models/rules/<lang>/<name>.json, validated against its schema (``RULE_SCHEMAS``);
    a ValueError names the file and the fields that are wrong."""
    path = RULES / lang / f"{name}.json"
    try:
        return RULE_SCHEMAS[name].model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None


@cache
def cues() -> dict[str, dict[str, list[str]]]:
    """Every cue list of every language: ``cues()[kind][name]`` joins the languages' lists of
    that name (for the extractors that do not yet ask by language)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for lang in languages():
        for kind, schema in RULE_SCHEMAS.items():
            if issubclass(schema, CueFile):
                for name, words in rules(lang, kind).cues.items():
                    merged.setdefault(kind, {}).setdefault(name, []).extend(words)
    return merged


def cue_words(kind: str, name: str, lang: str | None = None) -> list[str]:
    """A cue list for a document of ``lang`` (its languages' lists joined, see ``rule_langs``);
    with no ``lang``, the list of every language."""
    if lang is None:
        return cues()[kind][name]
    return [w for lg in rule_langs(lang) for w in rules(lg, kind).cues.get(name, ())]


def cue_regex(kind: str, name: str, lang: str | None = None, *, word: bool = True) -> re.Pattern[str]:
    """One case-insensitive alternation of a cue list (longest first), for a document of
    ``lang`` (every language when None).

    ASCII cues get word boundaries; Japanese cues match as substrings; a trailing ``*``
    lets a cue take any word ending ("respon*" matches response, responders).
    """
    return _cue_regex(kind, name, lang, word)


@cache
def _cue_regex(kind: str, name: str, lang: str | None, word: bool) -> re.Pattern[str]:
    words = set(cue_words(kind, name, lang))
    ascii_words = [w for w in words if w.isascii()]
    other = [w for w in words if not w.isascii()]
    alts = []
    if ascii_words:
        body = trie_regex([atoms(w) for w in ascii_words])
        alts.append(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])" if word else body)
    if other:
        alts.append(trie_regex([atoms(w) for w in other]))
    return re.compile("|".join(alts) or r"(?!x)x", re.IGNORECASE)


def alternation(words, space: str = r"\s+") -> str:
    """Literal words as one regex alternation, longest first (case as written; a space matches
    ``space``): for lists that code puts into a larger pattern."""
    return "|".join(re.escape(w).replace(r"\ ", space) for w in sorted(set(words), key=len, reverse=True))


def atoms(word: str) -> list[str]:
    """A cue as regex atoms: letters lower-cased and escaped, a space as any whitespace
    (optional inside Japanese), a trailing '*' as any word ending."""
    star = word.endswith("*")
    word = word.rstrip("*").lower()
    space = r"\s+" if word.isascii() else r"\s*"
    atoms = [space if c == " " else re.escape(c) for c in word]
    if star:
        atoms.append(r"[a-z-]*")
    return atoms


def trie_regex(words: list[list[str]]) -> str:
    """One regex for a list of literal words (as atom lists), factored as a prefix trie so
    that the engine tries each character once instead of once per alternative."""
    trie: dict = {}
    for atoms in words:
        node = trie
        for a in atoms:
            node = node.setdefault(a, {})
        node[""] = {}
    return _trie_to_regex(trie)


def _trie_to_regex(node: dict) -> str:
    ends = "" in node
    branches = [
        a + _trie_to_regex(child) for a, child in sorted(node.items(), key=lambda kv: kv[0], reverse=True) if a != ""
    ]
    if not branches:
        return ""
    # longer continuations first: a regex alternation takes the first that matches
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


@lru_cache(maxsize=1)
def model_version() -> str:
    """A short content hash of models/ (every lexicon, rule file and trained model): it changes
    whenever anything that decides an extraction changes."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(p for p in MODELS.rglob("*") if p.is_file() and p.suffix in (".json", ".tsv", ".txt")):
        h.update(str(path.relative_to(MODELS)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]
