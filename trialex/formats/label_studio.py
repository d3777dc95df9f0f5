"""Label Studio: the labelling config, records as tasks and predictions, annotations back to spans.

* Config — :func:`parse_label_config` reads a project's XML (which <Labels> tag, which label
  value names which kind, the task data key, the per-region TextArea for values) into a
  :class:`LabelConfig`; labels are matched tolerantly ("Trial size", "p値", "症例数").
* Out — :func:`ls_result` / :func:`ls_prediction` / :func:`to_label_studio`: regions in UTF-16
  code units (what Label Studio's JavaScript counts), each span's values as text in the TextArea
  (trialex.formats.values).
* In — :func:`parse_ls_result` turns an annotation's regions back into spans in code points with
  the values a curator typed; :func:`ingest_ls_annotation` reads a whole task + annotation
  (document key, text, values derived where none were typed) and hands the correction to the
  curation store, which only stores.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterable

from trialex.pipelines.kinds import REGISTRY

from .offsets import OffsetMap, check_offsets
from .records import KINDS, REQUIRED, record_lang, result_to_spans, sort_spans
from .values import derive_values, format_values, parse_values

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only where a payload is ingested
    from trialex.store import CurationStore

LS_LABELS = {k: v.ls_label for k, v in REGISTRY.items()}  # the label values of the shipped config

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
        unmapped: list[str] = []
        for child in el.iter():
            value = child.get("value")
            if _strip_ns(child.tag) != "Label" or value is None:
                continue
            kind = label_to_kind(child.get("alias") or "") or label_to_kind(value)
            if kind and kind not in labels:
                labels[kind] = value
            elif not kind:
                unmapped.append(value)
        if not labels:
            continue
        text_el = texts.get(to_name)
        data_key = "text"
        source = text_el.get("value") if text_el is not None else None
        if source and source.startswith("$"):
            data_key = source[1:]
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


def ls_result(record: dict, cfg: LabelConfig | None = None, offsets: str = "utf16") -> list[dict]:
    """The spans of a record as a Label Studio ``result`` list (labels + per-region values)."""
    check_offsets(offsets)
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
    check_offsets(offsets)
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


def to_label_studio(records: Iterable[dict], offsets: str = "utf16", as_annotations: bool = False,
                    cfg: LabelConfig | None = None) -> list[dict]:
    """Label Studio tasks (import JSON): ``data`` holds text, doc_id and lang (detected when the
    record has none); the spans are ``predictions`` (or ``annotations`` for corrections moved to
    another project)."""
    tasks = []
    for rec in records:
        data = {"text": rec["text"], "doc_id": rec.get("id"), "lang": record_lang(rec)}
        task: dict = {"data": {k: v for k, v in data.items() if v is not None}}
        if as_annotations:
            task["annotations"] = [{"result": ls_result(rec, cfg, offsets),
                                    "ground_truth": False}]
        else:
            task["predictions"] = [ls_prediction(rec, cfg, offsets)]
        tasks.append(task)
    return tasks


def ls_document_key(task: dict, project: Any = None) -> str:
    data = task.get("data") or {}
    for k in ("doc_id", "id"):
        if data.get(k) not in (None, ""):
            return str(data[k])
    return f"label-studio:{project if project is not None else 'project'}:{task.get('id')}"


def ingest_ls_annotation(store: CurationStore, task: dict, annotation: dict, cfg: LabelConfig, *,
                         action: str = "created", project: Any = None, offsets: str = "utf16",
                         extract: Callable[[str], dict] | None = None, model_version: str | None = None,
                         raw: Any = None) -> dict:
    """Store one Label Studio annotation of one task as a correction.

    Offsets arrive in UTF-16 code units and are stored in code points.  Values come from the
    region's TextArea/meta, else from an overlapping pre-annotated span of the same kind, else
    from the extractor run on the span text, else from reading the span text; spans still without
    their key values are stored and go to ``ignore`` on gold export.  ``extract(text)`` (an
    extractor call) is also used once to store a pre-annotation for a document that has none,
    so every correction names the model version it corrected."""
    from trialex.store import InvalidInput

    data = task.get("data") or {}
    text = data.get(cfg.data_key)
    if not isinstance(text, str):
        raise InvalidInput(f"task {task.get('id')} has no text under data[{cfg.data_key!r}]")
    key = ls_document_key(task, project)
    if len(key) > 512:
        raise InvalidInput("the document key (data.doc_id) is longer than 512 characters")
    lang = data.get("lang") if data.get("lang") in ("ja", "en") else None
    store.ensure_document(key, text, lang)
    pre = store.latest_preannotation(key)
    if pre is None and extract is not None:
        result = extract(text)
        pid = store.add_preannotation(key, text, (result.get("meta") or {}).get("model_version") or
                                      (model_version or "unknown"), result=result, lang=lang or result.get("lang"))
        pre = {"id": pid, "model_version": (result.get("meta") or {}).get("model_version") or model_version,
               "spans": result_to_spans(result)}
    try:  # numbers a client can send that no float holds: region offsets or values such as 1e999
        parsed = parse_ls_result(annotation.get("result") or [], text, cfg, offsets)
        candidates = pre["spans"] if pre else []
        filled = 0
        for s in parsed.spans:
            if not s.pop("_typed", False) or any(s.get(k) is None for k in REQUIRED[s["kind"]]):
                derived = derive_values(s["kind"], s["text"], s["start"], s["end"], candidates, extract)
                for k, v in derived.items():
                    s.setdefault(k, v)
                filled += 1
    except OverflowError as exc:
        raise InvalidInput(f"annotation {annotation.get('id')}: a number in its result (a region offset or a "
                           f"value such as 1e999) is out of range ({exc})") from None
    annotator = annotation.get("completed_by")
    if isinstance(annotator, dict):
        annotator = annotator.get("email") or annotator.get("id")
    cancelled = bool(annotation.get("was_cancelled"))
    row = store.add_correction(
        key, text, None if cancelled else parsed.spans, source="label-studio",
        external_id=str(annotation.get("id") if annotation.get("id") is not None else f"task-{task.get('id')}")[:256],
        action="cancelled" if cancelled else action,
        model_version=pre["model_version"] if pre else model_version,
        preannotation_id=pre["id"] if pre else None,
        annotator=None if annotator is None else str(annotator)[:256],
        ground_truth=bool(annotation.get("ground_truth")), raw=raw if raw is not None else annotation, lang=lang)
    return {"document": key, "correction_id": row["id"], "version": row["version"], "unchanged": row["unchanged"],
            "spans": 0 if cancelled else len(parsed.spans), "values_filled": filled,
            "action": "cancelled" if cancelled else action, "warnings": parsed.warnings}
