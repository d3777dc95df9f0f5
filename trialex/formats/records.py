"""The one in-memory shape every format reads and writes, the *record*::

    {"id": "ja-001", "lang": "ja", "text": "...",
     "spans": [{"kind": "drug", "start": 3, "end": 6, "text": "MMF", "name": "mycophenolate mofetil"},
               {"kind": "dose", "start": 9, "end": 20, "min": 3000, "max": 3000, "unit": "mg/day"}, ...]}

``start``/``end`` are Python code-point offsets into ``text``; the values are the spec's gold values
(a dose carries the *normalised* ``min``/``max``/``unit``, as the gold does).  Records are built
from an extractor result (:func:`result_to_record`), a gold line (trialex.formats.gold) or the
curation store, and written by the writers of the other modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable, Iterable

from trialex.pipelines.kinds import ALL_KINDS as KINDS, OUTPUT_KEYS as RESULT_KEYS, REGISTRY
from trialex.pipelines.language import detect

# The values of each kind (in the order they are written), the fields the gold keeps, and the
# values without which a span cannot be scored (such spans go to the gold file's "ignore").
VALUE_FIELDS = {k: v.value_fields for k, v in REGISTRY.items()}
GOLD_FIELDS = {k: v.gold_fields for k, v in REGISTRY.items()}
REQUIRED = {k: v.required for k, v in REGISTRY.items()}
INT_FIELDS = {"n", "numerator", "denominator"}  # whole numbers (the other numeric values are floats)


def parse_jsonl(data: str) -> list[dict]:
    """The objects of a JSONL text, blank lines skipped.  Lines are cut at "\\n" only
    (str.splitlines would also cut a text holding U+2028 or U+0085 written unescaped)."""
    return [json.loads(ln) for ln in data.split("\n") if ln.strip()]


def jsonl_or_text(data: str, accept: Callable[[dict], bool]) -> list[dict] | None:
    """The records of ``data`` when it is JSONL whose every line is an object ``accept`` takes;
    None when it is not (a plain-text document).  No lines: no records."""
    try:
        records = parse_jsonl(data)
    except ValueError:
        return None
    return records if all(isinstance(r, dict) and accept(r) for r in records) else None


def read_jsonl(path: str | Path) -> list[dict]:
    return parse_jsonl(Path(path).read_text(encoding="utf-8"))


def record_lang(record: dict) -> str:
    """The record's language, detected from its text when it has none (a Label Studio task
    without ``data.lang``, a document stored without one)."""
    return record.get("lang") or detect(record["text"])


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


def sort_spans(spans: Iterable[dict]) -> list[dict]:
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(spans, key=lambda s: (s["start"], s["end"], order.get(s["kind"], 9)))


def is_ignored(span: dict) -> bool:
    """Class drugs, threshold p values and spans marked ``ignore``: neither rewarded nor punished."""
    return bool(span.get("class") or span.get("threshold") or span.get("ignore"))


def missing_values(span: dict) -> list[str]:
    return [k for k in REQUIRED[span["kind"]] if span.get(k) in (None, "")]
