"""Formats of curated or extracted documents: Label Studio, Prodigy, doccano, the spec's gold, spaCy.

Everything here works on one in-memory shape, the *record*::

    {"id": "ja-001", "lang": "ja", "text": "...",
     "spans": [{"kind": "drug", "start": 3, "end": 6, "text": "MMF", "name": "mycophenolate mofetil"},
               {"kind": "dose", "start": 9, "end": 20, "min": 3000, "max": 3000, "unit": "mg/day"}, ...]}

``start``/``end`` are Python code-point offsets into ``text``; the values are the spec's gold values
(a dose carries the *normalised* ``min``/``max``/``unit``, as the gold does).  Records are built
from an extractor result (:func:`result_to_record`), a gold line (:func:`gold_to_record`) or the
curation store, and written by the ``to_*`` functions.

Offsets: Python counts code points; JavaScript (and so Label Studio's front end) counts UTF-16
code units, in which a character outside the Basic Multilingual Plane (𠮟, 😀) counts two.
:func:`cp_to_utf16` and :func:`utf16_to_cp` convert; every writer takes ``offsets="codepoint"``
(default) or ``"utf16"``.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from trialex.pipelines.kinds import ALL_KINDS as KINDS, OUTPUT_KEYS as RESULT_KEYS, REGISTRY

GOLD_KEYS = ["id", "lang", "text", *KINDS, "ignore"]
# Label names: Label Studio (the shipped config) and the training formats.
LS_LABELS = {k: v.ls_label for k, v in REGISTRY.items()}
TRAIN_LABELS = {k: v.train_label for k, v in REGISTRY.items()}
OFFSETS = ("codepoint", "utf16")
FORMATS = ("label-studio", "prodigy", "doccano", "gold", "spacy")

# The values of each kind (in the order they are written), the fields the gold keeps, and the
# values without which a span cannot be scored (such spans go to the gold file's "ignore").
VALUE_FIELDS = {k: v.value_fields for k, v in REGISTRY.items()}
GOLD_FIELDS = {k: v.gold_fields for k, v in REGISTRY.items()}
REQUIRED = {k: v.required for k, v in REGISTRY.items()}
_INT_FIELDS = {"n", "numerator", "denominator"}
_FLOAT_FIELDS = {"min", "max", "percent", "value"}
_BOOL_FIELDS = {"class", "threshold"}


# --------------------------------------------------------------------------- offsets

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class OffsetMap:
    """Code-point ↔ UTF-16 offsets of one text (identity when the text has no astral character)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.astral = [m.start() for m in _ASTRAL.finditer(text)]  # code-point positions
        # UTF-16 position of each astral character (its high surrogate)
        self.astral16 = [p + i for i, p in enumerate(self.astral)]

    def to_utf16(self, cp: int) -> int:
        return cp + bisect.bisect_left(self.astral, cp)

    def to_cp(self, u16: int, *, end: bool = False) -> int:
        """A UTF-16 offset back to code points; one inside a surrogate pair snaps outwards
        (down for a start, up for an end) so the span still covers the whole character."""
        k = bisect.bisect_left(self.astral16, u16)
        if k > 0 and self.astral16[k - 1] + 1 == u16:  # between the two halves of a pair
            return self.astral[k - 1] + (1 if end else 0)
        return u16 - k

    def span_to_utf16(self, start: int, end: int) -> tuple[int, int]:
        return self.to_utf16(start), self.to_utf16(end)

    def span_to_cp(self, start: int, end: int) -> tuple[int, int]:
        return self.to_cp(start), self.to_cp(end, end=True)


def cp_to_utf16(text: str, start: int, end: int) -> tuple[int, int]:
    return OffsetMap(text).span_to_utf16(start, end)


def utf16_to_cp(text: str, start: int, end: int) -> tuple[int, int]:
    return OffsetMap(text).span_to_cp(start, end)


def utf16_len(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text))


def js_slice(text: str, start: int, end: int) -> str:
    """``text.slice(start, end)`` as JavaScript (and Label Studio) computes it."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="replace")


def _check_offsets(offsets: str) -> None:
    if offsets not in OFFSETS:
        raise ValueError(f"offsets must be one of {OFFSETS}, not {offsets!r}")


# --------------------------------------------------------------------------- records

def result_to_spans(result: dict) -> list[dict]:
    """The mentions of an extractor result (the API's JSON) as flat spans with gold values."""
    spans: list[dict] = []
    drugs = result.get("drugs") or []
    for kind in KINDS:
        for m in result.get(RESULT_KEYS[kind]) or []:
            span = {"kind": kind, "start": m["start"], "end": m["end"], "text": m.get("text")}
            if kind == "dose":
                norm = m.get("normalized") or {}
                span.update(min=norm.get("min", m.get("min")), max=norm.get("max", m.get("max")),
                            unit=norm.get("unit", m.get("unit")))
                if m.get("unit") and m.get("unit") != span["unit"]:
                    span["written_unit"] = m["unit"]
                for k in ("frequency", "route"):
                    if m.get(k):
                        span[k] = m[k]
                idx = m.get("drug")
                if isinstance(idx, int) and 0 <= idx < len(drugs):
                    span["drug_span"] = [drugs[idx]["start"], drugs[idx]["end"]]
            else:
                for k in VALUE_FIELDS[kind]:
                    if m.get(k) is not None:
                        span[k] = m[k]
            spans.append(span)
    return spans


def result_to_record(result: dict, text: str) -> dict:
    return {"id": result.get("id"), "lang": result.get("lang"), "text": text,
            "spans": result_to_spans(result),
            "model_version": (result.get("meta") or {}).get("model_version")}


def gold_to_record(gold: dict) -> dict:
    """A gold line (the spec's format) as a record; ``ignore`` spans become class/threshold spans."""
    spans: list[dict] = []
    drugs = gold.get("drug") or []
    for kind in KINDS:
        for m in gold.get(kind) or []:
            span = {"kind": kind, "start": m["start"], "end": m["end"],
                    "text": gold["text"][m["start"]:m["end"]]}
            for k, v in m.items():
                if k in ("start", "end", "drug"):
                    continue
                span[k] = v
            if kind == "dose" and isinstance(m.get("drug"), int) and 0 <= m["drug"] < len(drugs):
                span["drug_span"] = [drugs[m["drug"]]["start"], drugs[m["drug"]]["end"]]
            spans.append(span)
    for ig in gold.get("ignore") or []:
        kind = ig.get("kind")
        if kind not in KINDS:
            continue
        span = {"kind": kind, "start": ig["start"], "end": ig["end"],
                "text": gold["text"][ig["start"]:ig["end"]]}
        if kind == "drug":
            span["class"] = True
        elif kind == "p_value":
            span["threshold"] = True
        else:
            span["ignore"] = True
        spans.append(span)
    return {"id": gold.get("id"), "lang": gold.get("lang"), "text": gold["text"], "spans": sort_spans(spans)}


def sort_spans(spans: Iterable[dict]) -> list[dict]:
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(spans, key=lambda s: (s["start"], s["end"], order.get(s["kind"], 9)))


def is_ignored(span: dict) -> bool:
    """Class drugs, threshold p values and spans marked ``ignore``: neither rewarded nor punished."""
    return bool(span.get("class") or span.get("threshold") or span.get("ignore"))


def missing_values(span: dict) -> list[str]:
    return [k for k in REQUIRED[span["kind"]] if span.get(k) in (None, "")]


# --------------------------------------------------------------------------- values as text
# Label Studio shows (and lets the curator edit) a span's values as one line of text in a
# per-region TextArea: "name: mycophenolate mofetil", "min: 500; max: 1000; unit: mg/m2/month",
# "operator: <; value: 0.001" ("key=value" is read too).  A bare value is the kind's main value
# ("cyclophosphamide", "370", "56.2", "< 0.001", "3000 mg/day").

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


def _to_number(raw: str) -> float | None:
    s = unicodedata.normalize("NFKC", str(raw)).strip().replace("·", ".").replace(",", "")
    s = s.replace("−", "-").replace("–", "-")
    m = re.fullmatch(r"[-+]?(\d+(?:\.\d*)?|\.\d+)(?:\s*(?:[eE]|[x×]\s*10\^?)\s*([-+]?\d+))?", s)
    if not m:
        return None
    try:
        if m.group(2) is not None:
            base = s[:m.start(2)]
            base = re.sub(r"\s*(?:[eE]|[x×]\s*10\^?)\s*$", "", base)
            return float(base) * 10 ** int(m.group(2))
        return float(s)
    except ValueError:
        return None


def _coerce(key: str, raw: Any) -> Any:
    if raw is None:
        return None
    if key in _BOOL_FIELDS:
        return str(raw).strip().lower() in ("1", "true", "yes", "y", "on")
    if key in _INT_FIELDS:
        n = _to_number(raw)
        return int(round(n)) if n is not None else None
    if key in _FLOAT_FIELDS:
        n = _to_number(raw)
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
    value = _to_number(m.group(2).replace("−", "-"))
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
            n = _to_number(t.rstrip("%").strip())
            if n is not None:
                out["percent"] = float(n)
        return out
    if kind == "p_value":
        return _parse_p(t)
    if kind == "dose":
        m = re.search(rf"({_NUM})\s*(?:-|~|～|to|–)?\s*({_NUM})?\s*([A-Za-zμµ/0-9]+(?:/[A-Za-z0-9]+)*)?", t)
        if not m:
            return {}
        lo = _to_number(m.group(1))
        hi = _to_number(m.group(2)) if m.group(2) else lo
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


# --------------------------------------------------------------------------- Label Studio config

_ALIASES = {
    "drug": {"drug", "drugs", "medication", "medicine", "agent", "薬剤", "薬", "薬物", "医薬品", "薬剤名"},
    "dose": {"dose", "doses", "dosage", "dosing", "用量", "投与量", "用量用法"},
    "trial_size": {"trialsize", "trialsizes", "samplesize", "size", "n", "participants", "patients",
                   "症例数", "例数", "被験者数", "対象数", "試験規模"},
    "response_rate": {"responserate", "responserates", "response", "responses", "rate", "奏効率",
                      "反応率", "寛解率", "有効率", "奏功率"},
    "p_value": {"pvalue", "pvalues", "p", "pval", "pvals", "p値", "ｐ値", "significance"},
    "effect": {"effect", "effects", "effectestimate", "effectsize", "estimate", "効果", "効果指標",
               "ハザード比", "オッズ比"},
}


def _norm_label(label: str) -> str:
    s = unicodedata.normalize("NFKC", str(label)).lower()
    return re.sub(r"[\s_\-./:()（）・]+", "", s)


def label_to_kind(label: str) -> str | None:
    """Map a label value to a kind: "Drug", "Trial size", "trial_size", "P-value", "症例数", ..."""
    key = _norm_label(label)
    for kind in KINDS:
        if key == kind.replace("_", "") or key in _ALIASES[kind]:
            return kind
    return None


@dataclass
class LabelConfig:
    """What the ML backend needs from a project's labelling config."""

    from_name: str = "label"
    to_name: str = "text"
    data_key: str = "text"
    labels: dict[str, str] = field(default_factory=lambda: dict(LS_LABELS))  # kind -> label value
    textarea: str | None = "values"  # a per-region TextArea for the values, if the config has one
    unmapped: list[str] = field(default_factory=list)

    def kind_of(self, label: str) -> str | None:
        for kind, value in self.labels.items():
            if value == label:
                return kind
        return label_to_kind(label)


class LabelConfigError(ValueError):
    pass


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_label_config(xml: str | None) -> LabelConfig:
    """Read the <Labels name toName> tag (and its <Label value> children) that labels a Text;
    the Text's ``value="$key"`` gives the task data key; a ``perRegion`` TextArea on the same
    Text, if any, receives the values.  Raises LabelConfigError when no label maps to a kind."""
    if xml is not None and not isinstance(xml, str):
        raise LabelConfigError("the label config must be a string of XML")
    if not xml or not xml.strip():
        return LabelConfig()
    try:
        root = ET.fromstring(xml.strip())
    except ET.ParseError as exc:
        raise LabelConfigError(f"label config is not valid XML: {exc}") from None
    elements = list(root.iter())
    texts = {el.get("name"): el for el in elements if _strip_ns(el.tag) in ("Text", "HyperText", "Paragraphs")}
    best: LabelConfig | None = None
    for el in elements:
        if _strip_ns(el.tag) not in ("Labels", "HyperTextLabels", "ParagraphLabels"):
            continue
        to_name = (el.get("toName") or "").split(",")[0].strip()
        labels: dict[str, str] = {}
        unmapped = []
        for child in el.iter():
            if _strip_ns(child.tag) != "Label" or child.get("value") is None:
                continue
            value = child.get("value")
            kind = label_to_kind(child.get("alias") or "") or label_to_kind(value)
            if kind and kind not in labels:
                labels[kind] = value
            elif not kind:
                unmapped.append(value)
        if not labels:
            continue
        text_el = texts.get(to_name)
        data_key = "text"
        if text_el is not None and (text_el.get("value") or "").startswith("$"):
            data_key = text_el.get("value")[1:]
        textarea = None
        for ta in elements:
            if (_strip_ns(ta.tag) == "TextArea" and ta.get("toName", "").split(",")[0].strip() == to_name
                    and (ta.get("perRegion") or "").lower() == "true"):
                textarea = ta.get("name")
                break
        cfg = LabelConfig(from_name=el.get("name") or "label", to_name=to_name, data_key=data_key,
                          labels=labels, textarea=textarea, unmapped=unmapped)
        if best is None or len(cfg.labels) > len(best.labels):
            best = cfg
    if best is None:
        raise LabelConfigError(
            "the label config has no <Labels> tag whose <Label value=...> names one of the five kinds "
            "(Drug, Dose, TrialSize, ResponseRate, PValue); see models/label_studio/config.xml")
    return best


# --------------------------------------------------------------------------- Label Studio results

def ls_result(record: dict, cfg: LabelConfig | None = None, offsets: str = "utf16") -> list[dict]:
    """The spans of a record as a Label Studio ``result`` list (labels + per-region values)."""
    _check_offsets(offsets)
    cfg = cfg or LabelConfig()
    text = record["text"]
    omap = OffsetMap(text) if offsets == "utf16" else None
    out: list[dict] = []
    counts: dict[str, int] = {}
    for span in record["spans"]:
        label = cfg.labels.get(span["kind"])
        if label is None:
            continue
        i = counts[span["kind"]] = counts.get(span["kind"], -1) + 1
        rid = f"{span['kind'].replace('_', '')}-{i}"
        s, e = span["start"], span["end"]
        if omap is not None:
            s, e = omap.span_to_utf16(s, e)
        region = {"id": rid, "from_name": cfg.from_name, "to_name": cfg.to_name, "type": "labels",
                  "value": {"start": s, "end": e, "text": text[span["start"]:span["end"]], "labels": [label]}}
        if span.get("score") is not None:
            region["score"] = span["score"]
        values = format_values(span)
        if cfg.textarea:
            out.append(region)
            if values:
                out.append({"id": rid, "from_name": cfg.textarea, "to_name": cfg.to_name, "type": "textarea",
                            "value": {"start": s, "end": e, "text": [values]}})
        else:
            if values:
                region["meta"] = {"text": [values]}
            out.append(region)
    return out


def ls_prediction(record: dict, cfg: LabelConfig | None = None, offsets: str = "utf16",
                  model_version: str | None = None) -> dict:
    result = ls_result(record, cfg, offsets)
    scores = [r["score"] for r in result if "score" in r]
    return {"result": result, "score": round(min(scores), 4) if scores else 1.0,
            "model_version": model_version or record.get("model_version") or "unknown"}


@dataclass
class ParsedAnnotation:
    spans: list[dict]
    warnings: list[str]


def parse_ls_result(result: list[dict], text: str, cfg: LabelConfig | None = None,
                    offsets: str = "utf16") -> ParsedAnnotation:
    """A Label Studio annotation ``result`` back to spans in code points, with the values a
    curator typed (per-region TextArea or region meta).  Values still missing are filled by the
    caller (derive_values).  A region whose ``text`` does not match its offsets read as UTF-16
    is tried as code points before it is reported."""
    _check_offsets(offsets)
    cfg = cfg or LabelConfig()
    omap = OffsetMap(text)
    items = [x for x in result if isinstance(x, dict) and isinstance(x.get("value"), dict)] \
        if isinstance(result, list) else []
    typed: dict[str, str] = {}
    for item in items:
        if item.get("type") == "textarea" and item.get("id") is not None:
            value = (item.get("value") or {}).get("text")
            if isinstance(value, list):
                value = "\n".join(str(v) for v in value)
            if value:
                typed[str(item["id"])] = str(value)
    spans: list[dict] = []
    warnings: list[str] = []
    for item in items:
        value = item["value"]
        labels = value.get("labels")
        if labels is None and item.get("type") != "textarea":
            labels = value.get(str(item.get("type") or ""))
        if not isinstance(labels, list) or not labels or "start" not in value or "end" not in value:
            continue
        label = str(labels[0])
        kind = cfg.kind_of(label)
        if kind is None:
            warnings.append(f"region {item.get('id')}: label {label!r} is none of the five kinds; skipped")
            continue
        try:
            s, e = int(value["start"]), int(value["end"])
        except (TypeError, ValueError):
            warnings.append(f"region {item.get('id')}: offsets {value.get('start')!r}..{value.get('end')!r} "
                            "are not character offsets; skipped")
            continue
        if offsets == "utf16":
            cs, ce = omap.span_to_cp(s, e)
        else:
            cs, ce = s, e
        shown = value.get("text")
        if isinstance(shown, str) and text[cs:ce] != shown:
            if offsets == "utf16" and text[s:e] == shown:
                cs, ce = s, e  # a client that counted code points
            else:
                warnings.append(f"region {item.get('id')}: text {shown!r} differs from the text at its "
                                f"offsets {text[cs:ce]!r}; the offsets are kept")
        if not (0 <= cs < ce <= len(text)):
            warnings.append(f"region {item.get('id')}: offsets {s}..{e} fall outside the text; skipped")
            continue
        span = {"kind": kind, "start": cs, "end": ce, "text": text[cs:ce]}
        raw_values = typed.get(str(item.get("id")))
        if raw_values is None:
            meta = item.get("meta") or {}
            mt = meta.get("text")
            raw_values = "\n".join(mt) if isinstance(mt, list) else mt
        parsed = parse_values(kind, raw_values) if raw_values else {}
        span.update({k: v for k, v in parsed.items() if k not in ("kind", "start", "end", "text")})
        span["_typed"] = bool(parsed)
        spans.append(span)
    return ParsedAnnotation(sort_spans(spans), warnings)


# --------------------------------------------------------------------------- writers

def to_label_studio(records: Iterable[dict], offsets: str = "utf16", as_annotations: bool = False,
                    cfg: LabelConfig | None = None) -> list[dict]:
    """Label Studio tasks (import JSON): ``data`` holds text, doc_id and lang; the spans are
    ``predictions`` (or ``annotations`` for corrections moved to another project)."""
    tasks = []
    for rec in records:
        data = {"text": rec["text"], "doc_id": rec.get("id"), "lang": rec.get("lang")}
        task: dict = {"data": {k: v for k, v in data.items() if v is not None}}
        if as_annotations:
            task["annotations"] = [{"result": ls_result(rec, cfg, offsets),
                                    "ground_truth": False}]
        else:
            task["predictions"] = [ls_prediction(rec, cfg, offsets)]
        tasks.append(task)
    return tasks


_TOKEN_RE = re.compile(
    r"\s+|[A-Za-zÀ-ɏ]+|[0-9]+|[Ａ-Ｚａ-ｚ]+|[０-９]+|[\u3041-\u309F]+|[\u30A0-\u30FFｦ-ﾟ]+"
    r"|[\u3400-\u4DBF\u4E00-\u9FFF々〆\U00020000-\U0003FFFF]+|.", re.S)


def tokenize(text: str, boundaries: Iterable[int] = ()) -> list[dict]:
    """Tokens ({"text","start","end","ws"}) that never cross a boundary: runs of one script,
    digits, single symbols; whitespace is a token, except one plain space after a token (``ws``)."""
    cuts = sorted({b for b in boundaries if 0 < b < len(text)})
    raw: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(text):
        s, e = m.span()
        k = bisect.bisect_right(cuts, s)
        while k < len(cuts) and cuts[k] < e:
            raw.append((s, cuts[k]))
            s = cuts[k]
            k += 1
        raw.append((s, e))
    bset = set(boundaries)
    tokens: list[dict] = []
    for s, e in raw:
        piece = text[s:e]
        if piece == " " and tokens and not tokens[-1]["ws"] and not text[tokens[-1]["start"]:tokens[-1]["end"]].isspace() \
                and s not in bset and e not in bset:
            tokens[-1]["ws"] = True
            continue
        tokens.append({"text": piece, "start": s, "end": e, "ws": False})
    return tokens


def _train_spans(rec: dict) -> list[dict]:
    return [s for s in rec["spans"] if not is_ignored(s)]


def to_prodigy(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """Prodigy's span format: ``tokens`` (text/start/end/id/ws) and ``spans`` with
    ``token_start``/``token_end`` (inclusive) and ``label``."""
    _check_offsets(offsets)
    out = []
    for rec in records:
        text = rec["text"]
        spans = _train_spans(rec)
        tokens = tokenize(text, [b for s in spans for b in (s["start"], s["end"])])
        conv = OffsetMap(text).to_utf16 if offsets == "utf16" else (lambda x: x)
        by_start = {t["start"]: i for i, t in enumerate(tokens)}
        by_end = {t["end"]: i for i, t in enumerate(tokens)}
        ptoks = [{"text": t["text"], "start": conv(t["start"]), "end": conv(t["end"]), "id": i, "ws": t["ws"]}
                 for i, t in enumerate(tokens)]
        pspans = []
        for s in spans:
            pspans.append({"start": conv(s["start"]), "end": conv(s["end"]), "text": text[s["start"]:s["end"]],
                           "token_start": by_start[s["start"]], "token_end": by_end[s["end"]],
                           "label": TRAIN_LABELS[s["kind"]]})
        out.append({"text": text, "meta": {"id": rec.get("id"), "lang": rec.get("lang")},
                    "tokens": ptoks, "spans": pspans, "answer": "accept"})
    return out


def to_doccano(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """doccano's sequence-labelling JSONL: ``{"text", "label": [[start, end, label], ...]}``."""
    _check_offsets(offsets)
    out = []
    for rec in records:
        omap = OffsetMap(rec["text"])
        labels = []
        for s in _train_spans(rec):
            a, b = (omap.span_to_utf16(s["start"], s["end"]) if offsets == "utf16" else (s["start"], s["end"]))
            labels.append([a, b, TRAIN_LABELS[s["kind"]]])
        out.append({"id": rec.get("id"), "text": rec["text"], "label": labels})
    return out


def _clean_gold_value(kind: str, k: str, v: Any) -> Any:
    if k in ("percent", "value"):
        return float(v)
    if k in ("min", "max"):
        f = float(v)
        return int(f) if f.is_integer() else f
    if k in _INT_FIELDS:
        return int(v)
    return v


def to_gold(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """The spec's gold JSONL (the format of annotations/*.jsonl): per kind the span and its
    key values; class drugs, threshold p values and spans whose values are incomplete go to
    ``ignore`` (neither rewarded nor punished)."""
    _check_offsets(offsets)
    out = []
    for rec in records:
        text = rec["text"]
        omap = OffsetMap(text)
        conv = omap.span_to_utf16 if offsets == "utf16" else (lambda a, b: (a, b))
        gold: dict = {"id": rec.get("id"), "lang": rec.get("lang"), "text": text}
        for kind in KINDS:
            gold[kind] = []
        ignore = []
        seen: set[tuple] = set()
        spans = sort_spans(rec["spans"])
        drug_index: dict[tuple[int, int], int] = {}
        for s in spans:
            if s["kind"] == "drug" and not is_ignored(s) and not missing_values(s):
                key = (s["start"], s["end"])
                if ("drug",) + key not in seen:
                    seen.add(("drug",) + key)
                    drug_index[key] = len(drug_index)
        seen.clear()
        for s in spans:
            kind = s["kind"]
            key = (kind, s["start"], s["end"])
            if key in seen:
                continue
            seen.add(key)
            a, b = conv(s["start"], s["end"])
            if is_ignored(s) or missing_values(s):
                ignore.append({"start": a, "end": b, "kind": kind})
                continue
            m: dict = {"start": a, "end": b}
            for k in GOLD_FIELDS[kind]:
                if s.get(k) is not None:
                    m[k] = _clean_gold_value(kind, k, s[k])
            if kind == "drug":
                m["name"] = str(m["name"]).strip().lower()
            if kind == "trial_size":
                m.setdefault("scope", "total")
            if kind == "dose" and s.get("drug_span"):
                idx = drug_index.get(tuple(s["drug_span"]))
                if idx is not None:
                    m["drug"] = idx
            gold[kind].append(m)
        gold["ignore"] = sorted(ignore, key=lambda m: (m["start"], m["end"]))
        out.append({k: gold[k] for k in GOLD_KEYS})
    return out


def to_docbin(records: Iterable[dict], path=None):
    """A spaCy DocBin: one Doc per record, its tokens aligned to every span boundary, the spans
    in ``doc.spans["sc"]`` (overlaps allowed) and the longest non-overlapping ones in
    ``doc.ents``; id, lang and the values in ``doc.user_data["trialex"]``.  Code-point offsets
    only (spaCy counts code points)."""
    from spacy.tokens import Doc, DocBin
    from spacy.util import filter_spans
    from spacy.vocab import Vocab

    vocab = Vocab()
    db = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for rec in records:
        text = rec["text"]
        spans = _train_spans(rec)
        tokens = tokenize(text, [b for s in spans for b in (s["start"], s["end"])])
        doc = Doc(vocab, words=[t["text"] for t in tokens], spaces=[t["ws"] for t in tokens])
        assert doc.text == text, "tokenisation lost characters"
        sc = []
        for s in spans:
            span = doc.char_span(s["start"], s["end"], label=TRAIN_LABELS[s["kind"]], alignment_mode="strict")
            assert span is not None, (rec.get("id"), s)
            sc.append(span)
        doc.spans["sc"] = sc
        doc.ents = filter_spans(sc)
        doc.user_data["trialex"] = {
            "id": rec.get("id"), "lang": rec.get("lang"),
            "spans": [{k: v for k, v in s.items() if not k.startswith("_")} for s in spans]}
        db.add(doc)
    if path is not None:
        db.to_disk(path)
    return db


def write(records: list[dict], fmt: str, out, offsets: str | None = None) -> int:
    """Write records in one format to a path or text stream (DocBin: a path); returns the count."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if fmt == "spacy":
        if offsets == "utf16":
            raise ValueError("spaCy counts code points: --offsets utf16 does not apply to a DocBin")
        to_docbin(records, out)
        return len(records)
    if fmt == "label-studio":
        payload = json.dumps(to_label_studio(records, offsets or "utf16"), ensure_ascii=False, indent=1)
        lines = None
    else:
        writer = {"prodigy": to_prodigy, "doccano": to_doccano, "gold": to_gold}[fmt]
        lines = [json.dumps(x, ensure_ascii=False) for x in writer(records, offsets or "codepoint")]
        payload = "\n".join(lines) + ("\n" if lines else "")
    if hasattr(out, "write"):
        out.write(payload)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(payload)
    return len(records)

