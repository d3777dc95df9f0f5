"""The curator page at / (service/static): used in headless Chromium as a person uses it.

The app runs under uvicorn on 127.0.0.1 in a thread; Chromium is driven over the DevTools
protocol (tests/service/live.py, shared with scripts/screenshots.py).  Text is pasted with
Input.insertText (as a paste or an IME commits it), files go through the file input, the
language is picked and the form submitted from the keyboard (Ctrl+Enter), and the downloads
land in a directory.  Screenshots go to test-artifacts/ (gitignored).

Skipped when no Chromium is installed (apt-get install chromium fonts-ipafont-gothic).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from trialex.service.app import Engine, create_app
from trialex.service.config import Settings

from tests.service.live import LOCAL, PAGE_READY, RESULT_SHOWN, NoBrowser, chromium, live_server, paste_and_extract

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（P＝0.003）。"
EN = ("Patients were randomized to mycophenolate mofetil 1.5 g twice daily or to cyclophosphamide. Complete "
      "remission occurred in 33 of 60 patients (55.0%) with mycophenolate mofetil (odds ratio 2.27, 95% CI "
      "1.08-4.77; P = 0.03); corticosteroids were tapered. P < 0.05 was considered significant.")
MAX_CHARS = 2000


@pytest.fixture(scope="module")
def server(extractor):
    """The app under uvicorn on a free port (tests/service/live.py); yields its base URL."""
    engine = Engine()
    engine.extractor = extractor
    engine.loaded.set()
    with live_server(create_app(Settings(max_chars=MAX_CHARS), engine)) as url:
        base = url + "/"
        with LOCAL.open(base, timeout=5) as r:
            assert r.status == 200 and "text/html" in r.headers["content-type"]
            assert 'id="text"' in r.read().decode("utf-8"), "GET / does not answer with the curator page"
        yield base


@pytest.fixture(scope="module")
def browser(server):
    """Headless Chromium with one page; yields a CDP client of that page."""
    try:
        with chromium() as cdp:
            yield cdp
    except NoBrowser as exc:
        pytest.skip(str(exc))


def _open(cdp, base: str) -> None:
    cdp.open(base, PAGE_READY)


# every mark: kind, its own text (without the written values), its values, and whether both show
MARKS_JS = """
Array.from(document.querySelectorAll('#doc mark[id]')).map(m => {
  const pieces = Array.from(document.querySelectorAll('#doc mark.k-' + m.dataset.kind))
    .filter(x => x.dataset.index === m.dataset.index);
  const val = pieces[pieces.length - 1].querySelector(':scope > .val');  // after the last piece
  const own = pieces.map(p => { const c = p.cloneNode(true); c.querySelectorAll('.val').forEach(v => v.remove());
                                return c.textContent; });
  if (val) val.scrollIntoView({block: 'center'});
  const r = val ? val.getBoundingClientRect() : null;
  // each line box of the values (they may wrap): the element drawn at its centre is the values'
  const lines = val ? Array.from(val.getClientRects()) : [];
  const onTop = lines.length > 0 && lines.every(b => {
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return hit && val.contains(hit);
  });
  return {kind: m.dataset.kind, index: +m.dataset.index, text: own.join(''), pieces: pieces.length,
          classes: m.className, nested: !!m.parentElement.closest('mark'),
          value: val ? val.innerText : null,
          // on screen as text: rendered, not hidden, not covered by anything else, at least 12 px
          visible: !!(val && val.checkVisibility({opacityProperty: true, visibilityProperty: true})
                      && r.width > 0 && r.height > 0 && onTop
                      && parseFloat(getComputedStyle(val).fontSize) >= 12)};
})
"""

# the legend's entries, one a line ("Drugs: 1")
LEGEND_JS = "Array.from(document.querySelectorAll('#legend li')).map(li => li.textContent.trim()).join('\\n')"


JA_FONTS = ("IPAGothic", "IPAPGothic", "IPAexGothic", "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans",
            "Hiragino Kaku Gothic ProN", "Yu Gothic", "YuGothic", "Meiryo")


def _fonts_of(cdp, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the text directly inside ``selector`` with: {family: glyphs}."""
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def test_curator_page_japanese_abstract(server, browser):
    cdp = browser
    _open(cdp, server)
    # every control has a label
    assert cdp.js("document.querySelector('label[for=text]').textContent.trim()") == "Abstract"
    assert (
        cdp.js("document.querySelector('label[for=lang]') !== null && document.getElementById('lang').value") == "auto"
    )
    assert cdp.js("document.querySelector('label[for=file]') !== null")
    paste_and_extract(cdp, server, JA, "auto")
    assert cdp.js("document.getElementById('text').value") == JA
    assert cdp.js("document.getElementById('alert').textContent") == ""
    assert cdp.js("document.getElementById('result').hidden") is False

    marks = cdp.js(MARKS_JS)
    by_kind = {m["kind"]: m for m in marks}
    assert {"drug", "size", "rate", "p"} <= set(by_kind), marks
    expected = {
        "drug": ("MMF", "mycophenolate mofetil"),
        "size": ("185 例", "n = 185"),
        "rate": ("56.2%", "56.2% (104/185)"),
        "p": ("P＝0.003", "p = 0.003"),
    }
    for kind, (text, value) in expected.items():
        m = by_kind[kind]
        assert m["text"] == text, m
        assert value in m["value"], m
        assert m["visible"], m
    assert "完全寛解" in by_kind["rate"]["value"]
    # the values are part of the rendered text, not a tooltip
    doc_text = cdp.js("document.getElementById('doc').innerText")
    for value in ("mycophenolate mofetil", "n = 185", "56.2% (104/185)", "p = 0.003"):
        assert value in doc_text
    # the Japanese text is marked Japanese and drawn with a Japanese font (no missing glyphs)
    assert cdp.js("document.getElementById('doc').lang") == "ja"
    fonts = _fonts_of(cdp, "#doc")
    assert fonts and max(fonts, key=fonts.get) in JA_FONTS, fonts
    family = cdp.js("getComputedStyle(document.getElementById('doc')).fontFamily")
    for name in ("Noto Sans JP", "IPAGothic", "Hiragino", "Yu Gothic", "sans-serif"):
        assert name in family, family
    legend = cdp.js(LEGEND_JS)
    assert "Drugs: 1" in legend and "Trial sizes: 1" in legend and "P values: 1" in legend
    assert "hatched" in legend.lower()
    # the evidence table, as text on the page
    row = cdp.js("document.querySelector('#tbody tr').innerText")
    assert "mycophenolate mofetil" in row and "185" in row and "56.2% (104/185)" in row
    cdp.screenshot(ARTIFACTS / "page_ja.png")


def test_english_abstract_picked_language_table_and_downloads(server, browser, tmp_path):
    cdp = browser
    paste_and_extract(cdp, server, EN, "en")
    assert cdp.js("document.getElementById('alert').textContent") == ""
    assert cdp.js("document.getElementById('summary').textContent").startswith("language: en")
    assert cdp.js("document.getElementById('doc').lang") == "en"
    marks = cdp.js(MARKS_JS)
    assert marks and all(m["visible"] for m in marks), [m for m in marks if not m["visible"]]
    values = {(m["kind"], m["text"]): m["value"] for m in marks}
    # the dose normalised (1.5 g -> 1500 mg) with its frequency and drug, written beside it
    assert "dose: 1500 mg \u00b7 twice daily \u2192 mycophenolate mofetil" in values[("dose", "1.5 g")]
    assert "55% (33/60)" in values[("rate", "55.0%")] and "arm: mycophenolate mofetil" in values[("rate", "55.0%")]
    assert "OR 2.27 (95% CI 1.08\u20134.77), p = 0.03" in values[("effect", "odds ratio 2.27, 95% CI 1.08-4.77")]
    assert values[("p", "P < 0.05")] == "p < 0.05 (threshold)"
    assert values[("drug", "corticosteroids")] == "class: corticosteroids"
    assert cdp.js("document.getElementById('table-wrap').hidden") is False
    rows = cdp.js("Array.from(document.querySelectorAll('#tbody tr')).map(tr => tr.innerText)")
    assert any("mycophenolate mofetil" in r and "1500 mg" in r and "55% (33/60)" in r for r in rows), rows
    cdp.screenshot(ARTIFACTS / "page_en.png")

    # the two download buttons, pressed from the keyboard, save the result and its table
    cdp.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    for button in ("dl-json", "dl-csv"):
        cdp.js(f"document.getElementById('{button}').focus()")
        cdp.key("Enter", "Enter", 13, text="\r")
    deadline = time.monotonic() + 10
    while not (len(list(tmp_path.glob("*.json"))) == 1 and len(list(tmp_path.glob("*.csv"))) == 1):
        assert time.monotonic() < deadline, list(tmp_path.iterdir())
        time.sleep(0.05)
    saved = json.loads(next(tmp_path.glob("*.json")).read_text(encoding="utf-8"))
    assert saved["lang"] == "en" and any(d["text"] == "1.5 g" for d in saved["doses"])
    for key in ("drugs", "doses", "trial_sizes", "response_rates", "p_values", "effects"):
        for m in saved[key]:
            assert EN[m["start"] : m["end"]] == m["text"], (key, m)
    table = list(csv.DictReader(io.StringIO(next(tmp_path.glob("*.csv")).read_text(encoding="utf-8-sig"))))
    assert len(table) == len(rows)
    assert any(
        r["drugs"] == "mycophenolate mofetil" and r["responders"] == "33" and r["total"] == "60" for r in table
    ), table


def test_keyboard_tab_order_and_visible_focus(server, browser):
    cdp = browser
    _open(cdp, server)
    order = []
    for _ in range(6):
        cdp.tab()
        order.append(
            cdp.js("""(e => {
            const s = getComputedStyle(e);
            return {id: e.id || e.tagName.toLowerCase(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    label: e.labels && e.labels.length ? e.labels[0].textContent.trim() : e.textContent.trim()};
        })(document.activeElement)""")
        )
    assert [o["id"] for o in order] == ["a", "text", "file", "lang", "summary", "submit"], order
    for o in order:
        assert o["outline"] != "none" and o["width"] >= 2, o  # focus is visible
        assert o["label"], o  # and named
    # Ctrl+Enter from anywhere (here: the focused button) with an empty box: told so, focus to the box
    cdp.key("Enter", "Enter", 13, modifiers=2)
    assert "no text" in cdp.wait_for("document.getElementById('alert').textContent")
    assert cdp.js("document.activeElement.id") == "text"


def test_jsonl_file_through_the_file_input(server, browser, tmp_path):
    cdp = browser
    _open(cdp, server)
    path = tmp_path / "abstracts.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": JA}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "b", "text": "second"})
        + "\n",
        encoding="utf-8",
    )
    cdp.send("DOM.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", nodeId=root, selector="#file")["nodeId"]
    cdp.send("DOM.setFileInputFiles", nodeId=node, files=[str(path)])
    assert cdp.wait_for("document.getElementById('text').value") == JA  # the first line's "text"
    assert cdp.js("document.getElementById('status').textContent").startswith("Loaded abstracts.jsonl")
    assert cdp.js("document.activeElement.id") == "text"
    cdp.key("Enter", "Enter", 13, modifiers=2)
    cdp.wait_for(RESULT_SHOWN, timeout=30)
    assert "n = 185" in cdp.js("document.getElementById('doc').innerText")
    # a file that is not JSON Lines: said so, the box left as it was
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    cdp.send("DOM.setFileInputFiles", nodeId=node, files=[str(bad)])
    assert "bad.jsonl" in cdp.wait_for("document.getElementById('alert').textContent")
    assert cdp.js("document.getElementById('text').value") == JA


def test_api_error_is_shown_in_the_alert(server, browser):
    cdp = browser
    _open(cdp, server)
    cdp.js(f"document.getElementById('text').value = 'x'.repeat({MAX_CHARS + 1})")
    cdp.js("document.getElementById('submit').focus()")
    cdp.key("Enter", "Enter", 13, text="\r")  # Enter on the focused button submits the form
    alert = cdp.wait_for("document.getElementById('alert').textContent")
    assert alert.startswith("Error 413") and str(MAX_CHARS) in alert
    assert cdp.js("document.getElementById('alert').getAttribute('role')") == "alert"


# A result with what the API adds later (effects, arms, checks), overlapping spans, a class
# drug, a threshold p value and an astral character before the mentions: code-point offsets.
SYNTH_TEXT = (
    "𠮷田らの試験。Complete remission: 13 of 25 patients (52%) with MMF and 10 of 30 (33.3%) with "
    "cyclophosphamide; HR 0.72 (95% CI 0.58-0.89), P = 0.002. Steroids were allowed; P < 0.05 "
    "was significant."
)


def _synthetic() -> dict:
    cps = list(SYNTH_TEXT)  # Python-like code points

    def span(sub: str, nth: int = 0) -> dict:
        s = "".join(cps)
        i = -1
        for _ in range(nth + 1):
            i = s.index(sub, i + 1)
        return {"start": i, "end": i + len(sub), "text": sub}

    rate1 = {
        **span("13 of 25 patients (52%)"),
        "percent": 52.0,
        "numerator": 13,
        "denominator": 25,
        "outcome": "Complete remission",
        "arm": "mycophenolate mofetil",
    }
    rate2 = {
        **span("10 of 30 (33.3%)"),
        "percent": 33.3,
        "numerator": 10,
        "denominator": 30,
        "outcome": "Complete remission",
        "arm": "cyclophosphamide",
    }
    return {
        "id": "synthetic-1",
        "lang": "en",
        "drugs": [
            {**span("MMF"), "name": "mycophenolate mofetil"},
            {**span("cyclophosphamide"), "name": "cyclophosphamide"},
            {**span("Steroids"), "name": "steroids", "class": True},
        ],
        "doses": [],
        "trial_sizes": [{**span("25 patients"), "n": 25, "scope": "arm", "arm": "mycophenolate mofetil"}],
        "response_rates": [rate1, rate2],
        "p_values": [
            {**span("P = 0.002"), "operator": "=", "value": 0.002},
            {**span("P < 0.05"), "operator": "<", "value": 0.05, "threshold": True},
        ],
        "effects": [
            {
                **span("HR 0.72 (95% CI 0.58-0.89)"),
                "measure": "HR",
                "value": 0.72,
                "ci_low": 0.58,
                "ci_high": 0.89,
                "ci_level": 95.0,
                "p_value": 0,
            }
        ],
        "arms": [
            {
                "label": "MMF",
                "drugs": [0],
                "doses": [],
                "n": 0,
                "results": [{"outcome": "Complete remission", "response_rate": 0}],
                "effects": [0],
                "p_values": [0],
            },
            {
                "label": "cyclophosphamide",
                "drugs": [1],
                "doses": [],
                "results": [{"outcome": "Complete remission", "response_rate": 1}],
                "effects": [0],
                "p_values": [0],
            },
        ],
        "checks": [
            {
                "check": "percent_mismatch",
                "message": "13/25 is 52.0%, not 52%",
                "spans": [[rate1["start"], rate1["end"]]],
            }
        ],
        "meta": {"model_version": "synthetic"},
    }


def test_offsets_overlaps_table_and_checks(server, browser):
    cdp = browser
    _open(cdp, server)
    result = _synthetic()
    before = SYNTH_TEXT[: SYNTH_TEXT.index("MMF")]
    assert len(before.encode("utf-16-le")) // 2 == len(before) + 1  # JavaScript's index is one further on
    cdp.js(f"window.trialexPage.show({json.dumps(result)}, {json.dumps(SYNTH_TEXT)})")
    marks = cdp.js(MARKS_JS)
    got = {(m["kind"], m["index"]): m for m in marks}
    kinds = {"drug": "drugs", "size": "trial_sizes", "rate": "response_rates", "p": "p_values", "effect": "effects"}
    for kind, key in kinds.items():
        for i, mention in enumerate(result[key]):
            m = got[(kind, i)]
            assert m["text"] == mention["text"], (m, mention)  # the astral 𠮷 shifted nothing
            assert m["visible"] and m["value"], m
    # the size "25 patients" sits inside the rate "13 of 25 patients (52%)": both shown, nested
    assert got[("size", 0)]["nested"] and "n = 25" in got[("size", 0)]["value"]
    assert "52% (13/25)" in got[("rate", 0)]["value"]
    assert "HR 0.72 (95% CI 0.58\u20130.89), p = 0.002" in got[("effect", 0)]["value"]
    assert "hatched" in got[("drug", 2)]["classes"] and "class: steroids" in got[("drug", 2)]["value"]
    assert "hatched" in got[("p", 1)]["classes"] and "threshold" in got[("p", 1)]["value"]
    assert "flagged" in got[("rate", 0)]["classes"]
    # the consistency check: a visible warning linking to the mention
    checks = cdp.js("document.getElementById('checks-sec').hidden ? null : document.getElementById('checks').innerText")
    assert checks and "13/25 is 52.0%, not 52%" in checks and "percent_mismatch" in checks
    assert cdp.js("document.querySelector('#checks a').getAttribute('href')") == "#m-response_rates-0"
    # the evidence table: one row per arm x outcome
    rows = cdp.js("Array.from(document.querySelectorAll('#tbody tr')).map(tr => tr.innerText)")
    assert len(rows) == 2
    assert "MMF" in rows[0] and "mycophenolate mofetil" in rows[0] and "52% (13/25)" in rows[0] and "25" in rows[0]
    assert "cyclophosphamide" in rows[1] and "33.3% (10/30)" in rows[1]
    assert cdp.js("document.getElementById('dl-csv').disabled") is False
    csv = cdp.js(f"window.trialexPage.csv({json.dumps(result)})")
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("arm,drugs,doses,n,outcome,responders,total,percent") and len(lines) == 3
    assert lines[1].startswith("MMF,mycophenolate mofetil,,25,Complete remission,13,25,52,")
    legend = cdp.js(LEGEND_JS)
    assert "Drugs: 2" in legend and "Drug classes (hatched): 1" in legend and "P thresholds (hatched): 1" in legend
    assert "Effects: 1" in legend and "In a warning" in legend
    # a .jsonl file: the first line's "text"
    first = cdp.js('window.trialexPage.textFromFile(\'a.jsonl\', \'{"text": "一行目"}\\n{"text": "二行目"}\\n\')')
    assert first == "一行目"
    cdp.screenshot(ARTIFACTS / "page_synthetic.png")
    # crossing spans (neither inside the other): cut into pieces, each whole mention still shown
    text = "𠮷 a 20 mg b 30 c"
    crossing = {
        "lang": "en",
        "drugs": [],
        "trial_sizes": [{"start": 2, "end": 9, "text": "a 20 mg", "n": 20}],
        "doses": [
            {
                "start": 4,
                "end": 11,
                "text": "20 mg b",
                "min": 20,
                "max": 20,
                "unit": "mg",
                "normalized": {"min": 20, "max": 20, "unit": "mg"},
            }
        ],
        "response_rates": [],
        "p_values": [],
    }
    cdp.js(f"window.trialexPage.show({json.dumps(crossing)}, {json.dumps(text)})")
    marks = {m["kind"]: m for m in cdp.js(MARKS_JS)}
    assert marks["size"]["text"] == "a 20 mg" and marks["dose"]["text"] == "20 mg b"
    assert marks["dose"]["pieces"] == 2 and marks["dose"]["visible"] and marks["size"]["visible"], marks
    assert cdp.js("document.getElementById('table-none').hidden") is False  # no arms: no table, said so
