"""Drug mentions in English and Japanese, named with one English generic.

Order of the passes (earlier passes win overlaps):
1. English lexicon on Latin token n-grams ("mycophenolate mofetil", "CellCept").
2. Japanese lexicon, longest match on folded katakana/kanji runs ("ミコフェノール酸モフェチル",
   "シクロフォスファミド", half-width "ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ" after normalisation).
3. Abbreviations defined in the text right after a drug ("mycophenolate mofetil (MMF)",
   "（以下MMF）", "シクロフォスファミド（IVC）"), then the table of common ones, on letter
   boundaries so glued forms split ("CTX-AZA", "MMF2g/日").
4. Unknown katakana names in drug context, named by transliteration against the English
   lexicon.
5. Development codes in drug context ("SRT2104", "MK-0431"), and English words with an
   INN stem the lexicon lacks ("otilonium").
Classes and groups ("steroids", "ステロイド") come out with ``class: true``; a class term
wins over a drug name inside it ("ステロイドパルス" is not a drug, "calcineurin inhibitors"
is not calcineurin).
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from .base import DocState, state
from .drug_lexicon import DrugLexicon, en_key, ja_fold, load_lexicon
from .resources import atoms, cue_regex, cues, trie_regex

_LATIN_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_GLUED_AMOUNT = re.compile(r"([a-z]{4,})\d+[a-z]*")
_TOKEN_GAP = re.compile(r"[\s\-]{1,3}")
_KATAKANA = re.compile(r"[ァ-ヶー・ヴ]")
_KATA_RUN = re.compile(r"[ァ-ヶヴ][ァ-ヶーヴ・]{2,}")
# longer katakana runs are no name (the transliteration's salt stripping is quadratic in them)
_KATA_NAME_MAX = 64
# name characters: katakana, kanji, and the spaces, digits and letters of names such as
# "インスリン グラルギン" and "13 価肺炎球菌結合型ワクチン"
_JA_NAME_CHAR = re.compile(r"[ァ-ヶーヴ・ \u4e00-\u9fff0-9A-Za-z]")
# "メチルプレドニゾロン" in "コハク酸メチルプレドニゾロンナトリウム": a salt may follow the name
_SALT_SUFFIX = re.compile(r"ナトリウム|カリウム|カルシウム|マグネシウム|水和物|塩酸塩|硫酸塩|エステル|メシル酸塩|ベシル酸塩")
_LAB_UNIT = re.compile(r"[^.;]{0,25}?\d\s*(?:m?mol|mg|g|µg|μg|ng|pg|mEq|IU|U)\s*/\s*(?:d?L|dl|ml|mL|24\s*h)\b")
_SALT_WORD = re.compile(
    r"\s+(?:hydrochloride|HCl|sodium|potassium|calcium|sulfate|sulphate|mesylate|mesilate|maleate|"
    r"besylate|besilate|tartrate|citrate|fumarate|succinate|acetate|phosphate|bromide|dihydrochloride|"
    r"monohydrate|hydrate)\b(?!\s+(?:level|concentration|intake|excretion|channel))", re.I)
_CODE = re.compile(r"(?<![\w-])[A-Z]{2,5}-?\d{3,6}[A-Z]?(?![\w-])")
_LONG_WORD = re.compile(r"\b[A-Za-z][a-z]{5,}\b")
_ACRONYM_TAIL = re.compile(r"-[A-Z0-9]")  # "POM-O", not "MMF-treated"
_AMOUNT_AFTER = re.compile(r"\s*[:：]?\s*\d")  # "ペムブロリズマブ 200mg", "IVC：0.5-1.0 g/m2"
_DEFINITION = re.compile(
    r"(?:\s+\d[\d.,]*\s*[^\s()（）\d]{1,8})?"  # a strength between: "calcipotriol 50 μg/g (Cal)"
    r"\s*[(（]\s*(?:以下\s*[、,]?\s*)?(?P<abbr>[A-Za-z0-9][A-Za-z0-9\-]{0,9}[A-Za-z0-9]|[A-Z])"
    r"\s*(?:[)）]|[:：;；、,]|と略)"
)


@Language.factory("trialex_drugs", default_config={"transliteration": True})
def make_drugs(nlp: Language, name: str, transliteration: bool):
    return DrugRecognizer(transliteration=transliteration)


class DrugRecognizer:
    def __init__(self, transliteration: bool = True) -> None:
        self.lex: DrugLexicon = load_lexicon()
        self._translit = None
        if transliteration:
            from .transliteration import KatakanaTransliterator

            self._translit = KatakanaTransliterator(sorted(self.lex.generic_names()))
        self._abbr_re = _abbr_regex(self.lex.abbreviations)
        self._stems = tuple(cues()["drug"]["inn_stems"])
        self._not_stems = tuple(cues()["drug"]["inn_stem_not"])

    def __call__(self, doc: Doc) -> Doc:
        st = state(doc)
        self._english(st)
        if st.has_japanese:
            self._japanese(st)
            self._classes(st)
        self._abbreviations(st)
        if self._translit is not None and st.has_japanese:
            self._unknown_katakana(st)
        self._codes(st)
        self._inn_stems(st)
        st.mentions["drug"].sort(key=lambda m: m.start)
        return doc

    # -- 1. English lexicon -------------------------------------------------------------
    def _english(self, st: DocState) -> None:
        text = st.text
        low = text.lower()
        first = self.lex.en_first_tokens
        toks = []
        for m in _LATIN_TOKEN.finditer(text):
            glued = _GLUED_AMOUNT.fullmatch(low, m.start(), m.end())
            if glued and low[m.start():m.end()] not in first:
                toks += [(m.start(), glued.end(1)), (glued.end(1), m.end())]  # "cyclophosphamide25㎎"
            else:
                toks.append((m.start(), m.end()))
        starts = [i for i, (a, b) in enumerate(toks) if low[a:b] in first]
        guard_ctx = cue_regex("drug", "drug_context")
        lab_ctx = cue_regex("drug", "lab_before")
        not_after = _not_after_regex()
        lab_words = _lab_substances()
        done = 0  # tokens before this index are inside an earlier match
        for i in st.checked(starts):
            if i < done:
                continue
            best = None
            parts = []
            for j in range(i, min(i + self.lex.en_max_tokens, len(toks))):
                if j > i and not _TOKEN_GAP.fullmatch(text, toks[j - 1][1], toks[j][0]):
                    break
                parts.append(low[toks[j][0]:toks[j][1]])
                key = " ".join(parts)
                generic = self.lex.en.get(key)
                if generic:
                    best = (j, generic)
                if key not in self.lex.en_prefixes:
                    break
            if best is None:
                continue
            j, generic = best
            done = j + 1
            start, end = toks[i][0], toks[j][1]
            surface = text[start:end]
            key = en_key(surface)
            ok = True
            # a guarded spelling of a drug that is itself unguarded is trusted ("formoterol fumarate")
            guarded = (key in self.lex.guarded and en_key(generic) in self.lex.guarded) or key in lab_words
            if (guarded or key in self.lex.en_classes) and not_after.match(text, end):
                ok = False  # "insulin resistance", "cortisol levels", "immunosorbent assay"
            elif key in self.lex.en_classes:
                st.add("drug", start, end, name=key, **{"class": True})
                continue
            elif j == i and (len(surface) <= 3 and not surface.isupper()):
                ok = False  # short lower-case words ("ace", "tea") are not drug names
            elif guarded and (_LAB_UNIT.search(text, end, min(len(text), end + 30))
                              or lab_ctx.search(text, max(0, start - 25), start)):
                ok = False  # "serum creatinine 1.2 mg/dL", "fasting plasma glucose"
            elif guarded:
                ok = bool(guard_ctx.search(text, max(0, start - 40), min(len(text), end + 40)))
            if ok:
                salt = _SALT_WORD.match(text, end)
                st.add("drug", start, salt.end() if salt else end, name=generic, source="lexicon",
                       **_ids(self.lex, generic))

    # -- 2. Japanese lexicon --------------------------------------------------------------
    def _japanese(self, st: DocState) -> None:
        text = st.text
        n = len(text)
        lex = self.lex
        ctx = cue_regex("drug", "ja_drug_context")
        i = 0
        tried = 0
        while i < n:
            c = text[i]
            if c not in lex.ja_first_chars and not (c in "ヴフ" or c == "・"):
                i += 1
                continue
            tried += 1
            if tried % 64 == 0:
                st.budget.check()
            if i > 0 and ((_KATAKANA.match(c) and _KATAKANA.match(text[i - 1]))
                          or (c.isascii() and text[i - 1].isascii() and text[i - 1].isalnum())):
                i += 1
                continue  # never start inside a katakana word or a number
            best = None
            j = i
            while j < n and j - i < lex.ja_max_len + 8 and _JA_NAME_CHAR.match(text[j]):
                j += 1
                if text[j - 1] in " ・":
                    continue  # a name never ends on its separator
                key = ja_fold(text[i:j])
                generic = lex.ja.get(key)
                if generic and not (j < n and _KATAKANA.match(text[j]) and text[j] != "・"
                                    and not _SALT_SUFFIX.match(text, j)):
                    best = (j, generic, text[i:j])
                if key not in lex.ja_prefixes and key[:-1] not in lex.ja_prefixes:
                    break  # no longer key starts so (the next character may still fold into the last)
            if best and best[2] in lex.blocked:
                best = None  # "ステント" folds onto the brand "スーテント"
            if best and best[2] in lex.guarded and not ctx.search(text, max(0, i - 8), min(n, best[0] + 8)):
                best = None  # "インスリン抵抗性": a guarded word needs drug context
            if best and st.free(i, best[0], "drug"):
                st.add("drug", i, best[0], name=best[1], source="ja_lexicon", **_ids(lex, best[1]))
                i = best[0]
            else:
                i += 1

    # -- classes ----------------------------------------------------------------------------
    def _classes(self, st: DocState) -> None:
        """Japanese class terms (English ones are found in the lexicon pass)."""
        if self.lex.classes_ja_re is None:
            return
        text = st.text
        for m in st.checked(self.lex.classes_ja_re.finditer(text)):
            s, e = m.start(), m.end()
            # katakana class words stop at katakana word edges: スタチン is not inside ロスバスタチン
            if (s and _KATAKANA.match(text[s]) and _KATAKANA.match(text[s - 1])) or (
                    e < len(text) and _KATAKANA.match(text[e - 1]) and _KATAKANA.match(text[e])):
                continue
            if st.free(s, e, "drug"):
                st.add("drug", s, e, name=m.group(0), **{"class": True})

    # -- 3. abbreviations -------------------------------------------------------------------
    def _abbreviations(self, st: DocState) -> None:
        text = st.text
        defined: dict[str, str] = {}
        regimens: set[str] = set()
        for d in st.checked(list(st.mentions["drug"])):
            if d.attrs.get("class"):
                continue
            m = _DEFINITION.match(text, d.end)
            chain = _combination(st, d) if m else [d]
            if len(chain) > 1:
                # "artemether-lumefantrine (ALN)", "A/B (AB)": a fixed combination, one drug;
                # "busulfan plus fludarabine (BuFlu)", "FEC" after three drugs: a regimen
                joined = "".join(text[a.end:b.start] for a, b in zip(chain, chain[1:]))
                if not self.lex.en.get(en_key(m.group("abbr"))):
                    if len(chain) == 2 and joined.strip() in ("-", "–", "/"):
                        defined[m.group("abbr")] = "/".join(c.attrs["name"] for c in chain)
                    else:
                        regimens.add(m.group("abbr"))
                continue
            if m and not m.group("abbr").isdigit() and self.lex.en.get(en_key(m.group("abbr"))) in (None, d.attrs["name"]):
                defined[m.group("abbr")] = d.attrs["name"]
        if regimens:
            for m in st.checked(_abbr_regex(dict.fromkeys(sorted(regimens))).finditer(text)):
                if st.free(m.start(), m.end(), "drug"):
                    st.add("drug", m.start(), m.end(), name=m.group(0).lower(), **{"class": True})
        pattern = _abbr_regex(defined) if defined else None
        ctx = cue_regex("drug", "drug_context")
        for regex, table, source in ((pattern, defined, "definition"), (self._abbr_re, self.lex.abbreviations, "abbreviation")):
            if regex is None:
                continue
            for m in st.checked(regex.finditer(text)):
                abbr = m.group(0)
                if not st.free(m.start(), m.end(), "drug"):
                    continue
                if source == "abbreviation" and abbr in self.lex.ambiguous_abbreviations:
                    # "IVC" is also the inferior vena cava: take it near drug words or an amount
                    if not (ctx.search(text, max(0, m.start() - 40), min(len(text), m.end() + 40))
                            or _AMOUNT_AFTER.match(text, m.end())):
                        continue
                if _ACRONYM_TAIL.match(text, m.end()) and not regex.match(text, m.end() + 1):
                    continue  # "POM-O trial": part of a study acronym, unlike "CTX-AZA"
                generic = table[abbr]
                st.add("drug", m.start(), m.end(), name=generic, source=source, **_ids(self.lex, generic))

    # -- 5. development codes -------------------------------------------------------------
    def _codes(self, st: DocState) -> None:
        """Compounds known only by a code ("SRT2104", "MK-0431", "BI 10773") in drug context;
        trial registry numbers (NCT…, ISRCTN…) are not drugs."""
        text = st.text
        ctx = cue_regex("drug", "drug_context")
        registry = cue_regex("drug", "registry_prefixes")
        for m in st.checked(_CODE.finditer(text)):
            if registry.match(text, m.start()) or not st.free(m.start(), m.end(), "drug"):
                continue
            if ctx.search(text, max(0, m.start() - 40), min(len(text), m.end() + 40)):
                st.add("drug", m.start(), m.end(), name=m.group(0).lower(), source="code")

    def _inn_stems(self, st: DocState) -> None:
        """English words the lexicon lacks but whose ending is an INN stem ("otilonium",
        a new "-gliflozin"), in drug context: named by themselves."""
        text = st.text
        ctx = cue_regex("drug", "drug_context")
        for m in st.checked(_LONG_WORD.finditer(text)):
            word = m.group(0).lower()
            if not word.endswith(self._stems) or word in self.lex.en or word.endswith(self._not_stems):
                continue  # "nucleotide", "polypeptide" end like "-tide" drugs
            if not any(word.endswith(stem) and len(word) - len(stem) >= 3 for stem in self._stems):
                continue  # "except" is no "-cept"
            if not st.free(m.start(), m.end(), "drug"):
                continue
            if ctx.search(text, max(0, m.start() - 40), min(len(text), m.end() + 40)):
                salt = _SALT_WORD.match(text, m.end())
                st.add("drug", m.start(), salt.end() if salt else m.end(), name=word, source="inn_stem")

    # -- 4. unknown katakana ---------------------------------------------------------------
    def _unknown_katakana(self, st: DocState) -> None:
        text = st.text
        ctx = cue_regex("drug", "ja_drug_context")
        stop = cue_regex("drug", "ja_not_drug")
        for m in st.checked(_KATA_RUN.finditer(text)):
            s, e = m.start(), m.end()
            if not 4 <= e - s <= _KATA_NAME_MAX or not st.free(s, e, "drug") or stop.fullmatch(m.group(0)):
                continue
            after = e + len(text[e:e + 3]) - len(text[e:e + 3].lstrip())  # "テゼペルマブ 群"
            if not ctx.match(text, after) and not _AMOUNT_AFTER.match(text, e) and not ctx.search(text, max(0, s - 6), s):
                continue
            hit = self._translit.lookup(m.group(0))
            if hit:
                name, score = self.lex.canonical(hit[0]), hit[1]
                st.add("drug", s, e, name=name, source="transliteration", score=round(score, 3),
                       **_ids(self.lex, name))


_JOINER = re.compile(r"\s*(?:,|/|\+|-|–|and|plus|with|、|・|と)\s*$")


def _combination(st: DocState, drug) -> list:
    """The drug mentions joined into a list that ends with ``drug``."""
    chain = [drug]
    for d in st.preceding("drug", drug.start):
        if d.end > drug.start or d.attrs.get("class"):
            continue
        if chain[0].start - d.end > 8 or not _JOINER.match(st.text[d.end:chain[0].start]):
            break
        chain.insert(0, d)
    return chain


@lru_cache(maxsize=1)
def _not_after_regex() -> re.Pattern[str]:
    words = cues()["drug"]["not_drug_after"]
    # "insulin resistance", "peptide YY (PYY) concentrations"
    return re.compile(r"(?:\s*[(（][^()（）]{1,12}[)）])?[\s-]+(?:" + trie_regex([atoms(w) for w in words]) + r")(?![A-Za-z])", re.I)


@lru_cache(maxsize=1)
def _lab_substances() -> frozenset[str]:
    return frozenset(en_key(w) for w in cues()["drug"]["lab_substances"])


def _ids(lex: DrugLexicon, generic: str) -> dict:
    ids = lex.ids(generic)
    return {"ids": ids} if ids else {}


def _abbr_regex(table: dict[str, str]) -> re.Pattern[str] | None:
    if not table:
        return None
    return re.compile(rf"(?<![A-Za-z0-9])(?:{trie_regex([[re.escape(c) for c in a] for a in table])})(?![A-Za-z])")
