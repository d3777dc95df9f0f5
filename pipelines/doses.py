"""Doses: an amount (or range) of a drug with its unit and optional body/time basis.

"3,000mg", "1 日 3,000mg" (3000 mg/day), "0.5-1.0 g/m2/月" (500-1000 mg/m2/month),
"500～3000mg/日", "1～3 mg／Kg／日", "0.5 to 1.0 g per square meter", "1000 mg twice
daily" (frequency attribute), "1000mg/日から3000mg/日まで" (two doses).
Lab values (尿蛋白 0.3g/24h, creatinine 1.2 mg/dL) and concentrations are skipped.
The unit tables are models/rules/<lang>/units.json; frequency, route and lab cues are in
models/rules/<lang>/dose.json.  A document reads the tables of its language and English.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache, cache

from .base import DocState
from .linking import nearest_drug
from .numbers import NUM, NUM_RE, parse_number
from .resources import alternation, cue_regex, cue_words, doc_lang, languages, rule_langs, rules


def _alt(words) -> str:
    return alternation(words, r"\s*")


@lru_cache(maxsize=1)
def _unit_registry():
    import pint  # a load-time cost only: conversion factors for the mass units

    return pint.UnitRegistry()


@cache
def _tables(lang: str):
    """The unit tables of a document of ``lang``: surface -> meaning, its languages joined."""
    ureg = _unit_registry()
    amount = {}  # surface -> (canonical, normalised unit, factor)
    per_body: dict[str, str] = {}
    per_time: dict[str, str] = {}
    lead: dict[str, str] = {}
    trail: dict[str, str] = {}
    tail: list[str] = []
    for t in (rules(lg, "units") for lg in rule_langs(lang)):
        for canon, spec in t.amount.items():
            target = spec.normalize_to
            factor = ureg.Quantity(1, canon.replace("µ", "u")).to(target).magnitude if target == "mg" else 1.0
            for s in spec.surfaces:
                amount[s] = (canon, target, factor)
        for table, section in (
            (per_body, t.per_body),
            (per_time, t.per_time),
            (lead, t.daily_words),
            (trail, t.trailing_time),
        ):
            table.update({s: k for k, ss in section.items() for s in ss})
        tail += t.concentration_tail
    return tail, amount, per_body, per_time, lead, trail


_NOT_GIVEN_BEFORE = re.compile(r"(?:difference(?:\s+of)?|\bCI|confidence interval)\s*[:,]?\s*$", re.I)
# "100, 200 or " (and "400/" of "400/12 μg") right before an amount with a unit
_AMOUNT_LIST = re.compile(rf"(?<![\d.,/])(?:{NUM})(?:\s*,\s*(?:{NUM}))*\s*(?:,\s*)?(?:or|and|,|/)\s*$")


@cache
def _dose_word(lang: str) -> re.Pattern[str]:
    """'dose', 'given', '投与' (dose.json dose_words): grams near one are a dose without a drug."""
    words = cue_words("dose", "dose_words", lang)
    other = [w for w in words if not w.isascii()]  # Japanese words have no word boundaries
    return re.compile(
        rf"\b(?:{alternation(w for w in words if w.isascii())})\b" + (f"|{alternation(other)}" if other else ""), re.I
    )


@lru_cache(maxsize=1)
def _dose_re() -> dict[str, re.Pattern[str]]:
    """The dose pattern of each language's documents."""
    return {lang: _dose_pattern(lang) for lang in languages()}


def _dose_pattern(lang: str) -> re.Pattern[str]:
    tail, amount, per_body, per_time, lead, trail = _tables(lang)
    unit = rf"(?:{_alt(amount)})(?![A-Za-z])"
    sep = r"\s*(?:/|per|a|[·.]|\s)\s*"  # not "every": "every 24 h" is a frequency
    body = rf"(?:{sep}(?P<body>{_alt(per_body)})(?:\s*-\s*1|⁻¹)?(?![A-Za-z]))"
    time = rf"(?:{sep}(?P<time>{_alt(per_time)})(?:\s*-\s*1|⁻¹)?(?![A-Za-z]))"
    trail_re = rf"(?:\s+(?P<trail>{_alt(trail)})(?![A-Za-z]))"
    rng = r"\s*(?:-|~|to|–|から)\s*"
    return re.compile(
        rf"(?P<lead>(?<![A-Za-z0-9])(?P<leadw>{_alt(lead)})\s*(?:(?:に|は|として|量)\s*)?)?"
        rf"(?<![\d.,±])(?P<a>{NUM})(?:\s*\(\s*{NUM}\s*[-–~]\s*{NUM}\s*\))?(?:\s*(?P<ua>{unit}))?"
        rf"(?:{rng}(?P<b>{NUM}))?"
        rf"\s*(?P<unit>{unit})"
        rf"(?!\s*/\s*(?:{_alt(tail)}|\d)(?![A-Za-z]))(?!\s*±)"  # "ng/mL", "ng/100 mL", "334 ± 55 g"
        rf"{body}?{time}?{trail_re}?"
    )


class DoseExtractor:
    def __init__(self) -> None:
        _dose_re()  # compile at load time, not on the first request

    def __call__(self, st: DocState) -> None:
        text = st.text
        lang = doc_lang(st)
        _, amount, per_body, per_time, lead, trail = _tables(lang)
        lab = cue_regex("dose", "lab_context", lang)
        for m in st.checked(_dose_re()[lang].finditer(text)):
            if m.group("ua") and m.group("b") and not m.group("unit"):
                continue
            start = m.start("lead") if m.group("lead") else m.start("a")
            if not st.free(start, m.end(), "p_value", "dose"):
                continue
            if _is_lab_value(st, m.start("a"), lab) or _NOT_GIVEN_BEFORE.search(text, max(0, start - 30), start):
                continue  # "a difference of 46 μg/h", "95% CI 56–140 μg/h"
            canon, target, factor = amount[m.group("unit")]
            if target not in ("mg", "IU") and not _drug_in_clause(st, m.start("a")):
                continue  # units, volumes and mmol are doses only next to a drug ("4 units" of a score)
            a = parse_number(m.group("a"))
            b = parse_number(m.group("b")) if m.group("b") else a
            if m.group("ua") and m.group("b"):
                a *= amount[m.group("ua")][2] / factor  # "0.5 g to 750 mg": first amount in its own unit
            if not (math.isfinite(a * factor) and math.isfinite(b * factor)):
                continue  # a 400-digit "amount"
            unit = target
            if m.group("body") and per_body[_key(m.group("body"), per_body)] in ("kg", "m2"):
                unit += "/" + per_body[_key(m.group("body"), per_body)]
            basis = None
            if m.group("lead"):
                basis = lead[_key(m.group("leadw"), lead)]
            if m.group("time"):
                basis = per_time[_key(m.group("time"), per_time)]
            elif m.group("trail"):
                basis = trail[_key(m.group("trail"), trail)]
            if basis:
                unit += "/" + basis
            if (
                canon == "g"
                and unit == "mg"
                and not _drug_in_sentence(st, m.start("a"))
                and not _dose_word(lang).search(text, max(0, start - 30), start)
            ):
                continue  # "40 g ground flaxseed", "15 g of fiber": grams of food, no drug named
            written = text[m.start("unit") : m.end()].strip()
            unit_at = m.start("unit") + (
                len(text[m.start("unit") : m.end()]) - len(text[m.start("unit") : m.end()].lstrip())
            )
            attrs = {  # min/max in mg (the normalised values); written_* in the unit as written
                "min": _round(a * factor),
                "max": _round(b * factor),
                "written_min": _round(a),
                "written_max": _round(b),
                "unit": written,
                "unit_span": (unit_at, unit_at + len(written)),  # the unit in the text, for the result
                "normalized_unit": unit,
            }
            freq = _nearby(st, m.end(), "frequency")
            if freq:
                attrs["frequency"] = freq
            route = _nearby(st, start, "route", before=True) or _nearby(st, m.end(), "route")
            if route:
                attrs["route"] = route
            drug = nearest_drug(st, start, m.end())
            if drug is not None:
                attrs["drug"] = drug
            st.add("dose", start, m.end(), **attrs)
            self._shared_unit(st, start, attrs, factor)
        st.mentions["dose"].sort(key=lambda d: d.start)

    def _shared_unit(self, st: DocState, start: int, attrs: dict, factor: float) -> None:
        """'cenobamate 100, 200 or 400 mg/day': the bare amounts before share the unit."""
        lst = _AMOUNT_LIST.search(st.text, max(0, start - 40), start)
        if not lst:
            return
        for num in NUM_RE.finditer(st.text, lst.start(), lst.end()):
            written = parse_number(num.group())
            value = written * factor
            if math.isfinite(value) and st.free(num.start(), num.end(), "dose", "p_value"):
                value, written = _round(value), _round(written)
                st.add(
                    "dose",
                    num.start(),
                    num.end(),
                    **dict(attrs, min=value, max=value, written_min=written, written_max=written),
                )


def _key(surface: str, table: dict[str, str]) -> str:
    s = re.sub(r"\s+", " ", surface.strip())
    if s in table:
        return s
    squeezed = s.replace(" ", "")
    for k in table:
        if k.replace(" ", "") == squeezed:
            return k
    raise KeyError(surface)


def _round(x: float) -> float | int:
    x = round(x, 6)
    return int(x) if x.is_integer() else x


def _is_lab_value(st: DocState, pos: int, lab: re.Pattern[str]) -> bool:
    """A lab analyte ("creatinine", "尿蛋白") just before the amount, with no drug between."""
    c0, _ = st.clause(pos)
    lo = max(c0, pos - 40)
    drugs = [d for d in st.overlapping("drug", lo, pos) if not d.attrs.get("class")]
    hits = [
        h for h in lab.finditer(st.text, lo, pos) if not any(d.start <= h.start() < d.end for d in drugs)
    ]  # "リン" inside "インスリン"
    if not hits:
        return False
    return not any(hits[-1].end() <= d.start < pos for d in drugs)


def _drug_in_sentence(st: DocState, pos: int) -> bool:
    s0, s1 = st.sentence(pos)
    return any(not d.attrs.get("class") for d in st.starting("drug", s0, s1))


def _drug_in_clause(st: DocState, pos: int) -> bool:
    c0, c1 = st.clause(pos)
    return any(not d.attrs.get("class") for d in st.starting("drug", c0, c1))


def _nearby(st: DocState, pos: int, cue: str, before: bool = False) -> str | None:
    """The frequency/route cue nearest to ``pos`` within the same clause (and 40 chars)."""
    c0, c1 = st.clause(pos if not before else max(pos - 1, 0))
    pattern = cue_regex("dose", cue, doc_lang(st))
    if before:
        hits = list(pattern.finditer(st.text, max(c0, pos - 25), pos))
        return hits[-1].group(0) if hits else None
    # after the amount: up to the next number, so "2 mg/kg and 1000 mg twice daily" stays apart
    nxt = re.compile(r"\d").search(st.text, pos, min(c1, pos + 40))
    m = pattern.search(st.text, pos, nxt.start() if nxt else min(c1, pos + 40))
    if m and cue == "route" and st.text[pos : m.start()].strip(" ,()（）"):
        return None  # a route after the amount must follow it directly ("1 g IV")
    return m.group(0) if m else None
