"""The HTML view (trialex.render, `trialex view`), checked as a person sees it: in headless
Chromium (tests/service/live.py) a screenshot must show the highlight colour of each kind, the
labels must be readable (at least 12 px) and the legend must count the marks shown."""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from pathlib import Path

import pytest

from trialex.render import COLOURS, render_record, render_result

from tests.service.live import NoBrowser, chromium

TEXT = ("𠮟😀 ＭＭＦ群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"
        "ＭＭＦは 1 日 3,000mg を投与した。ステロイドを併用した（ハザード比 0.72、95%信頼区間 0.58～0.89）。"
        "<script>alert(1)</script> & more")


def _page(extractor) -> str:
    return render_result(extractor.extract(TEXT, "ja", "ja-view"), TEXT)


def test_html_escapes_and_marks_every_kind(extractor):
    page = _page(extractor)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    for kind, colour in COLOURS.items():
        assert f'class="k-{kind}' in page and colour in page
    assert 'class="legend"' in page and "Trial size (1)" in page
    assert 'title="Drug: name: mycophenolate mofetil"' in page
    assert 'k-drug ignored' in page  # "ステロイド", a class: shown hatched, counted apart
    _assert_legend_counts_the_labels(page)
    # the evidence table under the text, each cell a link to a place in the text
    assert '<table class="evidence">' in page and 'href="#m-' in page
    for href in re.findall(r'href="#(m-[^"]+)"', page):
        assert f'id="{href}"' in page, href


def _assert_legend_counts_the_labels(page: str) -> None:
    """Every legend entry's count is the number of marks of its kind shown (one label each)."""
    legend = dict(re.findall(r'<li data-kind="(\w+)">.*?\(([^)]*)\)</li>', page))
    assert set(legend) == set(COLOURS), legend
    for kind, count in legend.items():
        shown = page.count(f'<span class="lbl" data-kind="{kind}">')
        plain, _, hatched = count.partition(" + ")
        assert int(plain) + (int(hatched.removesuffix(" hatched")) if hatched else 0) == shown, (kind, count, shown)


def test_legend_counts_hatched_marks_and_explains_them():
    words = ["MMF", "tacrolimus", "rituximab", "belimumab", "voclosporin", "steroids", "NSAIDs", "statins"]
    text = " ".join(words) + " P < 0.05 P = 0.01"
    spans, pos = [], 0
    for i, w in enumerate(words):
        spans.append({"kind": "drug", "start": pos, "end": pos + len(w), "name": w, "class": i >= 5})
        pos += len(w) + 1
    spans += [{"kind": "p_value", "start": pos, "end": pos + 8, "operator": "<", "value": 0.05, "threshold": True},
              {"kind": "p_value", "start": pos + 9, "end": pos + 17, "operator": "=", "value": 0.01}]
    page = render_record({"id": "d", "text": text, "spans": spans})
    assert "Drug (5 + 3 hatched)" in page and "P value (1 + 1 hatched)" in page and "Dose (0)" in page
    assert "hatched: a drug class or a threshold, not scored" in page
    assert page.count('<span class="lbl" data-kind="drug">') == 8
    assert page.count("k-drug ignored") == 3
    _assert_legend_counts_the_labels(page)


def test_checks_are_visible_warnings(extractor):
    text = "MMF 群では 185 例中 104 例（65.2%）が寛解した。"
    page = render_result(extractor.extract(text, "ja"), text)
    assert "<h2>Checks</h2>" in page and "104/185 is 56.2%" in page


def test_overlapping_spans_and_escaped_values():
    text = "13 of 25 patients <responded>"
    rec = {"id": "x", "text": text, "spans": [
        {"kind": "response_rate", "start": 0, "end": 8, "percent": 52.0},
        {"kind": "trial_size", "start": 6, "end": 17, "n": 25, "arm": "<arm>"}]}
    page = render_record(rec)
    assert page.count("<mark") == 3  # "13 of ", "25" (both; the shorter colours it), " patients"
    assert "&lt;responded&gt;" in page and "&lt;arm&gt;" in page and "<arm>" not in page


def test_cli_view_writes_html(tmp_path, monkeypatch, extractor):
    from trialex import cli

    monkeypatch.setattr("trialex.pipelines.pipeline.Extractor", lambda: extractor)
    src = tmp_path / "docs.jsonl"
    src.write_text(
        '{"id": "a", "text": "P = 0.5"}\n{"id": "b", "text": "A total of 140 patients were randomized (P < 0.001)."}\n',
        encoding="utf-8",
    )
    out = tmp_path / "b.html"
    assert cli.main(["view", str(src), "--id", "b", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "k-trial_size" in page and "k-p_value" in page and "<title>b</title>" in page
    # plain text in, extraction by the pipeline
    txt = tmp_path / "abstract.txt"
    txt.write_text(TEXT, encoding="utf-8")
    assert cli.main(["view", str(txt), "-o", str(tmp_path / "t.html")]) == 0
    assert "k-dose" in (tmp_path / "t.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- screenshot


def _read_png(path: Path) -> tuple[int, int, Counter]:
    """Width, height and a colour histogram of an 8-bit RGB(A), non-interlaced PNG (zlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    counts: Counter = Counter()
    for y in range(height):
        base = y * (stride + 1)
        f, line = raw[base], bytearray(raw[base + 1 : base + 1 + stride])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        counts.update(bytes(line[i : i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, counts


def test_screenshot_shows_the_colours_and_readable_labels(extractor):
    out = Path(__file__).resolve().parents[1] / "test-artifacts"
    html = out / "view.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(_page(extractor), encoding="utf-8")
    png = out / "view.png"
    try:
        with chromium(1200, 800) as cdp:
            cdp.open(html.as_uri())
            sizes = cdp.js("""Object.fromEntries(['.lbl', '.legend li', '.meta', 'table.evidence td', '.doc']
                .map(sel => [sel, Math.min(...Array.from(document.querySelectorAll(sel))
                                          .map(e => parseFloat(getComputedStyle(e).fontSize)))]))""")
            cdp.screenshot(png, full=False)
    except NoBrowser as exc:
        pytest.skip(str(exc))
    for selector, px in sizes.items():
        assert px >= 12, (selector, px)  # readable at normal size
    width, height, counts = _read_png(png)
    assert (width, height) == (1200, 800)
    for kind, colour in COLOURS.items():
        pixels = counts[bytes.fromhex(colour[1:])]
        # a legend swatch is 12x12 = 144 pixels; a highlighted mention is several hundred more
        assert pixels > 600, (kind, colour, pixels)
    white = counts[b"\xff\xff\xff"]
    assert white > 0.5 * width * height  # a page, not a blank or error screen
