"""A displaCy-style HTML view of one document: the five kinds highlighted, a legend, values on hover.

Self-contained HTML (no script, no external resource); the text is escaped and shown with its
line breaks.  Overlapping spans of different kinds are cut into segments; each segment takes the
colour of the shortest span covering it, and every span ends with a small label.  Class drugs
and threshold p values (neither rewarded nor punished by the scorer) are shown hatched with a
dashed outline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from .exports import KINDS, format_values, is_ignored, result_to_record

COLOURS = {  # fill of each kind's highlight (also checked by the screenshot test)
    "drug": "#7aecec",
    "dose": "#feca74",
    "trial_size": "#c3a6ff",
    "response_rate": "#9be58f",
    "p_value": "#ff9eae",
}
NAMES = {"drug": "Drug", "dose": "Dose", "trial_size": "Trial size",
         "response_rate": "Response rate", "p_value": "P value"}
LABELS = {"drug": "DRUG", "dose": "DOSE", "trial_size": "SIZE", "response_rate": "RATE", "p_value": "P"}

_CSS = """
body { font-family: -apple-system, "Segoe UI", "Noto Sans CJK JP", "IPAPGothic", "IPAGothic",
       "Hiragino Sans", "Yu Gothic", sans-serif; margin: 24px 32px; color: #222; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px 0; }
.meta { color: #666; font-size: 13px; margin: 0 0 12px 0; }
.legend { list-style: none; padding: 0; margin: 0 0 16px 0; display: flex; flex-wrap: wrap; gap: 14px;
          font-size: 14px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
.doc { font-size: 17px; line-height: 2.4; white-space: pre-wrap; word-wrap: break-word; max-width: 1100px; }
mark { padding: 0.3em 0.1em; border-radius: 0.3em; color: #111; box-decoration-break: clone;
       -webkit-box-decoration-break: clone; }
mark.ignored { background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.55) 0 4px, transparent 4px 8px);
               outline: 1px dashed #555; }
.lbl { font-size: 0.55em; font-weight: bold; line-height: 1; vertical-align: middle; margin-left: 0.4em;
       text-transform: uppercase; color: #333; }
"""


def _segments(text: str, spans: list[dict]) -> list[tuple[int, int, list[int]]]:
    cuts = {0, len(text)}
    for s in spans:
        cuts.update((s["start"], s["end"]))
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out = []
    for a, b in zip(points, points[1:]):
        if a == b:
            continue
        cover = [i for i, s in enumerate(spans) if s["start"] <= a and b <= s["end"]]
        out.append((a, b, cover))
    return out


def render_record(record: dict, title: str | None = None, subtitle: str | None = None) -> str:
    """A full HTML page of one record ({"id", "text", "spans": [{"kind", "start", "end", ...}]})."""
    text = record["text"]
    spans = [s for s in record.get("spans") or [] if s.get("kind") in KINDS
             and 0 <= s["start"] < s["end"] <= len(text)]
    counts = {k: sum(1 for s in spans if s["kind"] == k and not is_ignored(s)) for k in KINDS}
    body: list[str] = []
    for a, b, cover in _segments(text, spans):
        piece = html.escape(text[a:b])
        if not cover:
            body.append(piece)
            continue
        i = min(cover, key=lambda j: (spans[j]["end"] - spans[j]["start"], j))
        s = spans[i]
        tip = f"{NAMES[s['kind']]}: {format_values(s) or '(no values)'}"
        cls = f"k-{s['kind']}" + (" ignored" if is_ignored(s) else "")
        ends = "".join(f'<span class="lbl">{LABELS[spans[j]["kind"]]}</span>'
                       for j in cover if spans[j]["end"] == b)
        body.append(f'<mark class="{cls}" style="background-color:{COLOURS[s["kind"]]}" '
                    f'title="{html.escape(tip)}">{piece}{ends}</mark>')
    legend = "".join(f'<li><span class="swatch" style="background:{COLOURS[k]}"></span>'
                     f"{NAMES[k]} ({counts[k]})</li>" for k in KINDS)
    head = html.escape(title or str(record.get("id") or "document"))
    sub = subtitle
    if sub is None:
        bits = [record.get("lang"), record.get("model_version")]
        sub = " · ".join(str(b) for b in bits if b)
    lang = record.get("lang") if record.get("lang") in ("ja", "en") else "ja"
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{head}</title><style>{_CSS}</style></head><body>"
            f"<h1>{head}</h1><p class=\"meta\">{html.escape(sub or '')}</p>"
            f'<ul class="legend">{legend}</ul><div class="doc">{"".join(body)}</div></body></html>\n')


def render_result(result: dict, text: str, title: str | None = None) -> str:
    """A page of an extractor result (the API's JSON) over the text it was extracted from."""
    return render_record(result_to_record(result, text), title=title)


def render_many(records: Iterable[dict]) -> list[str]:
    return [render_record(r) for r in records]
