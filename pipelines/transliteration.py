"""Katakana drug names -> English generic names by phonetic matching (the fallback for
katakana that the project's Japanese list does not know).

Measured (this machine, 2 CPUs, Python 3.11, numpy):
  - building the index over the 18,534 single-drug canonical names of
    drug-named-entity-recognition (14,752 keys with the acid variants): ~0.4 s
    (reading the package's pickle in ``load_english_names`` takes ~2 s more, once per process);
  - ``lookup``: mean 0.8-1.0 ms (median ~0.85 ms, max 2.4 ms) over 736 words (727 drug
    names + 9 non-drug words), uncached; repeated words are answered from a small cache;
  - accuracy on tests/pipelines/data/translit_pairs.tsv (727 JAN katakana -> INN pairs across
    therapeutic areas): 722/727 = 99.3 % correct and accepted (top-1 99.5 % ignoring the
    threshold). The second batch of 303 pairs was written after tuning and scored 99.7 % as a
    held-out set. Failures: コルヒチン/colchicine (ヒ for "chi"), メサドン/methadone (サ for
    "tha"), and three names whose lexicon canonical is the US name rather than the INN the
    katakana follows: リファンピシン/rifampin (-> rifamycin), リュープロレリン/leuprolide,
    トラセミド/torsemide (-> tolazamide).
  - non-drug katakana (ランダム, グループ, スコア, プロトコル, ベースライン, イベント, リスク,
    カテゴリー, コントロール and ~120 more clinical loanwords tried) come back None at the
    default ``min_score`` 0.85; loanwords that are substances in the English lexicon do match
    (ドパミン -> dopamine, ヒスタミン, インターフェロン; アドレナリン -> adrenalone is wrong):
    drug context and class/stop lists stay the caller's job.

How: the katakana (salt and hydrate words stripped: 塩酸塩, ナトリウム, ベシル酸, 水和物, ...;
a remaining 酸 marks an acid, matched against "-ic acid"/"-ate" stems) is cut into units of
models/lexicons/katakana_romaji.tsv. Each unit gives key symbols, with epenthetic vowels
(ク = k(u), ト = t(o)) marked weak, and the consonants of its English spellings as cheap
substitutes (ジ: z/g/j/d). English names get a key in the same alphabet (l->r, v->b,
c->k/s, ph->f, th->t, x->ks, silent final e dropped). Candidates come from an IDF-weighted
index of consonant-skeleton trigrams (coarse classes: s/z/j, t/d, k/g, b/p, f/h, m/n);
a weighted edit distance between the keys ranks them, computed for all ~150 candidates at
once with numpy (one vectorised pass per kana symbol, the insertion recurrence done as a
running minimum). Score = 1 - (cost + 0.3) / max(len(English key), kana consonants+vowels).
"""

from __future__ import annotations

import csv
import importlib.resources
import math
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterable

import numpy as np

_VOWELS = frozenset("aeiou")
_KEY_CHARS = "abdefghijkmnoprstuwy:"

# --------------------------------------------------------------------------------------
# English side: a phonetic key in the same alphabet as the kana table's key column.
# --------------------------------------------------------------------------------------
_EN_DIGRAPHS = {"ph": "f", "th": "t", "rh": "r", "gh": "g", "kh": "k", "sh": "s", "ch": "k", "ck": "k"}
_EN_FOLD = {"l": "r", "v": "b", "z": "s", "q": "k", "x": "ks"}
_FRONT = frozenset("eiy")


def english_key(name: str) -> str:
    """Phonetic key of an English name: ``dapagliflozin`` -> ``dapagrifrosin``.

    Words are keyed one by one and joined (``insulin glargine`` -> ``insurinrargin``).
    """
    words = re.findall(r"[a-z]+", name.lower())
    return "".join(_word_key(w) for w in words)


def _word_key(s: str) -> str:
    s = re.sub(r"([^c])\1+", r"\1", s)  # doubled letters once (before l/r folding: "erlotinib")
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        two = s[i : i + 2]
        if s.startswith("sch", i):
            out.append("s")
            i += 3
            continue
        if two in _EN_DIGRAPHS:
            out.append(_EN_DIGRAPHS[two])
            i += 2
            continue
        if two == "qu":
            out.append("k")
            i += 2
            if i < n and s[i] in "ao":
                out.append("u")
            continue
        if c == "x":
            out.append("s" if i == 0 else "ks")
            i += 1
            continue
        if c == "c":
            nx = s[i + 1 : i + 2]
            if nx == "c" and s[i + 2 : i + 3] in _FRONT and s[i + 2 : i + 3]:
                out.append("ks")
                i += 2
                continue
            out.append("s" if nx and nx in _FRONT else "k")
            i += 1
            continue
        if c == "y":
            nx = s[i + 1 : i + 2]
            out.append("y" if nx and nx in _VOWELS and (i == 0 or s[i - 1] in _VOWELS) else "i")
            i += 1
            continue
        out.append(_EN_FOLD.get(c, c))
        i += 1
    key = "".join(out)
    key = key.replace("ae", "e").replace("oe", "e")
    key = re.sub(r"([aeiou]|ks|k)\1+", r"\1", key)  # "cc" -> k, "xs" -> ks
    if len(key) > 3 and key.endswith("e") and key[-2] not in _VOWELS:
        key = key[:-1]  # silent final e: -ine, -ide, -one
    return key


# --------------------------------------------------------------------------------------
# The kana table
# --------------------------------------------------------------------------------------
def _default_table_path() -> Path:
    return Path(str(importlib.resources.files("trialex.models") / "lexicons" / "katakana_romaji.tsv"))


class _Unit:
    __slots__ = ("kana", "romaji", "key", "alts")

    def __init__(self, kana: str, romaji: str, key: str, alts: frozenset[str]) -> None:
        self.kana, self.romaji, self.key, self.alts = kana, romaji, key, alts


def _load_table(path: Path) -> dict[str, _Unit]:
    units: dict[str, _Unit] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
        latin = (row.get("latin") or "").split()
        alts = set()
        for alt in latin:  # the consonant of each one-consonant English spelling: cheap substitute
            cons = [ch for ch in english_key(alt) if ch not in _VOWELS]
            if len(cons) == 1:
                alts.add(cons[0])
        bad = set(row["key"].lower()) - set(_KEY_CHARS)
        if bad or not row["key"]:
            raise ValueError(f"{path}: key {row['key']!r} of {row['kana']} has letters outside {_KEY_CHARS!r}")
        units[row["kana"]] = _Unit(row["kana"], row["romaji"], row["key"], frozenset(alts))
    return units


# --------------------------------------------------------------------------------------
# Salts and other words to strip from a Japanese name
# --------------------------------------------------------------------------------------
_SALT_ACIDS_KATA = (
    "メシル|メタンスルホン|ベシル|トシル|マレイン|フマル|コハク|クエン|リン|シュウ|グルコン|ステアリン|"
    "パルミチン|エタンスルホン|ナパジシル|プロピオン|ブチル|サリチル|パモ|ホウ|アスパラギン|オロチン|"
    "ニコチン|キシナホ|フランカルボン|ジプロピオン|ヒドロキシナフトエ|アセチルサリチル|ラウリル硫|リンゴ|"
    "イセチオン|カンシル|エシル|ベンゼンスルホン|トルエンスルホン|アジピン|グルクロン|ラクトビオン"
)
_SALT_ACIDS_KANJI = "酒石|乳|酢|硫|硝|塩|臭化水素|ヨウ化水素|吉草|安息香|炭"
_SALT_ACIDS = _SALT_ACIDS_KATA + "|" + _SALT_ACIDS_KANJI
_SALT_TAIL = re.compile(
    r"(?:"
    r"(?:一|二|三|四|五|六|七|八|九|十|1|2|3|4|5|6|7|8|9)?水和物|水塩|エタノール付加物|付加物|"
    r"プロピレングリコール|(?:" + _SALT_ACIDS + r")酸(?:塩)?|塩|"
    r"ナトリウム|カリウム|カルシウム|マグネシウム|アンモニウム|メグルミン|トロメタモール|"
    r"エステル|水酸化物|臭化物|塩化物|ヨウ化物|無水物|[（(][^）)]*[）)]"
    r")$"
)
_KATA_SALT_ACID_TAIL = re.compile(r"(?:" + _SALT_ACIDS_KATA + r")酸(?:塩)?$")
_SALT_HEAD = re.compile(r"^(?:(?:" + _SALT_ACIDS + r")酸|臭化|塩化|ヨウ化|水酸化)")
_NON_KATA = re.compile(r"[^ァ-ヺー]")
_LATIN_TAIL = re.compile(r"[\s・\-]*([A-Za-z])$")
_ACID = "酸"
# prodrug ester words: an extra reading without them (ダビガトランエテキシラート -> dabigatran)
_ESTER_TAIL = re.compile(r"(?:エテキシラート|メドキソミル|シレキセチル|アキセチル|ピボキシル|プロキセチル|ヘキセチル|"
                         r"マルボキシル|ジピボキシル|ジソプロキシル|アラフェナミド|ペゴル|エチル|メチル)$")


def _strip(s: str, pattern: re.Pattern[str]) -> str:
    while True:
        t = pattern.sub("", s)
        if t == s or not _NON_KATA.sub("", t):
            return s
        s = t


def _base(s: str) -> tuple[str, bool]:
    acid = _ACID in s
    return _NON_KATA.sub("", s.replace(_ACID, "")), acid


def salt_readings(ja: str) -> list[tuple[str, bool]]:
    """Readings of a Japanese drug name without its salt/hydrate words: [(katakana base, acid?)].

    The first reading strips every salt word; a second one is added when a katakana acid
    word was stripped that may be the drug itself (アミノレブリン酸 is an acid, not a
    "-リン酸" phosphate). ``酸`` left in the base marks an acid (-ic acid / -ate):
    ``バルプロ酸ナトリウム`` -> [(バルプロ, True)].
    """
    s = re.sub(r"[\s・･]+", "", ja)
    readings = []
    stripped = _strip(_strip(s, _SALT_TAIL), _SALT_HEAD)
    readings.append(_base(stripped))
    # the same, but a trailing katakana "X酸" kept as the drug (an acid)
    t = s
    while not _KATA_SALT_ACID_TAIL.search(t):
        u = _SALT_TAIL.sub("", t)
        if u == t:
            break
        t = u
    m = _KATA_SALT_ACID_TAIL.search(t)
    if m:
        alt = _base(_strip(t[: m.end()].rstrip("塩"), _SALT_HEAD))
        if alt[0] and alt not in readings:
            readings.append(alt)
    for base, acid in list(readings):
        short = _ESTER_TAIL.sub("", base)
        if short != base and len(short) >= 3 and (short, acid) not in readings:
            readings.append((short, acid))
    return readings


def split_salt(ja: str) -> tuple[str, bool]:
    """The katakana base of a Japanese drug name and whether it is an acid (first reading).

    ``メトホルミン塩酸塩`` -> (メトホルミン, False); ``塩酸ドネペジル`` -> (ドネペジル, False);
    ``ミコフェノール酸モフェチル`` -> (ミコフェノールモフェチル, True).
    """
    return salt_readings(ja)[0]


# --------------------------------------------------------------------------------------
# English candidate names
# --------------------------------------------------------------------------------------
_BIOSIMILAR = re.compile(r"-[a-z]{4}$")
_PAREN = re.compile(r"\s*\([^)]*\)")
_FORM_WORDS = re.compile(
    r"\s+(?:buccal|patch|sublingual|otic|topical|ophthalmic|nasal|oral|inhalation|injection|"
    r"intravenous|transdermal|vaginal|rectal|urogenital|liposomal|lipid complex|extended-release|"
    r"hydrochloride|sodium|potassium|calcium|sulfate|mesylate|maleate|besylate|tartrate|citrate|"
    r"fumarate|succinate|acetate|phosphate|bromide|hydrobromide)$"
)
_ACID_EN = re.compile(r"^(?P<stem>[a-z]+?)(?:ic|ous)? acid$")
_ATE_EN = re.compile(r"^(?P<stem>[a-z]+?)ate(?P<rest>(?: [a-z]+)?)$")
_LETTER_EN = re.compile(r"^(?P<stem>.+) (?P<letter>[a-z])$")


def _clean_english(name: str) -> str:
    name = _PAREN.sub("", name.lower()).strip()
    return _BIOSIMILAR.sub("", name)


# --------------------------------------------------------------------------------------
# Costs of the weighted edit distance (kana key symbol vs English key letter)
# --------------------------------------------------------------------------------------
_INS_EN = {c: 1.0 for c in _KEY_CHARS}  # an English letter with no kana counterpart
_INS_EN.update({"e": 0.35, "a": 0.6, "i": 0.55, "o": 0.6, "u": 0.55, "h": 0.3, "y": 0.25, "w": 0.5, "r": 0.6, "n": 0.8})
_DEL_KANA = {c: 1.0 for c in _KEY_CHARS}  # a kana symbol with no English counterpart
_DEL_KANA.update(
    {"a": 0.6, "e": 0.55, "i": 0.5, "o": 0.6, "u": 0.45, "y": 0.25, "w": 0.5, "n": 0.8, "h": 0.8, ":": 0.15}
)
_DEL_WEAK = 0.1  # an epenthetic vowel (ク = k(u), ト = t(o))
_DEL_DIPHTHONG = 0.15  # the a of "ai" against an English y/i (マイシン = mycin, マイド = mide)
_PRIOR = 0.3  # fixed cost of every match: short words need a near-exact match
_LETTER_PENALTY = 0.15  # "vitamin e", "amphotericin b" when the katakana has no letter
_ACID_PENALTY = 0.02  # acid reading of the query against a plain name or the reverse
_VV = {frozenset("ei"): 0.3, frozenset("ou"): 0.3, frozenset("ae"): 0.5, frozenset("ao"): 0.5}
_CC = {
    frozenset("sj"): 0.3,
    frozenset("dj"): 0.4,
    frozenset("gj"): 0.4,
    frozenset("dt"): 0.5,
    frozenset("bp"): 0.5,
    frozenset("gk"): 0.5,
    frozenset("fh"): 0.3,
    frozenset("fp"): 0.6,
    frozenset("mn"): 0.3,
    frozenset("st"): 0.7,
    frozenset("bf"): 0.7,
    frozenset("bm"): 0.8,
    frozenset("rn"): 0.8,
    frozenset("dr"): 0.8,
}


def _sub_cost(q: str, e: str, weak: bool, alts: frozenset[str]) -> float:
    """Cost of kana key symbol ``q`` standing for English key letter ``e``."""
    if q == e:
        return 0.0
    if q == ":":  # ー: a long vowel or an English -er/-or
        return 0.1 if (e in _VOWELS or e == "r") else 1.5
    qv, ev = q in _VOWELS, e in _VOWELS
    if qv and ev:
        if weak:  # an epenthetic vowel standing for a written one
            return 0.3 if e in "ou" else 0.5
        return _VV.get(frozenset((q, e)), 0.6)
    if qv or ev:
        return 1.5
    if e in alts:
        return 0.1
    return _CC.get(frozenset((q, e)), 1.0)


# Skeleton for candidate retrieval: consonants only, in coarse classes.
_SKEL = str.maketrans(
    {
        "j": "s",
        "h": "f",
        "d": "t",
        "g": "k",
        "b": "p",
        "m": "n",
        "y": None,
        "w": None,
        ":": None,
        "a": None,
        "e": None,
        "i": None,
        "o": None,
        "u": None,
    }
)
_CODE = {c: i for i, c in enumerate(_KEY_CHARS)}
_PAD = len(_KEY_CHARS)
_MAX_KEY = 36


def _skeleton(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key.translate(_SKEL))


def _grams(skel: str) -> set[str]:
    s = "^" + skel + "$"
    return {s[i : i + 3] for i in range(len(s) - 2)} | {s[:2], s[-2:]}


class _Sym:
    """One symbol of a katakana word's key."""

    __slots__ = ("ch", "dcost", "weak", "alts")

    def __init__(self, ch: str, dcost: float, weak: bool = False, alts: frozenset[str] = frozenset()) -> None:
        self.ch, self.dcost, self.weak, self.alts = ch, dcost, weak, alts


class KatakanaTransliterator:
    """Names an unknown katakana drug word with the closest English generic name.

    The katakana is cut into units of the kana table (longest match); each gives key symbols
    (epenthetic vowels marked weak, cheap to drop) and the consonants of its English
    spellings (cheap substitutes). English names get a key in the same alphabet
    (``english_key``). Candidates come from an index of consonant-skeleton trigrams (coarse
    classes, IDF weighted); a weighted edit distance between the keys, computed for all
    candidates at once with numpy, ranks them. Score = 1 - (cost + prior) / length.
    """

    def __init__(
        self,
        english_names: Iterable[str],
        table_path: Path | None = None,
        min_score: float = 0.85,
        candidates: int = 150,
    ) -> None:
        self.min_score = min_score
        self.n_candidates = candidates
        self._cache: dict[tuple[str, float], tuple[str, float] | None] = {}
        self.units = _load_table(table_path or _default_table_path())
        self._max_unit = max(len(k) for k in self.units)
        names: list[str] = []
        keys: list[str] = []
        acid_flags: list[bool] = []
        letters: list[str] = []
        seen: set[tuple[str, bool, str]] = set()
        cleaned: list[str] = []
        for raw in english_names:
            if (
                any(ch in raw for ch in ",/;:+&")
                or " and " in raw
                or " with " in raw
                or any(ch.isdigit() for ch in raw)
            ):
                continue
            name = _clean_english(raw)
            if len(name) >= 3 and name.count(" ") <= 2:
                cleaned.append(name)
        plain = set(cleaned)
        for name in cleaned:
            base = _FORM_WORDS.sub("", name)
            if base != name and base in plain:
                continue  # "acyclovir buccal" when "acyclovir" is there
            m = _LETTER_EN.match(name)
            stem, letter = (m["stem"], m["letter"]) if m else (name, "")
            variants = [(english_key(stem), False)]
            m = _ACID_EN.match(stem)
            if m:
                variants.append((english_key(m["stem"]), True))
            m = _ATE_EN.match(stem)
            if m:
                variants.append((english_key(m["stem"] + m["rest"]), True))
            for key, acid in variants:
                if (key, acid, letter) in seen or not 3 <= len(key) <= _MAX_KEY:
                    continue
                seen.add((key, acid, letter))
                names.append(name)
                keys.append(key)
                acid_flags.append(acid)
                letters.append(letter)
        self._names, self._keys, self._letters = names, keys, np.array(letters)
        n = len(keys)
        self._acid = np.array(acid_flags, dtype=bool)
        self._has_letter = self._letters != ""
        # padded key codes and prefix sums of insertion costs, for the vectorised distance
        self._lens = np.array([len(k) for k in keys], dtype=np.int64)
        codes = np.full((n, _MAX_KEY), _PAD, dtype=np.int8)
        for i, key in enumerate(keys):
            codes[i, : len(key)] = [_CODE[c] for c in key]
        self._codes = codes
        ins_vec = np.array([_INS_EN[c] for c in _KEY_CHARS] + [0.0], dtype=np.float32)
        prefix = np.zeros((n, _MAX_KEY + 1), dtype=np.float32)
        np.cumsum(ins_vec[codes], axis=1, out=prefix[:, 1:])
        self._prefix = prefix
        # retrieval index: skeleton gram -> candidate ids, with IDF weights
        postings: dict[str, list[int]] = defaultdict(list)
        cand_grams: list[set[str]] = []
        for idx, key in enumerate(keys):
            gs = _grams(_skeleton(key))
            cand_grams.append(gs)
            for g in gs:
                postings[g].append(idx)
        self._postings = {g: np.array(v, dtype=np.int32) for g, v in postings.items()}
        self._idf = {g: math.log(1.0 + n / len(v)) for g, v in postings.items()}
        self._cand_weight = np.array([sum(self._idf[g] for g in gs) for gs in cand_grams], dtype=np.float32)

    # -- katakana -> units and key symbols --------------------------------------------------
    def _units(self, kana: str) -> list[str]:
        out, i, n = [], 0, len(kana)
        while i < n:
            for size in range(min(self._max_unit, n - i), 0, -1):
                piece = kana[i : i + size]
                if piece in self.units or (size == 1 and piece in "ッーン・ 　"):
                    out.append(piece)
                    i += size
                    break
            else:
                i += 1  # not katakana: skipped
        return out

    def romanize(self, katakana: str) -> str:
        """Hepburn romanisation: ダパグリフロジン -> dapagurifurojin; ー repeats the vowel, ッ doubles."""
        parts: list[str] = []
        geminate = False
        for u in self._units(katakana):
            if u == "ッ":
                geminate = True
                continue
            if u == "ー":
                parts.append(next((c for c in reversed("".join(parts)) if c in _VOWELS), ""))
                continue
            if u in "・ 　":
                parts.append(" ")
                continue
            r = "n" if u == "ン" else self.units[u].romaji
            if geminate:
                r = ("t" + r) if r.startswith("ch") else (r[0] + r if r[0] not in _VOWELS else r)
                geminate = False
            parts.append(r)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def _symbols(self, kana: str) -> list[_Sym]:
        syms: list[_Sym] = []
        units = [u for u in self._units(kana) if u not in "・ 　ッ"]
        for k, u in enumerate(units):
            nxt = units[k + 1] if k + 1 < len(units) else ""
            if u == "ー":
                if syms and syms[-1].ch != ":":
                    syms.append(_Sym(":", _DEL_KANA[":"]))
                continue
            if u == "ン":  # m before b/p/m
                ch = "m" if nxt in self.units and self.units[nxt].key[:1] in ("b", "p", "m") else "n"
                syms.append(_Sym(ch, _DEL_KANA["n"], alts=frozenset("nm")))
                continue
            unit = self.units[u]
            for ch in unit.key:
                if ch.isupper():
                    syms.append(_Sym(ch.lower(), _DEL_WEAK, weak=True))
                elif ch == "a" and nxt == "イ" and syms and syms[-1].ch not in _VOWELS:
                    syms.append(_Sym("a", _DEL_DIPHTHONG))  # マイ (my)
                elif ch in _VOWELS or ch in "y:":
                    syms.append(_Sym(ch, _DEL_KANA[ch]))
                else:
                    syms.append(_Sym(ch, _DEL_KANA[ch], alts=unit.alts))
        return syms

    def key(self, katakana: str) -> str:
        """The phonetic key of a katakana word (epenthetic vowels in upper case)."""
        return "".join(s.ch.upper() if s.weak else s.ch for s in self._symbols(katakana))

    # -- matching ------------------------------------------------------------------------------
    @staticmethod
    def _rows(syms: list[_Sym]) -> list[tuple[float, np.ndarray]]:
        return [
            (s.dcost, np.array([_sub_cost(s.ch, e, s.weak, s.alts) for e in _KEY_CHARS] + [9.0], dtype=np.float32))
            for s in syms
        ]

    def _distances(self, rows: list[tuple[float, np.ndarray]], ids: np.ndarray) -> np.ndarray:
        """Weighted edit distance of the query to the candidates ``ids``, all at once.

        Row by row over the query symbols; within a row the insertion recurrence
        cur[j] = min(a[j], cur[j-1] + ins[j]) is a running minimum of a[j] - prefix[j].
        """
        lens = self._lens[ids]
        width = int(lens.max())
        codes = self._codes[ids, :width]
        prefix = self._prefix[ids, : width + 1]
        prev = prefix.copy()
        b = np.empty_like(prev)
        for dcost, subs in rows:
            np.minimum(prev[:, :-1] + subs[codes], prev[:, 1:] + dcost, out=b[:, 1:])
            b[:, 0] = prev[:, 0] + dcost
            b -= prefix
            np.minimum.accumulate(b, axis=1, out=b)
            prev = b + prefix
        return prev[np.arange(len(ids)), lens]

    def _retrieve(self, qkey: str, acid: bool) -> np.ndarray:
        skels = {_skeleton(qkey), _skeleton(qkey.replace("j", "d"))}  # ジ is also di
        grams = set().union(*(_grams(s) for s in skels))
        hits = [(self._postings[g], self._idf[g]) for g in grams if g in self._postings]
        if not hits:
            return np.empty(0, dtype=np.int64)
        ids = np.concatenate([h for h, _ in hits])
        weights = np.concatenate([np.full(len(h), w, dtype=np.float32) for h, w in hits])
        sums = np.bincount(ids, weights=weights, minlength=len(self._keys))
        qw = sum(self._idf.get(g, 0.0) for g in _grams(_skeleton(qkey)))
        dice = sums / (qw + self._cand_weight)
        if not acid:
            dice[self._acid] = 0.0
        k = min(self.n_candidates, int((dice > 0).sum()))
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        return np.argpartition(-dice, k - 1)[:k]

    @staticmethod
    def _similarity(cost, e_len, syms: list[_Sym]):
        strong = sum(1 for s in syms if not s.weak and s.ch != ":")
        return 1.0 - (cost + _PRIOR) / np.maximum(e_len, max(strong, 1))

    def _readings(self, katakana: str) -> list[tuple[list[_Sym], bool, str]]:
        m = _LATIN_TAIL.search(katakana)
        letter = m.group(1).lower() if m else ""
        if m:
            katakana = katakana[: m.start()]
        out = []
        for base, acid in salt_readings(katakana):
            syms = self._symbols(base)
            if len(syms) >= 3:
                out.append((syms, acid, letter))
        return out

    def rank(self, katakana: str, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` best English names for a katakana word with their scores, best first."""
        best: dict[str, float] = {}
        for syms, acid, letter in self._readings(katakana):
            ids = self._retrieve("".join(s.ch for s in syms), acid)
            if len(ids) == 0:
                continue
            cost = self._distances(self._rows(syms), ids)
            sim = self._similarity(cost, self._lens[ids], syms)
            sim -= np.where(self._acid[ids] == acid, 0.0, _ACID_PENALTY)
            sim -= np.where(self._letters[ids] == letter, 0.0, _LETTER_PENALTY)
            for o in np.argsort(-sim, kind="stable")[: n * 3]:
                name, value = self._names[ids[o]], float(sim[o])
                if value > best.get(name, -1.0):
                    best[name] = value
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:n]
        return [(name, round(max(0.0, v), 4)) for name, v in ranked]

    def lookup(self, katakana: str) -> tuple[str, float] | None:
        """The English generic name for a katakana drug name and its score, or None.

        None when nothing scores ``min_score`` or more (non-drug words, unknown names).
        """
        ck = (katakana, self.min_score)
        if ck in self._cache:
            return self._cache[ck]
        ranked = self.rank(katakana, 1)
        hit = ranked[0] if ranked and ranked[0][1] >= self.min_score else None
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[ck] = hit
        return hit

    def score(self, katakana: str, english: str) -> float:
        """Similarity of a katakana word to one given English name (diagnostics; slow path)."""
        readings = self._readings(katakana)
        if not readings:
            return 0.0
        syms, _acid, _letter = readings[0]
        e = english_key(english)
        prev = [0.0]
        for c in e:
            prev.append(prev[-1] + _INS_EN[c])
        for s in syms:
            cur = [prev[0] + s.dcost]
            for j, c in enumerate(e, 1):
                cur.append(
                    min(prev[j - 1] + _sub_cost(s.ch, c, s.weak, s.alts), prev[j] + s.dcost, cur[j - 1] + _INS_EN[c])
                )
            prev = cur
        return round(max(0.0, float(self._similarity(prev[-1], len(e), syms))), 4)


@lru_cache(maxsize=1)
def _english_names_cached() -> tuple[str, ...]:
    from .drug_lexicon import read_english_lexicon

    return tuple(n for n in read_english_lexicon()["drug_canonical_to_data"] if "," not in n and " and " not in n)


def load_english_names() -> list[str]:
    """The canonical English names of drug-named-entity-recognition (single drugs only)."""
    return list(_english_names_cached())
