"""Loading of the project's data files (models/): lexicons, cue words, unit tables.

Language differences live in these files, not in code: every extractor asks for its
cue lists here, keyed by kind and language.
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import re
from functools import lru_cache
from pathlib import Path

MODELS = Path(str(importlib.resources.files("trialex.models")))


def model_path(*parts: str) -> Path:
    return MODELS.joinpath(*parts)


def read_tsv(*parts: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header line; '#' lines are comments."""
    path = model_path(*parts)
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


@lru_cache(maxsize=None)
def cues() -> dict:
    """The cue-word tables of every kind: ``cues()[kind][name]`` is a list over both languages."""
    with model_path("rules", "cues.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    merged: dict[str, dict[str, list[str]]] = {}
    for lang_table in data.values():
        for kind, table in lang_table.items():
            for name, words in table.items():
                merged.setdefault(kind, {}).setdefault(name, []).extend(words)
    return merged


def cue_regex(kind: str, name: str, *, word: bool = True) -> re.Pattern[str]:
    """One case-insensitive alternation of a cue list (longest first).

    ASCII cues get word boundaries; Japanese cues match as substrings; a trailing ``*``
    lets a cue take any word ending ("respon*" matches response, responders).
    """
    return _cue_regex(kind, name, word)


@lru_cache(maxsize=None)
def _cue_regex(kind: str, name: str, word: bool) -> re.Pattern[str]:
    words = set(cues()[kind][name])
    ascii_words = [w for w in words if w.isascii()]
    other = [w for w in words if not w.isascii()]
    alts = []
    if ascii_words:
        body = trie_regex([atoms(w) for w in ascii_words])
        alts.append(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])" if word else body)
    if other:
        alts.append(trie_regex([atoms(w) for w in other]))
    return re.compile("|".join(alts) or r"(?!x)x", re.IGNORECASE)


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
    branches = [a + _trie_to_regex(child) for a, child in sorted(node.items(), key=lambda kv: kv[0], reverse=True) if a != ""]
    if not branches:
        return ""
    # longer continuations first: a regex alternation takes the first that matches
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


@lru_cache(maxsize=None)
def load_json_rule(lang: str, name: str) -> dict:
    """A rule file of one language: models/rules/<lang>/<name>.json."""
    with model_path("rules", lang, f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


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
