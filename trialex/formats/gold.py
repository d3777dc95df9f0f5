"""The spec's gold JSONL (the format of annotations/*.jsonl), both ways.

A gold line holds per kind the spans with their key values, a dose naming its drug by index, and
``ignore``: spans neither rewarded nor punished (class drugs, threshold p values, spans without
their key values).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from .offsets import OffsetMap, check_offsets
from .records import GOLD_FIELDS, INT_FIELDS, KINDS, is_ignored, missing_values, record_lang, sort_spans

GOLD_KEYS = ["id", "lang", "text", *KINDS, "ignore"]


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


def _clean_gold_value(kind: str, k: str, v: Any) -> Any:
    if k in ("percent", "value"):
        return float(v)
    if k in ("min", "max"):
        f = float(v)
        return int(f) if f.is_integer() else f
    if k in INT_FIELDS:
        return int(v)
    return v


def to_gold(records: Iterable[dict], offsets: str = "codepoint") -> list[dict]:
    """The spec's gold JSONL (the format of annotations/*.jsonl): per kind the span and its
    key values; class drugs, threshold p values and spans whose values are incomplete go to
    ``ignore`` (neither rewarded nor punished)."""
    check_offsets(offsets)
    out = []
    for rec in records:
        text = rec["text"]
        omap = OffsetMap(text)
        conv = omap.span_to_utf16 if offsets == "utf16" else (lambda a, b: (a, b))
        gold: dict = {"id": rec.get("id"), "lang": record_lang(rec), "text": text}
        for kind in KINDS:
            gold[kind] = []
        ignore = []
        seen: set[tuple] = set()
        spans = sort_spans(rec["spans"])
        drug_index: dict[tuple[int, int], int] = {}
        for s in spans:
            if s["kind"] == "drug" and not is_ignored(s) and not missing_values(s):
                span = (s["start"], s["end"])
                if ("drug",) + span not in seen:
                    seen.add(("drug",) + span)
                    drug_index[span] = len(drug_index)
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
