"""A displaCy-style HTML view of one document: the kinds highlighted, a legend, values on hover.

Self-contained HTML (no script, no external resource); the text is escaped and shown with its
line breaks.  Overlapping spans of different kinds are cut into segments; each segment takes the
colour of the shortest span covering it, and every span ends with a label naming its kind (the
count of labels of a kind is the legend's count of that kind).  Class drugs and threshold p
values (neither rewarded nor punished by the scorer) are shown hatched with a dashed outline,
counted apart in the legend ("Drug (5 + 3 hatched)"), which says what hatching means.
"""

from __future__ import annotations

import html

from trialex.pipelines.kinds import REGISTRY

from .formats.records import KINDS, is_ignored, result_to_record
from .formats.values import format_values

COLOURS = {
    k: v.colour for k, v in REGISTRY.items()
}  # fill of each kind's highlight (also checked by the screenshot test)
NAMES = {k: v.label for k, v in REGISTRY.items()}
LABELS = {k: v.short for k, v in REGISTRY.items()}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK JP", "Noto Sans JP", "IPAPGothic",
       "IPAGothic", "Hiragino Sans", "Yu Gothic", sans-serif; margin: 24px 32px; color: #222; background: #fff; }
:lang(ja) { font-family: "Noto Sans CJK JP", "Noto Sans JP", "IPAPGothic", "IPAGothic", "Hiragino Sans",
            "Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, sans-serif; }
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
h2 { font-size: 16px; margin: 24px 0 8px 0; }
.checks { color: #8a4b00; font-size: 15px; }
table.evidence { border-collapse: collapse; font-size: 14px; }
table.evidence td, table.evidence th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
.lbl { font-size: 12px; font-weight: bold; line-height: 1; vertical-align: middle; margin-left: 0.4em;
       text-transform: uppercase; color: #333; }
.legend .swatch.ignored { background: repeating-linear-gradient(45deg, #fff 0 3px, #bbb 3px 6px);
                          outline: 1px dashed #555; }
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
    spans = [s for s in record.get("spans") or [] if s.get("kind") in KINDS and 0 <= s["start"] < s["end"] <= len(text)]
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
        ends = "".join(
            f'<span class="lbl" data-kind="{spans[j]["kind"]}">{LABELS[spans[j]["kind"]]}</span>'
            for j in cover
            if spans[j]["end"] == b
        )
        # a link target for every span starting here (a check or a table cell links to it)
        anchors = "".join(
            f'<span id="m-{a}-{e}"></span>' for e in sorted({spans[j]["end"] for j in cover if spans[j]["start"] == a})
        )
        body.append(
            f'{anchors}<mark class="{cls}" style="background-color:{COLOURS[s["kind"]]}" '
            f'title="{html.escape(tip)}">{piece}{ends}</mark>'
        )
    legend = _legend_html(spans)
    head = html.escape(title or str(record.get("id") or "document"))
    sub = subtitle
    if sub is None:
        bits = [record.get("lang"), record.get("model_version")]
        sub = " · ".join(str(b) for b in bits if b)
    lang = record.get("lang") if record.get("lang") in ("ja", "en") else "ja"
    extra = _checks_html(record.get("checks") or []) + _table_html(record.get("table") or [])
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{head}</title><style>{_CSS}</style></head><body>"
        f'<h1>{head}</h1><p class="meta">{html.escape(sub or "")}</p>'
        f'<ul class="legend">{legend}</ul><div class="doc" lang="{lang}">{"".join(body)}</div>'
        f"{extra}</body></html>\n"
    )


def render_result(result: dict, text: str, title: str | None = None) -> str:
    """A page of an extractor result (the API's JSON) over the text it was extracted from, with
    its consistency checks as warnings and its evidence table (each cell linked to its span)."""
    from .table import rows

    record = dict(result_to_record(result, text), checks=result.get("checks") or [], table=rows(result))
    return render_record(record, title=title)


def _legend_html(spans: list[dict]) -> str:
    """One entry per kind with the number of its spans shown (hatched ones apart), and what
    hatching means."""
    items = []
    for k in KINDS:
        mine = [s for s in spans if s["kind"] == k]
        hatched = sum(1 for s in mine if is_ignored(s))
        count = f"{len(mine) - hatched} + {hatched} hatched" if hatched else str(len(mine))
        items.append(
            f'<li data-kind="{k}"><span class="swatch" style="background:{COLOURS[k]}"></span>{NAMES[k]} ({count})</li>'
        )
    items.append('<li><span class="swatch ignored"></span>hatched: a drug class or a threshold, not scored</li>')
    return "".join(items)


def _link(spans: list[list[int]], label: str) -> str:
    if not spans:
        return html.escape(label)
    s, e = spans[0]
    return f'<a href="#m-{s}-{e}">{html.escape(label)}</a>'


def _checks_html(checks: list[dict]) -> str:
    if not checks:
        return ""
    items = "".join(
        f'<li>⚠ {_link(c["spans"], c["message"])} <span class="meta">({html.escape(c["check"])})</span></li>'
        for c in checks
    )
    return f'<h2>Checks</h2><ul class="checks">{items}</ul>'


def _table_html(table_rows: list[dict]) -> str:
    from .table import COLUMNS

    if not table_rows:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{_link(r['spans'].get(c, []), str(r['cells'][c]))}</td>" for c in COLUMNS) + "</tr>"
        for r in table_rows
    )
    return f'<h2>Evidence table</h2><table class="evidence"><tr>{head}</tr>{body}</table>'
