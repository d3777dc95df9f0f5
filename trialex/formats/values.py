"""A span's values as one line of text, as Label Studio shows them and curators edit them.

Label Studio shows (and lets the curator edit) a span's values in a per-region TextArea:
"name: mycophenolate mofetil", "min: 500; max: 1000; unit: mg/m2/month", "operator: <; value: 0.001"
("key=value" is read too).  A bare value is the kind's main value ("cyclophosphamide", "370",
"56.2", "< 0.001", "3000 mg/day").
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from collections.abc import Callable, Iterable

from trialex.pipelines.numbers import parse_number

from .records import INT_FIELDS, VALUE_FIELDS, result_to_spans

_FLOAT_FIELDS = {"min", "max", "percent", "value"}
_BOOL_FIELDS = {"class", "threshold"}

_NUM = r"[-+]?\d+(?:[.,·]\d+)*"


def format_values(span: dict) -> str:
    parts = []
    for k in VALUE_FIELDS[span["kind"]]:
        v = span.get(k)
        if v is None or v is False or k == "drug_span":
            continue
        if isinstance(v, bool):
            v = "true"
        elif isinstance(v, float) and v.is_integer() and k not in ("percent", "value"):
            v = int(v)
        parts.append(f"{k}: {v}")
    return "; ".join(parts)


_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:\s*(?:[eE]|[x×]\s*10\^?)\s*[-+]?\d+)?")


def to_number(raw: Any) -> float | None:
    """A number as a curator types it ("3,000", "0·003", "１２", "−2", "1.2 x 10^-5", "1e-4"); None if
    it is none.  Read by pipelines.numbers.parse_number once its notation is checked here."""
    s = unicodedata.normalize("NFKC", str(raw)).strip().replace("−", "-").replace("–", "-")
    if not _NUMBER.fullmatch(s.replace("·", ".").replace(",", "")):
        return None
    return parse_number(re.sub(r"\s+", "", s))


def _coerce(key: str, raw: Any) -> Any:
    if raw is None:
        return None
    if key in _BOOL_FIELDS:
        return str(raw).strip().lower() in ("1", "true", "yes", "y", "on")
    if key in INT_FIELDS:
        n = to_number(raw)
        return int(round(n)) if n is not None else None
    if key in _FLOAT_FIELDS:
        n = to_number(raw)
        return float(n) if n is not None else None
    s = str(raw).strip()
    return s or None


_OPS = {"=": "=", "＝": "=", "<": "<", "＜": "<", ">": ">", "＞": ">", "≤": "<=", "<=": "<=",
        "≦": "<=", "≥": ">=", ">=": ">=", "≧": ">=", "?": "?", "_": "?"}


def _parse_p(s: str) -> dict:
    t = unicodedata.normalize("NFKC", s).strip().replace("·", ".").replace("・", ".")
    m = re.search(r"(<=|>=|[=<>≤≥≦≧?_])?\s*(\d*\.?\d+(?:\s*(?:[x×]\s*10\^?|[eE])\s*[-−]?\d+)?)", t)
    if not m:
        return {}
    value = to_number(m.group(2).replace("−", "-"))
    return {"operator": _OPS.get(m.group(1) or "=", "?"), "value": value}


def _parse_bare(kind: str, s: str) -> dict:
    t = unicodedata.normalize("NFKC", s).strip()
    if kind == "drug":
        return {"name": s.strip().lower()}
    if kind == "trial_size":
        m = re.search(r"\d[\d,]*", t)
        return {"n": int(m.group().replace(",", ""))} if m else {}
    if kind == "response_rate":
        m = re.search(r"(\d+)\s*(?:of|/|例中|人中|名中)\s*(\d+)", t)
        pct = re.search(r"(\d+(?:\.\d+)?)\s*%", t)
        out: dict = {}
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if "例中" in t or "人中" in t or "名中" in t:
                a, b = b, a
            if b:
                out.update(numerator=a, denominator=b, percent=round(100 * a / b, 1))
        if pct:
            out["percent"] = float(pct.group(1))
        elif not out:
            n = to_number(t.rstrip("%").strip())
            if n is not None:
                out["percent"] = float(n)
        return out
    if kind == "p_value":
        return _parse_p(t)
    if kind == "dose":
        m = re.search(rf"({_NUM})\s*(?:-|~|～|to|–)?\s*({_NUM})?\s*([A-Za-zμµ/0-9]+(?:/[A-Za-z0-9]+)*)?", t)
        if not m:
            return {}
        lo = to_number(m.group(1))
        hi = to_number(m.group(2)) if m.group(2) else lo
        out = {"min": lo, "max": hi}
        if m.group(3):
            out["unit"] = m.group(3)
        return out
    return {}


_KV = re.compile(r"^\s*([A-Za-z_][A-Za-z_ ]*?)\s*[:=]\s*(.*?)\s*$", re.S)
_KNOWN = {k for fields in VALUE_FIELDS.values() for k in fields} | {"ignore"}


def parse_values(kind: str, s: str | None) -> dict:
    """Values typed by a curator: "key: value; key: value" (or key=value, or a JSON object);
    a part that is no known key is read as the kind's main value ("cyclophosphamide", "370",
    "56.2%", "< 0.001", "3000 mg/day")."""
    if s is None:
        return {}
    s = s.strip()
    if not s:
        return {}
    if s.startswith("{"):
        try:
            obj = json.loads(s)
            if isinstance(obj, dict):
                return {k: _coerce(k, v) if k in _KNOWN else v for k, v in obj.items() if v is not None}
        except ValueError:
            pass
    out: dict = {}
    bare: list[str] = []
    for part in re.split(r"[;\n]", s):
        if not part.strip():
            continue
        m = _KV.match(part)
        key = m.group(1).strip().lower().replace(" ", "_") if m else None
        if m and key in _KNOWN:
            value = _coerce(key, m.group(2))
            if value is not None:
                out[key] = value
        else:
            bare.append(part)
    if bare:
        for k, v in _parse_bare(kind, "; ".join(bare)).items():
            if v is not None:
                out.setdefault(k, v)
    if kind == "dose" and "unit" in out:
        out["unit"] = str(out["unit"]).replace(" ", "")
    return out


def derive_values(kind: str, span_text: str, start: int, end: int,
                  candidates: Iterable[dict] = (),
                  extract: Callable[[str], dict] | None = None) -> dict:
    """Values for a span a curator drew without typing any: the values of an overlapping
    pre-annotated span of the same kind, else what the extractor finds in the span text alone,
    else a plain reading of the span text (numbers, operator, percentage)."""
    best, best_overlap = None, 0
    for c in candidates:
        if c["kind"] != kind:
            continue
        overlap = min(end, c["end"]) - max(start, c["start"])
        if overlap > best_overlap:
            best, best_overlap = c, overlap
    if best is not None:
        return {k: v for k, v in best.items() if k in VALUE_FIELDS[kind] and v is not None}
    if extract is not None and span_text.strip():
        try:
            res = extract(span_text)
        except Exception:  # the fallback must never lose a curator's span
            res = {}
        found = result_to_spans(res) if res else []
        same = [s for s in found if s["kind"] == kind]
        if same:
            top = max(same, key=lambda s: s["end"] - s["start"])
            return {k: v for k, v in top.items() if k in VALUE_FIELDS[kind] and v is not None}
    values = _parse_bare(kind, span_text)
    if kind == "dose":  # a bare reading cannot normalise units: keep it only if it looks normalised
        if not re.fullmatch(r"(mg|IU|U|mL|mmol)(/kg|/m2)?(/day|/week|/month|/h|/min)?", str(values.get("unit", ""))):
            values.pop("unit", None)
    return {k: v for k, v in values.items() if v is not None}
