"""Drug mentions in English and Japanese, named with one English generic.

Candidates come from rules, decisions from context (docs/drugs.md, "Drug names (issue 12)"):
1. English lexicon on Latin token n-grams ("mycophenolate mofetil", "CellCept", "α-tocopherol").
2. Japanese lexicon, longest match on folded katakana/kanji runs ("ミコフェノール酸モフェチル",
   "シクロフォスファミド", half-width "ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ" after normalisation); a salt written after the
   name stays in the span ("ナプロキセンナトリウム"), a combination written "A・B" is two mentions.
3. Unknown katakana names in drug context, named by transliteration against the English lexicon.
4. Development codes ("SRT2104", "MK-0431", "ABP 501", "SB4") and English words with an INN stem
   the lexicon lacks ("otilonium"), in drug context.
5. Substances the body also has (zinc, insulin, selenium, saline, experimental compounds the
   lexicon only guards) are decided per document: where the study gives one (a dose, "received",
   "X group", "X 投与"), every mention of it counts, measured levels included, except where the
   text names the body's own (secretion, resistance, "endogenous"); otherwise none does.
6. Names the text defines: "X (ABBR)", "X（以下、ABBR）", "X（BRAND）", "X（開発コード：CODE）",
   "ABBR (X)", "A/B (A1/B1)" — every later occurrence is that drug, whatever the default tables
   say; then the table of common abbreviations ("A/B" entries give two mentions).
Classes and groups ("steroids", "ステロイド") come out with ``class: true``; a class term
wins over a drug name inside it ("ステロイドパルス" is not a drug, "calcineurin inhibitors"
is not calcineurin); regimens named by an acronym of several drugs ("FEC", "TEGAFOX") too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache, cache
from typing import TYPE_CHECKING

from .base import DocState, Mention
from .drug_lexicon import GREEK, DrugLexicon, en_key, ja_fold, load_lexicon
from .resources import atoms, cue_regex, cues, read_tsv, rules, trie_regex

if TYPE_CHECKING:
    from .transliteration import KatakanaTransliterator


@cache
def _rules(lang: str) -> dict[str, list[str] | dict[str, str]]:
    """The literal word lists of models/rules/<lang>/drug.json."""
    return rules(lang, "drug").words


def _alt(*lists: str) -> str:
    """One alternation (longest first) of the named word lists of both languages ("en:salt_words")."""
    words = [w for ref in lists for w in _rules(ref[:2])[ref[3:]]]
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_LATIN_TOKEN = re.compile(r"[A-Za-z0-9αβγδκωΑΒΓΔΚΩ]+(?:['’][A-Za-z]+)?")
_GLUED_AMOUNT = re.compile(r"([a-z]{4,})\d+[a-z]*")
_TOKEN_GAP = re.compile(r"[\s\-]{1,3}")
_KATAKANA = re.compile(r"[ァ-ヶー・ヴ]")
_KATA_RUN = re.compile(r"[ァ-ヶヴ][ァ-ヶーヴ・]{2,}")
# longer katakana runs are no name (the transliteration's salt stripping is quadratic in them)
_KATA_NAME_MAX = 64
# name characters: katakana, kanji, and the spaces, digits and letters of names such as
# "インスリン グラルギン" and "13 価肺炎球菌結合型ワクチン"
_JA_NAME_CHAR = re.compile(r"[ァ-ヶーヴ・ \u4e00-\u9fff0-9A-Za-zαβγω]")
# katakana formulation words written onto a name ("ブピバカインリポソーム", "アロエクリーム")
_JA_FORM_SUFFIX = re.compile(_alt("ja:form_suffixes"))
# a product suffix of a name ("インターフェロン ベータ-1a", "IFN β-1a")
_PRODUCT_SUFFIX = re.compile(r"\s?-?\s?([12][ab])(?![A-Za-z0-9])")
# "メチルプレドニゾロン" in "コハク酸メチルプレドニゾロンナトリウム": a salt may follow the name
_SALT_SUFFIX = re.compile(_alt("ja:salt_words") + "|エステル")
# the salt words written after a Japanese name stay in its span ("ペルヘキシリンマレイン酸塩"):
# an acid word ending in 酸塩 / 酸エステル, or a cation, optionally hydrated
# an ester written after it ("…プロピオン酸エステル") is part of the name where the English lexicon says so
_ester_acids = _rules("ja")["ester_acids"]
assert isinstance(_ester_acids, dict), "ester_acids: a surface → English map"
_JA_ESTERS: dict[str, str] = _ester_acids
_JA_ACID = rf"(?:{'|'.join(sorted(_JA_ESTERS, key=len, reverse=True))}|[ァ-ヶー]{{1,8}}酸)"
_JA_SALT_TAIL = re.compile(rf"(?:{_JA_ACID}(?:塩|エステル)|{_alt('ja:salt_words')})(?:水和物)?")
_JA_ESTER_END = re.compile(rf"(?P<acid>{'|'.join(sorted(_JA_ESTERS, key=len, reverse=True))})エステル(?:水和物)?$")
# a salt written before it ("塩酸ドネペジル") is in the lexicon's variants
_LAB_UNIT = re.compile(r"[^.;]{0,25}?\d\s*(?:m?mol|mg|g|µg|μg|ng|pg|mEq|IU|U)\s*/\s*(?:d?L|dl|ml|mL|24\s*h)\b")
_SALT_WORD = re.compile(rf"\s+(?:{_alt('en:salt_words')})\b(?!\s+(?:{_alt('en:salt_not_after')}))", re.I)
# development codes: "SRT2104", "MK-0431", "ABP 501" (a space only before 3+ digits), "SB4",
# "ch14.18"; never part of a longer word, a number or a registry number
_CODE = re.compile(
    r"(?<![\w./\-])(?:(?P<pre>[A-Z]{2,6}|[A-Z][a-z][A-Z]{1,3})(?:-?\d{1,7}|\s\d{3,6})[A-Za-z]?"
    r"|[a-z]{2}\d{1,3}\.\d{1,3})(?![\w/]|[.,]\d|-\w)")
_LONG_WORD = re.compile(r"\b[A-Za-z][a-z]{5,}\b")
_ACRONYM_TAIL = re.compile(r"-[A-Z0-9]")  # "POM-O", not "MMF-treated"
_AMOUNT_AFTER = re.compile(r"\s*[:：]?\s*\d")  # "ペムブロリズマブ 200mg", "IVC：0.5-1.0 g/m2"
# a bracket right after a name, its content split at 、 , ; (no nested brackets)
_BRACKET = re.compile(r"\s*[(\[]\s*(?P<body>[^()\[\]\n]{1,80}?)\s*[)\]]")
_HEREAFTER = re.compile(r"(?:以下|hereafter|hereinafter|henceforth)\s*[、,:]?\s*(?:「)?(?P<abbr>[^\s、,;:()」]{1,14})")
# an abbreviation: a short token with a capital ("MMF", "CsA", "FF/VI", "5-FU", "IFN-γ", "SC-P")
_ABBR_CHARS = re.compile(r"[A-Za-z0-9αβγδκω][A-Za-z0-9αβγδκω\-/+.#]{0,13}")


class _AbbrShape:
    """An abbreviation: a short token with two capitals ("MMF", "CsA", "FF/VI", "uFSH"), a capital
    and a digit ("PGE2", "5-FU"), or a short capitalised token ("Tac", "Cal"); not a word
    ("Patients", "Roche")."""

    @staticmethod
    def fullmatch(s: str):
        if not _ABBR_CHARS.fullmatch(s) or len(s) > 14:
            return None
        caps = sum(c.isupper() for c in s)
        if caps >= 2 or (caps and any(c.isdigit() for c in s)) or (s[:1].isupper() and len(s) <= 4 and caps):
            return True
        return None


_ABBR = _AbbrShape()
# a Latin name in brackets after a drug ("Prolutex", "Aloe vera", "Cassia fistula", "NeuroAiD")
_BRAND = re.compile(r"[A-Z][A-Za-z]{2,}(?:[ \-][A-Za-z]{2,}){0,2}\s*[®™]?")
_TRADEMARK = re.compile(r"\s*[®™]")
_JA_SHORT = re.compile(r"[\u4e00-\u9fffァ-ヶー]{2,4}")
_COORD_JA = re.compile(r"[、。と及又や並]|および|または|ならびに")
# words of form or use between a name and its definition ("X 硝子体内注射（IVT）", "X 配合剤（OFC）"); no
# particles, and never another noun ("トラネキサム酸 人工膝関節全置換術（TKA）")
_JA_FILLER = re.compile(
    r"[\u4e00-\u9fffァ-ヶー0-9.%％ ]{0,10}?(?:注射|投与|療法|補充|補給|製剤|剤|錠|液|注|併用|単独|吸入|内服|塗布|"
    r"点滴|静注|カプセル|クリーム|軟膏|ゲル|パッチ|テープ)(?:\s*[\d.]+\s*[%％])?\s*"
)
_DEFINED = re.compile(r"[(\[]\s*(?:以下\s*[、,]?\s*)?(?P<abbr>[A-Za-z][A-Za-z0-9\-/]{1,9})\s*[)\]]")
_LATIN_AFTER_JA = re.compile(
    r"(?P<ja>[ァ-ヶー・\u4e00-\u9fff]{3,16})[(（]\s*(?P<latin>[A-Z][a-z]{2,}(?:\s[A-Za-z][a-z]{2,}){0,2})\s*(?:[)）]|[、,]\s*以下)"
)
_JA_FORM_TAIL = re.compile(r"(?:カプセル|錠|散|顆粒|エキス|軟膏|クリーム|製剤|乳剤|注射液|液)$")
_NOT_NATURAL = re.compile(_alt("ja:not_natural"))
_PATHOGEN = re.compile(rf"(?:{_alt('en:pathogen_genera')})\b")
_GIVEN_JA_SENTENCE = re.compile(
    r"投与|補充|服用|内服|塗布|外用|使用|摂取|群|点眼|吸入|経口|administ|received|given|supplement", re.I
)
_AMOUNT_ABBR = re.compile(r"\d[\d.,]*\s*[A-Za-zμµ%/]{1,6}(?:/[A-Za-z]{1,4})?")
_FIXED_DOSE = re.compile(_alt("en:fixed_dose_words", "ja:fixed_dose_words"), re.I)
_PLACEBO = re.compile(_alt("en:placebo_words", "ja:placebo_words"), re.I)
# a bracket written right after a name, skipped when looking for the words after it
_BRACKET_AFTER = re.compile(r"\s*[(\[][^()\[\]]{1,24}[)\]]")
# a dose right after a name: "zinc 20 mg", "zinc (20 mg/day", "亜鉛（1 日 12 mg）", "セレン 300μg/日"
_DOSE_AFTER = re.compile(
    r"[\s:：,(（]{0,3}(?:1\s*日\s*|daily\s+|each\s+)?\d[\d.,]*\s*(?:-|–|~|～|to)?\s*[\d.,]*\s*"
    r"(?:mg|g|μg|µg|mcg|ng|IU|U|units?|mL|ml|L|mmol|mEq|単位|錠|カプセル|%)(?![A-Za-z])"
)


class DrugRecognizer:
    def __init__(self, transliteration: bool = True) -> None:
        self.lex: DrugLexicon = load_lexicon()
        self._translit: KatakanaTransliterator | None = None
        if transliteration:
            from .transliteration import KatakanaTransliterator

            self._translit = KatakanaTransliterator(sorted(self.lex.generic_names()))
        self._abbr_re = _abbr_regex(self.lex.abbreviations)
        self._stems = tuple(cues()["drug"]["inn_stems"])
        self._not_stems = tuple(cues()["drug"]["inn_stem_not"])
        c = cues()["drug"]
        # substances that need a study giving them: lab analytes, hormones, nutrients, comparators
        self._lab = {en_key(w) for w in c["lab_substances"]} | {
            en_key(r["term"]) if r["term"].isascii() else r["term"]
            for r in read_tsv("lexicons", "not_drugs.tsv")
            if "guard" in r["reason"].lower()
        }
        self._lab_names = {self.lex.en.get(k, k) for k in self._lab if k.isascii()}
        self._vehicles = set(c["placebo_vehicles"])
        self._makers = {w.lower() for w in c["maker_words"]}
        self._registries = set(c["registry_prefixes"])
        self._filler_en = {w.lower() for w in c["definition_filler"]}
        self._modifiers = {w.lower() for w in c["modifier_before"]}
        self._ja_brands = {ja_fold(r["ja"]) for r in read_tsv("lexicons", "ja_drugs.tsv") if r["kind"] == "brand"}
        # "LPV/r", "TAZ/PIPC": a table entry written with "/" stands for its parts
        self._abbr_parts = {a: _split_parts(a, n) for a, n in self.lex.abbreviations.items() if "/" in a}

    def __call__(self, st: DocState) -> None:
        pending: list[tuple[int, int, str, dict, bool]] = []
        self._english(st, pending)
        if st.has_japanese:
            self._japanese(st, pending)
            self._classes(st, pending)
            self._unknown_katakana(st, pending)
            self._latin_named(st, pending)
        self._codes(st, pending)
        self._inn_stems(st)
        self._given(st, pending)
        self._abbreviations(st)
        self._boosters(st)
        self._biosimilars(st)
        st.mentions["drug"].sort(key=lambda m: m.start)

    def _boosters(self, st: DocState) -> None:
        """The one-letter booster of a protease inhibitor ("TPV/r", "DRV/r": r is ritonavir)."""
        text = st.text
        for m in _BOOSTER.finditer(text):
            s = m.start("r")
            if st.free(s, s + 1, "drug") and any(
                not d.attrs.get("class") for d in st.overlapping("drug", m.start(), s - 1)
            ):
                st.add("drug", s, s + 1, name="ritonavir", source="abbreviation", **_ids(self.lex, "ritonavir"))

    def _biosimilars(self, st: DocState) -> None:
        """A code called a biosimilar of a named drug ("the biosimilar ABP 501 compared with
        adalimumab", "SB4, an etanercept biosimilar") is that drug everywhere."""
        codes = [m for m in st.mentions["drug"] if m.attrs.get("source") == "code"]
        if not codes or "biosimilar" not in st.text.lower():
            return
        text = st.text
        rename: dict[str, str] = {}
        for m in codes:
            s0, s1 = st.sentence(m.start)
            if not re.search(r"biosimilar", text[s0:s1], re.I):
                continue
            refs = {
                d.attrs["name"]
                for d in st.starting("drug", s0, s1)
                if not d.attrs.get("class") and d.attrs.get("source") != "code"
            }
            if len(refs) == 1:
                rename.setdefault(m.attrs["name"], refs.pop())
        for m in codes:
            if m.attrs["name"] in rename:
                name = rename[m.attrs["name"]]
                m.attrs.update(name=name, **_ids(self.lex, name))

    # -- 1. English lexicon -------------------------------------------------------------
    def _english(self, st: DocState, pending: list) -> None:
        text = st.text
        low = text.lower()
        first = self.lex.en_first_tokens
        toks = []
        for m in st.checked(_LATIN_TOKEN.finditer(text), every=4096):
            glued = _GLUED_AMOUNT.fullmatch(low, m.start(), m.end())
            if glued and low[m.start() : m.end()] not in first:
                toks += [(m.start(), glued.end(1)), (glued.end(1), m.end())]  # "cyclophosphamide25㎎"
            else:
                toks.append((m.start(), m.end()))
        words = [w if w.isascii() else w.translate(GREEK) for w in (low[a:b] for a, b in toks)]
        starts = [i for i, w in enumerate(words) if w in first]
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
                parts.append(words[j])
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
            if generic == key + "s" and " " not in key:
                generic = key  # the lexicon's MeSH plural heading, written singular ("protamine")
            # a guarded spelling of a drug that is itself unguarded is trusted ("formoterol fumarate")
            guarded = (key in self.lex.guarded and en_key(generic) in self.lex.guarded) or key in lab_words
            if key in self.lex.en_classes:
                if not not_after.match(text, end):  # "insulin resistance", "immunosorbent assay"
                    st.add("drug", start, end, name=key, **{"class": True})
                continue
            if j == i and (len(surface) <= 3 and not surface.isupper()):
                continue  # short lower-case words ("ace", "tea") are not drug names
            salt = _SALT_WORD.match(text, end)
            attrs = dict(name=generic, source="lexicon", **_ids(self.lex, generic))
            if (
                _diagnostic(st, start, end)
                or _never(st, start, end)
                or (generic in self._vehicles and _placebo_use(st, start, end))
            ):
                continue  # "methacholine challenge", "creatine kinase", "hydroxyethylcellulose placebo gel"
            if guarded or generic in self._vehicles or _level(st, start, end):  # "plasma β-carotene": only if given
                lab = key in self._lab or generic in self._lab_names or not guarded
                pending.append((start, salt.end() if salt else end, generic, attrs, lab))
            elif not_after.match(text, end) and generic in self._lab_names:
                continue
            else:
                st.add("drug", start, salt.end() if salt else end, **attrs)

    # -- 2. Japanese lexicon --------------------------------------------------------------
    def _japanese(self, st: DocState, pending: list) -> None:
        text = st.text
        n = len(text)
        lex = self.lex
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
            if i > 0 and (
                (_KATAKANA.match(c) and _KATAKANA.match(text[i - 1]))
                or (c.isascii() and text[i - 1].isascii() and text[i - 1].isalnum())
            ):
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
                if generic and not (
                    j < n
                    and _KATAKANA.match(text[j])
                    and text[j] != "・"
                    and not _SALT_SUFFIX.match(text, j)
                    and not _JA_FORM_SUFFIX.match(text, j)
                ):
                    best = (j, generic, text[i:j])
                if key not in lex.ja_prefixes and key[:-1] not in lex.ja_prefixes:
                    break  # no longer key starts so (the next character may still fold into the last)
            if best and best[2] in lex.blocked:
                best = None  # "ステント" folds onto the brand "スーテント"
            if best and self._longer_inside(text, i, best[0]):
                i += 1
                continue
            if not (best and st.free(i, best[0], "drug")):
                i += 1
                continue
            end, generic, surface = best
            start = _prefix_start(text, i)
            if start < i:  # "D-セリン", "L-カルニチン": the stereo prefix belongs to the name
                prefixed = text[start:i].rstrip("-").lower() + "-" + generic
                generic = lex.en.get(en_key(prefixed), prefixed)
            tail = _JA_SALT_TAIL.match(text, end)
            if tail and not _KATAKANA.match(text, tail.end()):
                end = tail.end()  # "ボラパクサー硫酸塩", "エメダスチンフマル酸塩": salt in the span
            generic = self._ester(generic, text[i:end])
            suffix = _PRODUCT_SUFFIX.match(text, end)
            if suffix and lex.en.get(en_key(generic + "-" + suffix.group(1))):
                generic = lex.en[en_key(generic + "-" + suffix.group(1))]  # "インターフェロン ベータ-1a"
                end = suffix.end()
            attrs = dict(name=generic, source="ja_lexicon", **_ids(lex, generic))
            if _diagnostic(st, start, end) or _never(st, start, end):
                i = end
                continue
            parts = _ja_parts(text, start, end, generic)
            if parts:  # "アトバコン・プログアニル", "テガフール・ウラシル": two drugs
                for a, b, name in parts:
                    st.add("drug", a, b, name=name, source="ja_lexicon", **_ids(lex, name))
            elif (
                surface in lex.guarded
                or en_key(generic) in self._lab
                or generic in self._lab_names
                or generic in self._vehicles
            ):
                pending.append((start, end, generic, attrs, True))
            else:
                st.add("drug", start, end, **attrs)
            i = end

    def _ester(self, generic: str, surface: str) -> str:
        """ "テストステロンエナント酸エステル" → "testosterone enanthate" where the English lexicon names the
        ester so; a salt ("…塩酸塩") or an ester the lexicon folds away leaves the generic."""
        m = _JA_ESTER_END.search(surface)
        ester = _JA_ESTERS.get(m.group("acid")) if m else None
        return self.lex.en.get(en_key(f"{generic} {ester}"), generic) if ester else generic

    def _longer_inside(self, text: str, i: int, end: int) -> bool:
        """A lexicon name starting inside [i, end) at a word start that runs past ``end``
        ("超速効型インスリン アスパルト": インスリン アスパルト, not 速効型インスリン)."""
        lex = self.lex
        for k in range(i + 1, end):
            if text[k] not in lex.ja_first_chars or (_KATAKANA.match(text[k]) and _KATAKANA.match(text[k - 1])):
                continue
            j = k
            while j < len(text) and j - k < lex.ja_max_len + 8 and _JA_NAME_CHAR.match(text[j]):
                j += 1
                key = ja_fold(text[k:j])
                if j > end and key in lex.ja and not (j < len(text) and _KATAKANA.match(text[j])):
                    return True
                if key not in lex.ja_prefixes:
                    break
        return False

    # -- classes ----------------------------------------------------------------------------
    def _classes(self, st: DocState, pending: list) -> None:
        """Japanese class terms (English ones are found in the lexicon pass), except over a
        substance still to be decided ("インスリン療法")."""
        if self.lex.classes_ja_re is None:
            return
        text = st.text
        held = [(p[0], p[1]) for p in pending]
        for m in st.checked(self.lex.classes_ja_re.finditer(text)):
            s, e = m.start(), m.end()
            # katakana class words stop at katakana word edges: スタチン is not inside ロスバスタチン
            if (s and _KATAKANA.match(text[s]) and _KATAKANA.match(text[s - 1])) or (
                e < len(text) and _KATAKANA.match(text[e - 1]) and _KATAKANA.match(text[e])
            ):
                continue
            if st.free(s, e, "drug") and not any(a < e and s < b for a, b in held):
                st.add("drug", s, e, name=m.group(0), **{"class": True})

    def _latin_named(self, st: DocState, pending: list) -> None:
        """A Japanese name no lexicon knows, followed by its Latin or romanised name in
        brackets, in a sentence that gives it ("ナンバンサイカチ（Cassia fistula）果肉乳剤…を経口投与",
        "参松養心カプセル（Shensong Yangxin、以下 SSYX）"): a herbal or natural product, named
        by the Latin name in lower case, every time the text writes either name."""
        text = st.text
        found = []
        for m in st.checked(_LATIN_AFTER_JA.finditer(text)):
            word, latin = m.group("ja"), m.group("latin").strip()
            s = m.start("ja")
            form = _JA_FORM_TAIL.search(word)
            if form and form.start() >= 2:
                word = word[: form.start()]
            e = s + len(word)
            if len(word) < 3 or _NOT_NATURAL.search(word) or _PATHOGEN.match(latin) or not st.free(s, e, "drug"):
                continue
            if latin.lower() in self._makers:
                continue
            if any(p[0] < m.end("ja") and m.start("ja") < p[1] for p in pending):
                continue  # "水溶性プロゲステロン皮下注製剤（Prolutex）": a known drug's product
            close = text.find(")", m.end("latin"))
            c0, c1 = st.clause(close + 1 if close >= 0 else m.end())
            s0, s1 = st.sentence(s)
            if not _GIVEN_JA_SENTENCE.search(
                text, max(c0, m.end("latin")), max(c1, min(s1, m.end("latin") + 60)) if c0 <= m.end("latin") else c1
            ):
                continue
            found.append((s, e, word, m.start("latin"), m.start("latin") + len(latin), latin))
        for _, _, word, _, _, latin in found:
            name = self.lex.en.get(en_key(latin)) or latin.lower()
            for surface in (word, latin):
                for occ in _surface_regex(surface).finditer(text):
                    a, b = occ.start(), occ.end()
                    if not surface.isascii() and (a and _KATAKANA.match(text[a - 1]) and _KATAKANA.match(text[a])):
                        continue
                    if st.free(a, b, "drug"):
                        st.add("drug", a, b, name=name, source="latin_name")

    # -- 5. given or measured ---------------------------------------------------------------
    def _given(self, st: DocState, pending: list) -> None:
        """Guarded candidates, decided per substance for the whole document."""
        if not pending:
            return
        text = st.text
        groups: dict[str, list] = {}
        for cand in pending:
            groups.setdefault(cand[2], []).append(cand)
        loose = cue_regex("drug", "drug_context")
        ja_ctx = cue_regex("drug", "ja_drug_context")
        accepted = {m.attrs.get("name") for m in st.mentions["drug"] if not m.attrs.get("class")}
        for name, cands in groups.items():
            vehicle = name in self._vehicles
            given = name in accepted and not vehicle  # named elsewhere as a drug: measured mentions count
            for s, e, _, _, lab in cands:
                if _body(st, s, e) or (vehicle and _placebo_use(st, s, e)):
                    continue
                if vehicle:  # saline: given for hydration or irrigation, not as the control
                    c0, c1 = st.clause(s)
                    if _cue_near(st, "vehicle_treatment", max(c0, s - 60), min(c1, e + 40)) or _cue_near(
                        st, "ja_vehicle_treatment", max(c0, s - 30), min(c1, e + 20)
                    ):
                        given = True
                        break
                    continue
                if _strong_given(st, s, e) or self._given_by_abbreviation(st, s, e):
                    given = True
                    break
                if (
                    not lab
                    and not _measured(st, s, e)
                    and (
                        loose.search(text, max(0, s - 40), min(len(text), e + 40))
                        or (st.has_japanese and ja_ctx.match(text, e))
                    )
                ):
                    given = True  # an experimental compound the lexicon only guards, in drug context
                    break
            if not given:
                continue
            for s, e, _, attrs, _ in cands:
                if _body(st, s, e) or (vehicle and _placebo_use(st, s, e)) or not st.free(s, e, "drug"):
                    continue
                st.add("drug", s, e, **attrs)

    def _given_by_abbreviation(self, st: DocState, s: int, e: int) -> bool:
        """The substance is given under the abbreviation it defines ("urinary kallidinogenase (UK)
        ... UK 0.15 PNA units daily", "Ethanol (ET) ... 0.6 mL/kg of ET")."""
        text = st.text
        m = _DEF_AFTER.match(text, e)
        if not m:
            return False
        abbr = m.group("abbr")
        if not _ABBR.fullmatch(abbr):
            return False
        for occ in _surface_regex(abbr).finditer(text, m.end()):
            if _strong_given(st, occ.start(), occ.end()):
                return True
        return False

    # -- 6. abbreviations, brands and codes the text defines; the abbreviation table ------------
    def _abbreviations(self, st: DocState) -> None:
        text = st.text
        aliases: dict[str, str] = {}  # surface -> name (case-sensitive)
        compounds: dict[str, list[tuple[int, int, str]]] = {}  # "FF/VI" -> parts
        regimens: set[str] = set()
        for d in st.checked(list(st.mentions["drug"])):
            if d.attrs.get("class") or d.attrs.get("source") == "definition":
                continue
            self._define_after(st, d, aliases, compounds, regimens)
            self._define_before(st, d, aliases)
        for surface in list(aliases):
            if surface in regimens:
                del aliases[surface]
        regimen_re = _abbr_regex(sorted(regimens))
        if regimen_re is not None:
            for m in st.checked(regimen_re.finditer(text)):
                if st.free(m.start(), m.end(), "drug"):
                    st.add("drug", m.start(), m.end(), name=m.group(0).lower(), **{"class": True})
        # the text's own definitions: every occurrence, renaming a table or lexicon reading
        for surface, compound in compounds.items():
            for m in st.checked(_surface_regex(surface).finditer(text)):
                if not st.free(m.start(), m.end(), "drug"):
                    if not _retake(st, m.start(), m.end()):
                        continue
                for a, b, name in compound:
                    st.add("drug", m.start() + a, m.start() + b, name=name, source="definition", **_ids(self.lex, name))
        for surface, name in list(aliases.items()):
            if surface.isascii() and len(surface) >= 3 and surface.isupper():
                # a defined abbreviation with a lower-case dose prefix: "sATG", "lowATG", "hdMTX"
                for m in _prefixed_regex(surface).finditer(text):
                    if st.free(m.start(), m.end(), "drug"):
                        st.add("drug", m.start(), m.end(), name=name, source="definition", **_ids(self.lex, name))
            for m in st.checked(_surface_regex(surface).finditer(text)):
                s, e = m.start(), m.end()
                if not surface.isascii() and (
                    (s and _KATAKANA.match(text[s - 1]) and _KATAKANA.match(text[s]))
                    or (e < len(text) and _KATAKANA.match(text[e]) and _KATAKANA.match(text[e - 1]))
                ):
                    continue
                if _METABOLITE_BEFORE.search(text, max(0, s - 16), s):
                    continue  # "25(OH)D3", "25-hydroxyvitamin D": the measured metabolite
                if not st.free(s, e, "drug") and not _retake(st, s, e):
                    continue
                st.add("drug", s, e, name=name, source="definition", **_ids(self.lex, name))
        # the table of common abbreviations, unless the text defines one for something else
        # ("術後筋痛（POM）") or uses it for the body's own ("EPO expression")
        ctx = cue_regex("drug", "drug_context")
        if self._abbr_re is None:
            return
        other = self._defined_otherwise(st, aliases)
        given = {m.attrs.get("name") for m in st.mentions["drug"] if not m.attrs.get("class")}
        for m in st.checked(self._abbr_re.finditer(text)):
            abbr = m.group(0)
            if not st.free(m.start(), m.end(), "drug") or abbr in regimens or abbr in other:
                continue
            if _body(st, m.start(), m.end()) or cue_regex("drug", "abbr_not_after").match(
                text, m.end() + len(text[m.end() : m.end() + 2]) - len(text[m.end() : m.end() + 2].lstrip())
            ):
                continue  # "EPO expression", "ASA 分類 II", "ASA 1–3"
            table_name = self.lex.abbreviations[abbr]
            if table_name in self._lab_names and table_name not in given and not _strong_given(st, m.start(), m.end()):
                continue  # "NE" (norepinephrine) only where the study gives it
            if abbr in self.lex.ambiguous_abbreviations:
                # "IVC" is also the inferior vena cava: take it near drug words or an amount
                if not (
                    ctx.search(text, max(0, m.start() - 40), min(len(text), m.end() + 40))
                    or _AMOUNT_AFTER.match(text, m.end())
                ):
                    continue
            if _ACRONYM_TAIL.match(text, m.end()) and not self._abbr_re.match(text, m.end() + 1):
                continue  # "POM-O trial": part of a study acronym, unlike "CTX-AZA"
            parts = self._abbr_parts.get(abbr)
            if parts:
                for a, b, name in parts:
                    st.add(
                        "drug", m.start() + a, m.start() + b, name=name, source="abbreviation", **_ids(self.lex, name)
                    )
                continue
            generic = self.lex.abbreviations[abbr]
            st.add("drug", m.start(), m.end(), name=generic, source="abbreviation", **_ids(self.lex, generic))

    def _defined_otherwise(self, st: DocState, aliases: dict) -> set[str]:
        """Table abbreviations the text defines after words that are no drug ("postoperative
        myalgia (POM)", "術後筋痛（POM）"): in this text they mean that."""
        text = st.text
        out = set()
        for m in _DEFINED.finditer(text):
            abbr = m.group("abbr")
            if abbr not in self.lex.abbreviations or abbr in aliases:
                continue
            before = [d for d in st.preceding("drug", m.start()) if d.end > m.start() - 16]
            if not any(not d.attrs.get("class") for d in before[:3]):
                out.add(abbr)
        return out

    def _define_after(self, st: DocState, d: Mention, aliases: dict, compounds: dict, regimens: set) -> None:
        """ "X (ABBR)", "X（以下、ABBR）", "X 硝子体内注射（IVT）", "X（BRAND）", "X（開発コード：CODE、以下 A）",
        "X: ABBR)" inside a bracket; after a list of drugs, a code or a combination's letters."""
        text = st.text
        name = d.attrs["name"]
        pos = self._after_filler(st, d)
        colon = re.compile(r"\s*[:：]\s*(?P<abbr>[^\s()、,;:]{1,14})\s*[)\]]").match(text, pos)
        if colon and _ABBR.fullmatch(colon.group("abbr")):
            self._define(st, d, colon.group("abbr"), aliases, compounds, regimens, pos)
            return
        m = _BRACKET.match(text, pos)
        if not m:
            return
        body_start = m.start("body")
        chain = _combination(st, d)
        if len(chain) > 1 and _FIXED_DOSE.search(text, d.end, pos):  # "A／B 配合剤（OFC、商品名 Symbyax）"
            names = [c.attrs["name"] for c in chain]
            name = self.lex.combination(names) or "/".join(names)
            for item in re.split(r"[、,;；]", re.sub(r"(以下|hereafter)\s*[、,]\s*", r"\1 ", m.group("body"))):
                item = re.sub(r"^(?:以下|hereafter|商品名|販売名|brand name|trade name)\s*[:：]?\s*", "", item.strip())
                if _ABBR.fullmatch(item) or _BRAND.fullmatch(item) or _CODE.fullmatch(item):
                    aliases.setdefault(_TRADEMARK.sub("", item).strip(), name)
            return
        items = [
            (x.start() + body_start, re.sub(r"と略(?:す|した)?$", "", x.group(0).strip()))
            for x in re.finditer(r"[^、,;；]+", re.sub(r"(以下|hereafter)\s*[、,]\s*", r"\1 ", m.group("body")))
        ]
        japanese = not text[d.start : d.end].isascii() or st.has_japanese
        inner = [x for x in st.starting("drug", body_start, m.end("body")) if not x.attrs.get("class")]
        if (
            inner
            and len(items) > 1
            and inner[0].start - body_start <= 2
            and inner[0].attrs["name"] != name
            and inner[0].attrs.get("source") in ("lexicon", "ja_lexicon", "transliteration")
        ):
            name = inner[0].attrs["name"]  # "Follistim（ホリトロピン ベータ、以下、rFSH）": the generic names it
            d = inner[0]
        for k, (_, item) in enumerate(items):
            here = _HEREAFTER.search(item)
            if here:
                abbr = here.group("abbr").strip("」")
                if _ABBR.fullmatch(abbr) or (
                    japanese and _JA_SHORT.fullmatch(abbr) and _subsequence(abbr, text[d.start : d.end])
                ):
                    self._define(st, d, abbr, aliases, compounds, regimens, pos, hereafter=True)
                continue
            cue = None
            for cue_name in ("ja_code_cue", "ja_brand_cue", "brand_cue"):
                c = cue_regex("drug", cue_name).match(item)
                if c:
                    cue = cue_name
                    item = item[c.end() :].lstrip(" :：")
                    break
            if _CODE.fullmatch(item) and (cue or k == 0):
                if self._registry(item):
                    continue
                if len(_combination(st, d)) > 1:
                    self._define(st, d, item, aliases, compounds, regimens, pos)  # "A, B and C (PXT3003)"
                else:
                    aliases.setdefault(item, name)  # "ルルビネクテジン（開発コード：PM01183）"
                continue
            if k > 0 and not cue:
                continue
            if _ABBR.fullmatch(item) and not cue and len(item) <= 12:
                self._define(st, d, item, aliases, compounds, regimens, pos)
                continue
            brand = _BRAND.fullmatch(item)
            if brand and self._brand_ok(st, d, item, cue, japanese):
                aliases.setdefault(_TRADEMARK.sub("", item).strip(), name)
                continue
            if (
                japanese
                and _JA_SHORT.fullmatch(item)
                and len(items) == 1
                and _subsequence(item, text[d.start : d.end])
                and item != text[d.start : d.end]
            ):
                aliases.setdefault(item, name)  # "生理食塩液（生食）"

    def _after_filler(self, st: DocState, d: Mention) -> int:
        """Where a definition may start after ``d``: past a strength ("calcipotriol 50 μg/g (Cal)")
        and words of form or use ("gel", "supplementation", "硝子体内注射", "配合剤")."""
        text = st.text
        pos = d.end
        if pos < len(text) and text[pos] == ")" and st.has_japanese:
            pos += 1
        strength = re.compile(r"\s+\d[\d.,]*\s*[^\s()（）\d]{1,8}(?=\s*[(\[])").match(text, pos)
        if strength:
            return strength.end()
        if st.has_japanese:
            f = _JA_FILLER.match(text, pos)
            if (
                f
                and f.end() < len(text)
                and text[f.end()] in "(["
                and not _COORD_JA.search(f.group(0))
                and st.free(pos, f.end(), "drug")
            ):
                return f.end()
            if not text[d.start : d.end].isascii():
                return pos
        for _ in range(3):
            w = re.compile(r"[\s\-]+([A-Za-z]+(?:\s+drops|\s+rinse|\s+gel|\s+spray)?)").match(text, pos)
            if not w or w.group(1).lower() not in self._filler_en:
                break
            pos = w.end()
        return pos

    def _define(
        self,
        st: DocState,
        d: Mention,
        abbr: str,
        aliases: dict,
        compounds: dict,
        regimens: set,
        bracket: int,
        hereafter: bool = False,
    ) -> None:
        text = st.text
        name = d.attrs["name"]
        if abbr.isdigit() or abbr in regimens or _AMOUNT_ABBR.fullmatch(abbr):
            return
        known = self.lex.en.get(en_key(abbr))
        chain = _combination(st, d)
        parts = _abbr_split(abbr, len(chain))
        if len(chain) > 1 and parts:  # "parecoxib/valdecoxib (PAR/VAL)", "DHA-PPQ"
            names = []
            for (a, b), c in zip(parts, chain):
                table = self.lex.abbreviations.get(abbr[a:b])
                # a part the table knows as a product holding this drug ("UFT": tegafur/uracil)
                names.append(table if table and c.attrs["name"] in table.split("/") else c.attrs["name"])
            compounds[abbr] = [(a, b, n) for (a, b), n in zip(parts, names)]
            for (a, b), n in zip(parts, names):
                if b - a >= 2:
                    aliases.setdefault(abbr[a:b], n)
            return
        if "/" in abbr:  # "uracil-tegafur and leucovorin (UFT/LV)": each part on its own
            for a, b in _abbr_split(abbr, abbr.count("/") + 1) or []:
                part = abbr[a:b]
                table = self.lex.abbreviations.get(part)
                hit = next((c for c in chain if c.attrs["name"] == table or _sh_fits(part, text, c.start, c.end)), None)
                if hit is not None and b - a >= 2:
                    aliases.setdefault(
                        part, table if table and hit.attrs["name"] != table and "/" in table else hit.attrs["name"]
                    )
            return
        if len(chain) > 1:
            table = self.lex.abbreviations.get(abbr)
            if table == name or _sh_fits(abbr, text, d.start, d.end) or (known == name):
                aliases.setdefault(abbr, name)  # "tacrolimus and mycophenolate mofetil (MMF)"
                return
            names = [c.attrs["name"] for c in chain]
            tight = all(_TIGHT.match(text[a.end : b.start]) for a, b in zip(chain, chain[1:]))
            combo = self.lex.combination(names)
            if _CODE.fullmatch(abbr) or (tight and combo):
                # "baclofen, naltrexone and sorbitol (PXT3003)", "artemether-lumefantrine (AL)"
                aliases.setdefault(abbr, combo or "/".join(names))
            elif tight and not _sh_fits(abbr, text, chain[0].start, d.end) and _DOSE_AFTER.match(text, chain[0].end):
                aliases.setdefault(abbr, "/".join(names))  # "paracetamol 1,000 mg–caffeine 130 mg (PCF)"
            elif not known:
                regimens.add(abbr)  # "busulfan plus fludarabine (BuFlu)", "FEC" after three drugs
            return
        if known and known != name and not (abbr.isupper() or any(ch.isdigit() for ch in abbr) or hereafter):
            return  # "X (aspirin)": a lower-case drug word is no abbreviation of X
        # the letters of the abbreviation may reach back before the drug: only words of route,
        # dose or source ("intravenous cyclophosphamide (IVC)"), never others ("EURopean EXenAtide (EUREXA)")
        if (
            not hereafter
            and len(abbr) >= 5
            and not any(c.isdigit() for c in abbr)
            and _sh_start(abbr, text, bracket, d.start) is None
            and text[d.start : d.end].isascii()
        ):
            return  # "irinotecan (TEGAFIRI)": a regimen's letters, not this drug's
        if not hereafter and d.end - d.start < len(abbr) + 40:
            start = _sh_start(abbr, text, bracket, max(0, d.start - 60))
            if start is not None and start < d.start:
                before = re.findall(r"[A-Za-z][A-Za-z\-]*", text[start : d.start])
                if any(w.lower() not in self._modifiers for w in before):
                    if _sh_start(abbr, text, bracket, d.start) is None:
                        return
        aliases.setdefault(abbr, name)

    def _define_before(self, st: DocState, d: Mention, aliases: dict) -> None:
        """ "EPO (epoetin beta)", "GSK961081 (batefenterol)": an abbreviation, brand or code
        followed by a drug in brackets that fills them."""
        text = st.text
        m = re.compile(r"(?P<abbr>[A-Za-z0-9][A-Za-z0-9\-/+.#]{1,13})\s*[(\[]\s*$").search(
            text, max(0, d.start - 18), d.start
        )
        if not m or not re.compile(r"\s*[)\]]").match(text, d.end):
            return
        abbr = m.group("abbr")
        if not (_ABBR.fullmatch(abbr) or _CODE.fullmatch(abbr)) or self._registry(abbr):
            return
        inner = st.overlapping("drug", m.start("abbr"), m.end("abbr"))
        if any(x.attrs.get("class") for x in inner):
            return
        aliases.setdefault(abbr, d.attrs["name"])

    def _brand_ok(self, st: DocState, d: Mention, item: str, cue: str | None, japanese: bool) -> bool:
        """A Latin name in brackets after a generic is its brand or Latin name; never a maker
        ("CellCept (Roche)"), never after a brand, never a known other drug or word."""
        words = [w.lower() for w in re.findall(r"[A-Za-z.]+", item)]
        if any(w in self._makers for w in words):
            return False
        if self.lex.en.get(en_key(_TRADEMARK.sub("", item))) not in (None, d.attrs["name"]):
            return False
        surface = st.text[d.start : d.end]
        if surface.isascii():
            key = en_key(surface)
            brand = key not in self.lex.en_generic_variants and key != en_key(d.attrs["name"])
        else:
            brand = ja_fold(surface) in self._ja_brands
        if brand and not cue:
            return False
        return bool(cue) or japanese or bool(_TRADEMARK.search(item))

    def _registry(self, s: str) -> bool:
        """A registry number, scale, gene or lab code ("NCT…", "HbA1c", "ACR20", "CD4", "IL-6")."""
        lead = re.match(r"[A-Za-z]+", s)
        return lead is not None and lead.group(0) in self._registries and not self.lex.en.get(en_key(s))

    # -- 4. development codes -------------------------------------------------------------
    def _codes(self, st: DocState, pending: list) -> None:
        """Compounds known only by a code ("SRT2104", "MK-0431", "ABP 501", "SB4") in drug
        context, named by the lexicon where it knows the code, else by the code in lower case;
        trial registry numbers (NCT…, ISRCTN…), scales and genes are not drugs."""
        text = st.text
        for m in st.checked(_CODE.finditer(text)):
            s, e = m.start(), m.end()
            if self._registry(m.group(0)) or not st.free(s, e, "drug"):
                continue
            code = m.group(0)
            letters = re.match(r"[A-Za-z]+", code)
            assert letters, code  # _CODE starts with letters
            lead = letters.group(0)
            if " " in code and (lead in self.lex.abbreviations or self.lex.en.get(en_key(lead))):
                continue  # "CBZ 200 mg", "BDP 100 μg": a known name and its dose
            if cue_regex("drug", "code_not_after").match(
                text, e + len(text[e : e + 3]) - len(text[e : e + 3].lstrip())
            ):
                continue  # "SAM40056 試験", "the FFA109687 study": a study, not a compound
            name = self.lex.en.get(en_key(code)) or self.lex.en.get(en_key(code).replace(" ", "")) or code.lower()
            # long codes in drug context, short ones ("SB4") only where the text gives them; once
            # accepted, every occurrence counts (step 5)
            pending.append((s, e, name, dict(name=name, source="code"), not re.search(r"\d{3}", code)))

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

    # -- 3. unknown katakana ---------------------------------------------------------------
    def _unknown_katakana(self, st: DocState, pending: list) -> None:
        if self._translit is None:  # transliteration off
            return
        text = st.text
        ctx = cue_regex("drug", "ja_drug_context")
        stop = cue_regex("drug", "ja_not_drug")
        named: dict[str, tuple] = {}  # a katakana word named once is that drug everywhere in the text
        later = []
        for m in st.checked(_KATA_RUN.finditer(text)):
            s, e = m.start(), m.end()
            if any(p[0] < e and s < p[1] for p in pending):
                continue  # a listed substance awaiting its decision ("アドレナリン"), not an unknown word
            short = e - s == 3 and _prefix_start(text, s) < s  # "D-セリン"
            if (
                not (4 <= e - s or short)
                or e - s > _KATA_NAME_MAX
                or not st.free(s, e, "drug")
                or stop.fullmatch(m.group(0))
            ):
                continue
            tail = _JA_SALT_TAIL.match(text, e) or re.compile(r"酸(?:塩|エステル)?(?:水和物)?").match(text, e)
            word_end = tail.end() if tail and text[tail.end() - 1] != "酸" else e
            after = (
                word_end + len(text[word_end : word_end + 3]) - len(text[word_end : word_end + 3].lstrip())
            )  # "テゼペルマブ 群"
            if (
                not ctx.match(text, after)
                and not _AMOUNT_AFTER.match(text, word_end)
                and not ctx.search(text, max(0, s - 6), s)
            ):
                later.append((s, e))
                continue
            if _diagnostic(st, s, word_end):
                continue
            hit = self._translit.lookup(text[s:word_end])
            if hit:
                name, score = self.lex.canonical(hit[0]), hit[1]
                # "プロラクチン", "フィブロネクチン": a substance of the body, a drug only where given
                lab = name in self._lab_names or en_key(name) in self._lab or en_key(hit[0]) in self.lex.guarded
                if name.endswith("s") and self.lex.en.get(name[:-1]) == name:
                    name = name[:-1]  # MeSH plural heading ("endostatins")
                start = _prefix_start(text, s)
                if start < s:
                    prefixed = text[start:s].rstrip("-").lower() + "-" + hit[0]
                    name = self.lex.en.get(en_key(prefixed), prefixed)
                attrs = dict(name=name, source="transliteration", score=round(score, 3), **_ids(self.lex, name))
                if lab or _measured(st, start, word_end):
                    pending.append((start, word_end, name, attrs, True))
                else:
                    st.add("drug", start, word_end, **attrs)
                named[text[s:e]] = (hit[0], score, lab, start < s)
        for s, e in later:
            known = named.get(text[s:e])
            if not known or not st.free(s, e, "drug"):
                continue
            start = _prefix_start(text, s)
            if (start < s) != known[3]:
                continue  # "L-セリン" is not the "D-セリン" named before
            raw = (text[start:s].rstrip("-").lower() + "-" + known[0]) if start < s else known[0]
            name = self.lex.canonical(raw) if start == s else self.lex.en.get(en_key(raw), raw)
            attrs = dict(name=name, source="transliteration", score=round(known[1], 3), **_ids(self.lex, name))
            if known[2] or _measured(st, start, e):
                pending.append((start, e, name, attrs, True))
            else:
                st.add("drug", start, e, **attrs)


_JOINER = re.compile(
    r"\s*(?:\d[\d.,]*\s*[a-zμµ%/]{1,8}\s*)?(?:,|/|／|\+|＋|-|–|and|plus|with|、|・|と|及び|および)\s*$"
)
_TIGHT = re.compile(r"\s*(?:\d[\d.,]*\s*[a-zμµ%/]{1,8}\s*)?(?:/|／|-|–|・)\s*$")
_PREFIX = re.compile(r"(?<![A-Za-z0-9])[DLdl]-$")
_BOOSTER = re.compile(r"(?<![A-Za-z])[A-Z]{2,4}/(?P<r>r)(?![A-Za-z])")
_LEVEL_AFTER = re.compile(
    r"(?:\s*[(][^()]{1,12}[)])?[\s-]+(?:levels?|concentrations?|values?|assays?|measurements?)\b", re.I
)
_DEF_AFTER = re.compile(r"\s*[(\[:：]\s*(?:以下\s*[、,]?\s*)?(?P<abbr>[A-Za-z][A-Za-z0-9\-]{0,9})\s*[)\]、,;]")
_METABOLITE_BEFORE = re.compile(r"(?:\)|hydroxy[a-z]*\s*|vitamin\s*)$", re.I)
_COORD_AFTER = re.compile(
    r"(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*と\s*|\s*及び\s*|\s*および\s*)"
    r"(?:[A-Za-zα-ω0-9\-]+(?:\s+[A-Za-zα-ω0-9\-]+){0,2}|[ァ-ヶー\u4e00-\u9fffA-Za-z0-9]{1,10})"
)
_RATIO_AFTER = re.compile(r"\s*[(（]?\s*1\s*:\s*\d[\d,]{2,}")  # "アドレナリン 1:100,000 添加"
_RATIO_BEFORE = re.compile(r"\d\s*:\s*\d[\d,]*\s*$")  # "lidocaine with 1:100,000 epinephrine"


def _prefix_start(text: str, pos: int) -> int:
    """Start of a stereo prefix written before a Japanese name ("D-セリン", "L-カルニチン")."""
    m = _PREFIX.search(text, max(0, pos - 3), pos)
    return m.start() if m else pos


def _ja_parts(text: str, start: int, end: int, name: str) -> list[tuple[int, int, str]]:
    """A Japanese combination written with ・ or ／ whose name has as many "/" parts: one mention a part."""
    if "/" not in name:
        return []
    names = name.split("/")
    cuts = [m.start() for m in re.finditer(r"[・／/]", text[start:end])]
    if len(cuts) != len(names) - 1:
        return []
    bounds = [start] + [start + c for c in cuts] + [end]
    out = []
    for k, part in enumerate(names):
        a, b = bounds[k] + (1 if k else 0), bounds[k + 1]
        if b <= a:
            return []
        out.append((a, b, part))
    return out


def _split_parts(abbr: str, name: str) -> list[tuple[int, int, str]] | None:
    names = name.split("/")
    spans = _abbr_split(abbr, len(names))
    if not spans:
        return None
    return [(a, b, n) for (a, b), n in zip(spans, names)]


def _abbr_split(abbr: str, n: int) -> list[tuple[int, int]] | None:
    """[start, end) of the parts of "FF/VI", "LPV/r" (on "/"), or "DHA-PPQ" (on "-" when every part
    is a capital abbreviation), when there are ``n`` of them."""
    if n < 2:
        return None
    for sep in ("/", "+", "-"):
        pieces = abbr.split(sep)
        if len(pieces) != n or not all(pieces):
            continue
        if sep != "/" and not all(len(p) >= 2 and p[0].isupper() and not p.isdigit() for p in pieces):
            continue
        out, pos = [], 0
        for p in pieces:
            out.append((pos, pos + len(p)))
            pos += len(p) + 1
        return out
    return None


def _sh_start(abbr: str, text: str, end: int, lo: int) -> int | None:
    """Schwartz & Hearst: where the shortest long form before ``end`` that spells the
    abbreviation's letters in order starts (its first letter at a word start), or None."""
    letters = [c.lower() for c in abbr.translate(GREEK) if c.isalnum()]
    if not letters:
        return None
    j = end - 1
    for i in range(len(letters) - 1, -1, -1):
        c = letters[i]
        while j >= lo and (text[j].lower() != c or (i == 0 and j > 0 and text[j - 1].isalnum())):
            j -= 1
        if j < lo:
            return None
        j -= 1
    k = j + 1
    while k > lo and text[k - 1].isalnum():
        k -= 1
    return k


def _sh_fits(abbr: str, text: str, start: int, end: int) -> bool:
    return _sh_start(abbr, text, end, start) is not None


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _retake(st: DocState, s: int, e: int) -> bool:
    """A definition in the text wins over a table or lexicon reading of the same span: drop the
    mentions exactly inside [s, e) that the text did not define; True if the span is now free."""
    inside = st.overlapping("drug", s, e)
    if not inside or any(
        (m.start < s or m.end > e) and m.attrs.get("source") != "code" or m.attrs.get("source") == "definition"
        for m in inside
    ):
        return False
    keep = [m for m in st.mentions["drug"] if not any(m is x for x in inside)]
    st.clear("drug")
    for m in keep:
        st.add("drug", m.start, m.end, **m.attrs)
    return True


def _combination(st: DocState, drug) -> list:
    """The drug mentions joined into a list that ends with ``drug``."""
    chain = [drug]
    for d in st.preceding("drug", drug.start):
        if d.end > drug.start or d.attrs.get("class"):
            continue
        if chain[0].start - d.end > 20 or not _JOINER.match(st.text[d.end : chain[0].start]):
            break
        chain.insert(0, d)
    return chain


def _cue_near(st: DocState, name: str, lo: int, hi: int, *, at_end: bool = False, at_start: bool = False) -> bool:
    """A cue of ``name`` in [lo, hi) touching ``hi`` (at_end) or ``lo`` (at_start)."""
    lo, hi = max(0, lo), min(len(st.text), hi)
    if at_start:
        return bool(cue_regex("drug", name).match(st.text, lo, hi))
    for m in cue_regex("drug", name).finditer(st.text, lo, hi):
        if not at_end or not st.text[m.end() : hi].strip(" -–(（\"'"):
            return True
    return False


def _strong_given(st: DocState, s: int, e: int) -> bool:
    """The text gives the substance here: a dose right after it, a word of giving right before
    ("received", "oral", "supplemented with") or after it ("supplementation", "group", "投与", "群")."""
    text = st.text
    if _measured(st, s, e):
        return False
    br = _BRACKET_AFTER.match(text, e)
    if br:  # "アスコルビン酸（以下、AA）250mg", "zinc (Zn) supplementation"
        e = br.end()
    if _DOSE_AFTER.match(text, e) or _RATIO_AFTER.match(text, e):
        return True
    gap = _gap_end(text, e)
    if _cue_near(st, "given_after", gap, e + 26, at_start=True) or _cue_near(
        st, "ja_given_after", gap, gap + 8, at_start=True
    ):
        return True
    if _cue_near(st, "given_before", s - 32, s, at_end=True) or _cue_near(st, "ja_given_before", s - 8, s, at_end=True):
        return True
    co = _COORD_AFTER.match(text, e)
    if co:  # "calcium and vitamin D supplementation", "亜鉛と ORS を配布"
        gap = _gap_end(text, co.end())
        if _cue_near(st, "given_after", gap, gap + 26, at_start=True) or _cue_near(
            st, "ja_given_after", gap, gap + 8, at_start=True
        ):
            return True
    return bool(_RATIO_BEFORE.search(text, max(0, s - 16), s))


def _body(st: DocState, s: int, e: int) -> bool:
    """The text names the body's own substance here ("insulin secretion", "endogenous insulin",
    "インスリン抵抗性")."""
    text = st.text
    gap = _gap_end(text, e)
    co = _COORD_AFTER.match(text, e)
    if co and _cue_near(st, "body_after", co.end() + 1, co.end() + 24, at_start=True):
        return True  # "insulin and C-peptide responses"
    return (
        _cue_near(st, "body_after", gap, e + 24, at_start=True)
        or _cue_near(st, "ja_body_after", e, e + 6, at_start=True)
        or _cue_near(st, "body_before", s - 20, s, at_end=True)
        or _cue_near(st, "ja_body_before", s - 6, s, at_end=True)
    )


def _diagnostic(st: DocState, s: int, e: int) -> bool:
    """An agent used to test, not to treat ("methacholine challenge", "メタコリン吸入試験")."""
    gap = _gap_end(st.text, e)
    return _cue_near(st, "diagnostic_after", gap, e + 24, at_start=True) or _cue_near(
        st, "ja_diagnostic_after", gap, gap + 8, at_start=True
    )


def _level(st: DocState, s: int, e: int) -> bool:
    """A drug named as a measured level ("plasma β-carotene", "lactoferrin concentrations"), not
    as a property ("clarithromycin resistance" is a mention, decision 4)."""
    c0, _ = st.clause(s)
    return bool(
        _LEVEL_AFTER.match(st.text, e)
        or _LAB_UNIT.match(st.text, e, min(len(st.text), e + 30))
        or _cue_near(st, "lab_before", max(c0, s - 25), s, at_end=True)
    )


def _never(st: DocState, s: int, e: int) -> bool:
    """A name inside the name of an enzyme, receptor or gene ("creatine kinase", "dopamine receptor")."""
    gap = _gap_end(st.text, e)
    return _cue_near(st, "never_after", gap, e + 24, at_start=True) or _cue_near(
        st, "ja_never_after", gap, gap + 6, at_start=True
    )


def _measured(st: DocState, s: int, e: int) -> bool:
    text = st.text
    c0, _ = st.clause(s)
    return bool(
        _not_after_regex().match(text, e)
        or _LAB_UNIT.match(text, e, min(len(text), e + 30))
        or _cue_near(st, "lab_before", max(c0, s - 25), s, at_end=True)
        or _cue_near(st, "ja_measured_after", e, e + 6, at_start=True)
        or _cue_near(st, "ja_lab_before", max(c0, s - 6), s, at_end=True)
    )


def _placebo_use(st: DocState, s: int, e: int) -> bool:
    """A vehicle given as the placebo ("saline placebo", "プラセボとして生理食塩液")."""
    c0, c1 = st.clause(s)
    return bool(_PLACEBO.search(st.text, max(c0, s - 60), min(c1, e + 30)))


@lru_cache(maxsize=1)
def _not_after_regex() -> re.Pattern[str]:
    words = cues()["drug"]["not_drug_after"]
    # "insulin resistance", "peptide YY (PYY) concentrations"
    return re.compile(
        r"(?:\s*[(（][^()（）]{1,12}[)）])?[\s-]+(?:" + trie_regex([atoms(w) for w in words]) + r")(?![A-Za-z])", re.I
    )


@lru_cache(maxsize=1)
def _lab_substances() -> frozenset[str]:
    return frozenset(en_key(w) for w in cues()["drug"]["lab_substances"])


def _ids(lex: DrugLexicon, generic: str) -> dict:
    ids = lex.ids(generic)
    return {"ids": ids} if ids else {}


@lru_cache(maxsize=4096)
def _surface_regex(surface: str) -> re.Pattern[str]:
    if surface.isascii():
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(surface)}(?![A-Za-z])")
    return re.compile(re.escape(surface))


@lru_cache(maxsize=4096)
def _prefixed_regex(surface: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9])(?:s|l|h|low|high|hd|ld|sd){re.escape(surface)}(?![A-Za-z])")


_GAP = re.compile(r"[\s\-]?")


def _gap_end(text: str, pos: int) -> int:
    """Where an optional space or hyphen at ``pos`` ends."""
    m = _GAP.match(text, pos)
    return m.end() if m else pos  # (the pattern always matches)


def _abbr_regex(table: Collection[str]) -> re.Pattern[str] | None:
    if not table:
        return None
    return re.compile(rf"(?<![A-Za-z0-9])(?:{trie_regex([[re.escape(c) for c in a] for a in table])})(?![A-Za-z])")
