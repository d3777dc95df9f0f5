#!/usr/bin/env python3
"""Build the gold JSONL files from the marked-up abstracts.

    .venv/bin/python annotations/build.py                 # writes annotations/{ja,en}.jsonl
    .venv/bin/python annotations/build.py --out-dir /tmp/x
    .venv/bin/python annotations/build.py --show ja-001   # print one doc with its spans
    .venv/bin/python annotations/build.py --src-dir DIR   # read DIR/ja.md and DIR/en.md

Sources: annotations/source/ja.md and annotations/source/en.md.  Markup (see
docs/annotation-guidelines.md for the full description):

    ### ja-001                      a document header; the text follows until the next header
    [[surface|kind|attrs]]          a span; nesting allowed
    {{L}} ... {{/L|kind|attrs}}     a span that may cross other spans (L: a label)

Kinds: drug, dose, trial_size (size), response_rate (rr), p_value (p), ignore.
attrs: ``key=value`` items separated by ``;``; a few kinds accept a bare
shorthand item (see ``_parse_*``).  Any error exits non-zero naming the doc id.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "source"
LANGS = ("ja", "en")
KINDS = ("drug", "dose", "trial_size", "response_rate", "p_value")
ALIASES = {
    "drug": "drug",
    "dose": "dose",
    "trial_size": "trial_size",
    "size": "trial_size",
    "response_rate": "response_rate",
    "rr": "response_rate",
    "p_value": "p_value",
    "p": "p_value",
    "ignore": "ignore",
}
SCOPES = ("total", "arm", "subset")
OPERATORS = ("=", "<", ">", "<=", ">=", "?")
UNIT_RE = re.compile(r"^(mg|IU|U|mL|mmol)(/kg|/m2)?(/day|/week|/month|/h|/min)?$")
HEADER_RE = re.compile(r"^### (\S+)\s*$")
ID_RE = re.compile(r"^(ja|en)-\d{3}$")
NUM = r"[0-9]+(?:\.[0-9]+)?"
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}


class MarkupError(Exception):
    pass


def _num(s: str) -> float:
    try:
        return float(s)
    except ValueError:
        raise MarkupError(f"not a number: {s!r}") from None


def _tidy(x: float) -> int | float:
    """An integral float becomes an int; others are rounded to 6 decimals."""
    if float(x).is_integer():
        return int(x)
    return round(float(x), 6)


def _norm(s: str) -> str:
    """Loose normalisation used only for the consistency checks."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("·", ".").replace("−", "-").replace("–", "-").replace("〜", "~")
    s = s.replace("⩽", "≤").replace("⩾", "≥").replace("≦", "≤").replace("≧", "≥")
    s = re.sub(r"(?<![\d,.])0,(?=\d)", "0.", s)  # a decimal comma: "p < 0,001"
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    s = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "", s)  # "17 707 men" (NFKC made thin spaces plain)
    return s


def _numbers(s: str) -> list[float]:
    return [float(m) for m in re.findall(NUM, _norm(s))]


# --------------------------------------------------------------------------
# markup parsing


def _strip_markup(doc_id: str, src: str):
    """Return (text, raw spans); raw span = (start, end, tail-string)."""
    out: list[str] = []
    stack: list[int] = []
    labels: dict[str, int] = {}
    spans: list[tuple[int, int, str]] = []
    i = 0
    n = len(src)
    while i < n:
        if src.startswith("[[[", i):  # a literal "[" right before a span
            out.append("[")
            i += 1
            continue
        if src.startswith("[[", i):
            stack.append(len(out))
            i += 2
            continue
        if src.startswith("{{", i):
            j = src.find("}}", i)
            if j < 0:
                raise MarkupError(f"unclosed '{{{{' at source offset {i}")
            inner = src[i + 2 : j]
            if inner.startswith("/"):
                label, sep, tail = inner[1:].partition("|")
                if not sep:
                    raise MarkupError(f"'{{{{/{label}}}}}' needs '|kind|attrs'")
                if label not in labels:
                    raise MarkupError(f"closing unknown label {label!r}")
                spans.append((labels.pop(label), len(out), tail))
            else:
                if not re.fullmatch(r"[A-Za-z0-9_]+", inner):
                    raise MarkupError(f"bad label {inner!r}")
                if inner in labels:
                    raise MarkupError(f"label {inner!r} opened twice")
                labels[inner] = len(out)
            i = j + 2
            continue
        c = src[i]
        if c == "|":
            if not stack:
                raise MarkupError(f"stray '|' at source offset {i}")
            j = src.find("]]", i)
            if j < 0:
                raise MarkupError(f"unclosed span tail at source offset {i}")
            tail = src[i + 1 : j]
            if "[[" in tail or "{{" in tail or "\n" in tail:
                raise MarkupError(f"malformed span tail {tail!r}")
            spans.append((stack.pop(), len(out), tail))
            i = j + 2
            continue
        if src.startswith("]]", i):
            raise MarkupError(f"stray ']]' at source offset {i}")
        if src.startswith("}}", i):
            raise MarkupError(f"stray '}}}}' at source offset {i}")
        out.append(c)
        i += 1
    if stack:
        raise MarkupError(f"{len(stack)} unclosed '[[' span(s)")
    if labels:
        raise MarkupError(f"unclosed label(s): {sorted(labels)}")
    return "".join(out), spans


def _attrs(tail_attrs: str):
    """Split 'a=b;bare;c=d' into (dict, [bare items])."""
    kv: dict[str, str] = {}
    bare: list[str] = []
    if not tail_attrs.strip():
        return kv, bare
    for item in tail_attrs.split(";"):
        item = item.strip()
        if not item:
            raise MarkupError(f"empty attribute item in {tail_attrs!r}")
        key, sep, val = item.partition("=")
        if sep and re.fullmatch(r"[a-z_]+", key.strip()):
            key = key.strip()
            if key in kv:
                raise MarkupError(f"attribute {key!r} given twice")
            kv[key] = val.strip()
        else:
            bare.append(item)
    return kv, bare


def _no_extra(kind, kv, bare, allowed, max_bare):
    extra = set(kv) - set(allowed)
    if extra:
        raise MarkupError(f"{kind}: unknown attribute(s) {sorted(extra)}")
    if len(bare) > max_bare:
        raise MarkupError(f"{kind}: unexpected bare item(s) {bare}")


def _parse_drug(surface, kv, bare, text):
    # [[MMF|drug|mycophenolate mofetil]] or name=...; optional id=LABEL
    _no_extra("drug", kv, bare, ("name", "id"), 1)
    name = kv.get("name") or (bare[0] if bare else None)
    if not name:
        # filled in by build_doc from another mention with the same surface
        return {"name": None}, {"id": kv.get("id")}
    if name != name.lower() or name != name.strip():
        raise MarkupError(f"drug {surface!r}: name must be lower case: {name!r}")
    return {"name": name}, {"id": kv.get("id")}


def _parse_dose(surface, kv, bare, text):
    # [[1 日 3,000mg|dose|3000 mg/day;drug=^]] or min=;max=;unit= (v= sets both)
    _no_extra("dose", kv, bare, ("min", "max", "v", "unit", "drug", "shared"), 1)
    lo = hi = unit = None
    if bare:
        m = re.fullmatch(rf"({NUM})(?:-({NUM}))? (\S+)", bare[0])
        if not m:
            raise MarkupError(f"dose {surface!r}: bad shorthand {bare[0]!r}")
        lo = _num(m.group(1))
        hi = _num(m.group(2)) if m.group(2) else lo
        unit = m.group(3)
    if "v" in kv:
        lo = hi = _num(kv["v"])
    if "min" in kv:
        lo = _num(kv["min"])
    if "max" in kv:
        hi = _num(kv["max"])
    unit = kv.get("unit", unit)
    if lo is None or hi is None or unit is None:
        raise MarkupError(f"dose {surface!r}: needs min, max and unit")
    if lo > hi:
        raise MarkupError(f"dose {surface!r}: min > max")
    if not UNIT_RE.match(unit):
        raise MarkupError(f"dose {surface!r}: unit {unit!r} not normalised")
    if kv.get("shared") not in (None, "yes"):
        raise MarkupError(f"dose {surface!r}: shared must be 'yes'")
    _check_dose(surface, lo, hi, unit, shared=kv.get("shared") == "yes")
    return {"min": _tidy(lo), "max": _tidy(hi), "unit": unit}, {"drug": kv.get("drug")}


def _check_dose(surface, lo, hi, unit, shared=False):
    """The normalised values must be readable from the surface.

    shared=yes: a bare number whose unit is written once for a list
    ("100, 200 or 400 mg/day"): only the number is checked.
    """
    s = _norm(surface)
    low = s.lower()
    if shared:
        if not re.fullmatch(NUM, s):
            raise MarkupError(f"dose {surface!r}: shared=yes needs a bare number")
        if not math.isclose(float(s), lo) or lo != hi:
            raise MarkupError(f"dose {surface!r}: shared number disagrees with {lo}")
        return
    if unit.startswith("mg"):
        if re.search(r"(μg|µg|mcg|microgram|\bmu ?g)", low):  # "200 mu g": μ lost in conversion
            scale = 0.001
        elif re.search(r"mg|milligram", low):
            scale = 1.0
        elif re.search(r"\d\s*(g\b|g/|g$|grams?|gram|gr\b)", low) or re.search(r"\dg", low):
            scale = 1000.0
        else:
            raise MarkupError(f"dose {surface!r}: no mass unit found for {unit}")
    elif unit.startswith("mL") and re.search(r"\d\s*(l\b|litres?|liters?)", low) and "ml" not in low:
        scale = 1000.0  # "1 litre saline enema" → 1000 mL
    else:
        scale = 1.0
    nums = [x * scale for x in _numbers(s)]
    # a European thousands point ("erythropoietin 10.000 IU") may be read either way
    nums += [float(t.replace(".", "")) * scale for t in re.findall(r"\d{1,3}(?:\.\d{3})+(?!\d)", s)]
    for want in (lo, hi):
        if not any(math.isclose(want, x, rel_tol=1e-9, abs_tol=1e-9) for x in nums):
            raise MarkupError(f"dose {surface!r}: {want} not found in surface numbers {nums}")
    checks = {
        "/day": r"(/\s*日|/\s*day|per day|a day|daily|1\s*日|/d\b)",
        "/kg": r"(kg|/\s*body weight)",
        "/m2": r"(m2|m²|square met)",
        "/month": r"(/\s*月|/\s*month|per month)",
        "/week": r"(/\s*週|/\s*week|/\s*w\b|per week|weekly)",
        "/h": r"(/\s*h\b|/\s*hour|per hour|/\s*時)",
        "/min": r"(/\s*min)",
    }
    for part, pat in checks.items():
        has_unit = part in unit
        has_text = re.search(pat, low) is not None
        if has_unit != has_text:
            raise MarkupError(
                f"dose {surface!r}: unit {unit!r} and surface disagree about {part!r}"
            )


def _parse_size(surface, kv, bare, text):
    # [[185 例|size|arm;arm=mycophenolate mofetil]]; n inferred from digits
    _no_extra("trial_size", kv, bare, ("n", "scope", "arm"), 1)
    scope = kv.get("scope") or (bare[0] if bare else None)
    if scope not in SCOPES:
        raise MarkupError(f"trial_size {surface!r}: scope must be one of {SCOPES}, got {scope!r}")
    digits = re.findall(r"\d+", _norm(surface))
    if "n" in kv:
        n = kv["n"]
        if not re.fullmatch(r"\d+", n):
            raise MarkupError(f"trial_size {surface!r}: n must be an integer")
        n = int(n)
        if digits and int(digits[0]) != n:
            raise MarkupError(f"trial_size {surface!r}: n={n} disagrees with surface")
        if not digits:
            words = re.findall(r"[a-z]+", surface.lower())
            total = sum(WORD_NUMBERS.get(w, 0) for w in words)
            if total != n:
                raise MarkupError(f"trial_size {surface!r}: n={n} disagrees with words")
    else:
        if len(digits) != 1:
            raise MarkupError(f"trial_size {surface!r}: give n= explicitly")
        n = int(digits[0])
    if n <= 0:
        raise MarkupError(f"trial_size {surface!r}: n must be positive")
    out = {"n": n, "scope": scope}
    if "arm" in kv:
        out["arm"] = kv["arm"]
    return out, {}


def _parse_rr(surface, kv, bare, text):
    # [[56.2%|rr|104/185;outcome=完全寛解;arm=...]]; percent from the surface
    _no_extra("response_rate", kv, bare, ("percent", "num", "den", "outcome", "arm"), 2)
    percent = _num(kv["percent"]) if "percent" in kv else None
    num = int(kv["num"]) if "num" in kv else None
    den = int(kv["den"]) if "den" in kv else None
    for b in bare:
        m = re.fullmatch(r"(\d+)/(\d+)", b)
        if m:
            num, den = int(m.group(1)), int(m.group(2))
        elif re.fullmatch(NUM, b):
            percent = float(b)
        else:
            raise MarkupError(f"response_rate {surface!r}: bad bare item {b!r}")
    s = _norm(surface)
    m = re.search(rf"({NUM})\s*%", s)
    if m:
        written = float(m.group(1))
        if percent is None:
            percent = written
        elif not math.isclose(percent, written):
            raise MarkupError(f"response_rate {surface!r}: percent {percent} != written {written}")
    if (num is None) != (den is None):
        raise MarkupError(f"response_rate {surface!r}: numerator and denominator go together")
    if num is not None:
        if den <= 0 or num > den:
            raise MarkupError(f"response_rate {surface!r}: bad pair {num}/{den}")
        computed = round(100.0 * num / den + 1e-9, 1)
        if percent is None:
            percent = computed
        elif abs(percent - computed) > 1.0:
            raise MarkupError(f"response_rate {surface!r}: {percent}% vs {num}/{den}")
        # a bare count pair: both numbers in the surface; a table cell "63.6" whose pair
        # "(7/11)" follows it gives its percent, which is then the surface's number
        table_cell = "percent" in kv and _numbers(s) == [percent]
        if not m and not table_cell:
            if _numbers(s)[:2] != [float(num), float(den)]:
                raise MarkupError(f"response_rate {surface!r}: pair not in surface")
    if percent is None:
        raise MarkupError(f"response_rate {surface!r}: no percent")
    if not 0 <= percent <= 100:
        raise MarkupError(f"response_rate {surface!r}: percent out of range")
    outcome = kv.get("outcome")
    if not outcome:
        raise MarkupError(f"response_rate {surface!r}: missing outcome")
    if outcome not in text:
        raise MarkupError(f"response_rate {surface!r}: outcome {outcome!r} not in the text")
    out = {"percent": float(percent)}
    if num is not None:
        out["numerator"] = num
        out["denominator"] = den
    out["outcome"] = outcome
    if "arm" in kv:
        out["arm"] = kv["arm"]
    return out, {}


def _parse_p(surface, kv, bare, text):
    # [[P＝0.003|p|=0.003]]  [[p_0.04|p|?0.04]]  [[p < 1 × 10−4|p|<0.0001]]
    _no_extra("p_value", kv, bare, ("operator", "value"), 1)
    op = kv.get("operator")
    val = kv.get("value")
    if bare:
        m = re.fullmatch(r"(<=|>=|=|<|>|\?)\s*([0-9.eE+-]+)", bare[0])
        if not m:
            raise MarkupError(f"p_value {surface!r}: bad shorthand {bare[0]!r}")
        op, val = m.group(1), m.group(2)
    if op not in OPERATORS or val is None:
        raise MarkupError(f"p_value {surface!r}: needs operator in {OPERATORS} and value")
    value = _num(val)
    if not 0 <= value <= 1:
        raise MarkupError(f"p_value {surface!r}: value out of [0, 1]")
    # consistency with the surface
    s = _norm(surface).replace("≤", "<=").replace("≥", ">=")
    sci = re.search(rf"({NUM})\s*[×x]\s*10\s*\^?\s*(-\s*\d+)", s)
    if sci:
        written = float(sci.group(1)) * 10 ** int(sci.group(2).replace(" ", ""))
    else:
        m = re.search(r"(\d*\.\d+|\d+)\s*$", s)
        if not m:
            raise MarkupError(f"p_value {surface!r}: no number at the end of the span")
        written = float(m.group(1))
    if not math.isclose(written, value, rel_tol=1e-9):
        raise MarkupError(f"p_value {surface!r}: value {value} != written {written}")
    found = re.search(r"(<=|>=|<|>|=)(?!.*[<>=])", s)  # the last operator ("P = <0.01")
    if found and found.group(1) != op:
        raise MarkupError(f"p_value {surface!r}: operator {op!r} != written {found.group(1)!r}")
    if not found and op not in ("=", "?"):
        raise MarkupError(f"p_value {surface!r}: operator {op!r} not written")
    return {"operator": op, "value": float(value)}, {}


def _parse_ignore(surface, kv, bare, text):
    _no_extra("ignore", kv, bare, ("kind",), 1)
    kind = kv.get("kind") or (bare[0] if bare else None)
    if kind not in ("drug", "p_value"):
        raise MarkupError(f"ignore {surface!r}: kind must be drug or p_value, got {kind!r}")
    return {"kind": kind}, {}


PARSERS = {
    "drug": _parse_drug,
    "dose": _parse_dose,
    "trial_size": _parse_size,
    "response_rate": _parse_rr,
    "p_value": _parse_p,
    "ignore": _parse_ignore,
}


def build_doc(doc_id: str, lang: str, src: str) -> dict:
    text, raw = _strip_markup(doc_id, src)
    if text != text.strip():
        raise MarkupError("document text has leading or trailing whitespace")
    if not text:
        raise MarkupError("empty document")
    mentions = {k: [] for k in (*KINDS, "ignore")}
    for start, end, tail in raw:
        kind_s, _, attrs_s = tail.partition("|")
        kind = ALIASES.get(kind_s.strip())
        if kind is None:
            raise MarkupError(f"unknown kind {kind_s!r}")
        surface = text[start:end]
        if not surface:
            raise MarkupError(f"empty {kind} span at {start}")
        if surface != surface.strip():
            raise MarkupError(f"{kind} span {surface!r} has surrounding whitespace")
        if "\n" in surface:
            raise MarkupError(f"{kind} span {surface!r} crosses a line break")
        kv, bare = _attrs(attrs_s)
        try:
            fields, extra = PARSERS[kind](surface, kv, bare, text)
        except MarkupError as e:
            raise MarkupError(f"{e} [span {start}-{end}]") from None
        mentions[kind].append(({"start": start, "end": end, **fields}, extra))
    for kind, items in mentions.items():
        items.sort(key=lambda it: (it[0]["start"], it[0]["end"]))
        seen = set()
        for m, _ in items:
            key = (m["start"], m["end"])
            if key in seen:
                raise MarkupError(f"two {kind} mentions with the same span {key}")
            seen.add(key)
    # drug names left out: taken from a named mention with the same surface
    drugs = mentions["drug"]
    named: dict[str, str] = {}
    for m, _ in drugs:
        surf = text[m["start"] : m["end"]]
        if m["name"] is not None:
            for key in (surf, surf.lower()):
                if named.setdefault(key, m["name"]) != m["name"]:
                    raise MarkupError(f"drug {surf!r} named both {named[key]!r} and {m['name']!r}")
    for m, _ in drugs:
        if m["name"] is None:
            surf = text[m["start"] : m["end"]]
            name = named.get(surf) or named.get(surf.lower())
            if name is None:
                raise MarkupError(f"drug {surf!r} at {m['start']}: missing name")
            m["name"] = name
    resolve_dose_drugs(drugs, mentions["dose"])
    rec = {"id": doc_id, "lang": lang, "text": text}
    for kind in (*KINDS, "ignore"):
        rec[kind] = [m for m, _ in mentions[kind]]
    return rec


def resolve_dose_drugs(drugs: list, doses: list) -> None:
    """Set each dose's ``drug`` (an index into ``drugs``) from its reference: ``^`` the nearest
    drug before it, ``>`` the nearest after it, ``@N`` the drug mention starting at offset N,
    else a drug's ``id=`` label.  ``drugs`` and ``doses`` are (mention, extra) pairs sorted by start."""
    by_label = {}
    for idx, (_, extra) in enumerate(drugs):
        if extra.get("id"):
            if extra["id"] in by_label:
                raise MarkupError(f"drug label {extra['id']!r} used twice")
            by_label[extra["id"]] = idx
    for m, extra in doses:
        ref = extra.get("drug")
        if ref is None:
            continue
        if ref == "^":
            prev = [i for i, (d, _) in enumerate(drugs) if d["start"] < m["start"]]
            if not prev:
                raise MarkupError(f"dose at {m['start']}: no drug before it")
            m["drug"] = prev[-1]
        elif ref == ">":
            nxt = [i for i, (d, _) in enumerate(drugs) if d["start"] > m["start"]]
            if not nxt:
                raise MarkupError(f"dose at {m['start']}: no drug after it")
            m["drug"] = nxt[0]
        elif ref.startswith("@") and ref[1:].isdigit():  # the drug mention starting at that offset
            at = [i for i, (d, _) in enumerate(drugs) if d["start"] == int(ref[1:])]
            if not at:
                raise MarkupError(f"dose at {m['start']}: no drug mention starts at {ref[1:]}")
            m["drug"] = at[0]
        elif ref in by_label:
            m["drug"] = by_label[ref]
        else:
            raise MarkupError(f"dose at {m['start']}: unknown drug reference {ref!r}")


def split_docs(path: Path, lang: str):
    """Yield (doc_id, source text).  Lines before the first header are a preamble."""
    cur_id, lines, docs = None, [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = HEADER_RE.match(line)
        if m:
            if cur_id is not None:
                docs.append((cur_id, lines))
            cur_id, lines = m.group(1), []
            if not ID_RE.match(cur_id) or not cur_id.startswith(lang + "-"):
                raise MarkupError(f"{path.name}: bad document id {cur_id!r}")
        elif line.startswith("###"):
            raise MarkupError(f"{path.name}: malformed header {line!r}")
        elif cur_id is not None:
            lines.append(line.rstrip("\r"))
    if cur_id is not None:
        docs.append((cur_id, lines))
    for doc_id, ls in docs:
        while ls and not ls[0].strip():
            ls.pop(0)
        while ls and not ls[-1].strip():
            ls.pop()
        yield doc_id, "\n".join(ls)


def build_lang(lang: str, src_dir: Path = SOURCE_DIR) -> list[dict]:
    records, ids = [], set()
    for doc_id, src in split_docs(src_dir / f"{lang}.md", lang):
        if doc_id in ids:
            raise MarkupError(f"{doc_id}: duplicate document id")
        ids.add(doc_id)
        try:
            records.append(build_doc(doc_id, lang, src))
        except MarkupError as e:
            raise MarkupError(f"{doc_id}: {e}") from None
    return records


def dump(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def show(rec: dict) -> str:
    lines = [f"### {rec['id']}", rec["text"], ""]
    for kind in (*KINDS, "ignore"):
        for m in rec[kind]:
            extra = {k: v for k, v in m.items() if k not in ("start", "end")}
            lines.append(f"  {kind:13} {rec['text'][m['start']:m['end']]!r:34} {extra}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--src-dir", type=Path, default=SOURCE_DIR, help="where ja.md and en.md are")
    ap.add_argument("--show", metavar="ID", help="print one document with its spans")
    args = ap.parse_args(argv)
    try:
        built = {lang: build_lang(lang, args.src_dir) for lang in LANGS}
    except (MarkupError, OSError) as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    if args.show:
        for recs in built.values():
            for r in recs:
                if r["id"] == args.show or args.show == "all":
                    print(show(r))
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for lang, recs in built.items():
        (args.out_dir / f"{lang}.jsonl").write_text(dump(recs), encoding="utf-8")
        counts = {k: sum(len(r[k]) for r in recs) for k in (*KINDS, "ignore")}
        print(f"{lang}: {len(recs)} docs, " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
