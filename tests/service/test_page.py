"""The curator page at / (service/static): driven in headless Chromium over the DevTools protocol.

The app runs under uvicorn on 127.0.0.1 in a thread; Chromium is started with
--remote-debugging-port=0 and driven through its page's DevTools websocket (the ``websockets``
package that uvicorn[standard] brings).  Text is typed with Input.insertText (as an IME commits
it) and submitted with a real Ctrl+Enter key event.  Screenshots go to tests/artifacts/.

Skipped when no Chromium is installed (apt-get install chromium fonts-ipafont-gothic).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from base64 import b64decode
from pathlib import Path

import pytest

from trialex.service.app import Engine, create_app
from trialex.service.config import Settings

from tests.service.live import live_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（P＝0.003）。"
MAX_CHARS = 2000


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class CDP:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def send(self, method: str, timeout: float = 15.0, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression: str):
        """Evaluate an expression in the page (promises awaited) and return its JSON value."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise AssertionError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def key(self, key: str, code: str, vk: int, modifiers: int = 0, text: str | None = None) -> None:
        """Press and release a key; with ``text`` the press also types it (a button then activates)."""
        down = {"type": "keyDown", "text": text, "unmodifiedText": text} if text else {"type": "rawKeyDown"}
        for event in (down, {"type": "keyUp"}):
            self.send("Input.dispatchKeyEvent", key=key, code=code, windowsVirtualKeyCode=vk,
                      nativeVirtualKeyCode=vk, modifiers=modifiers, **event)

    def screenshot(self, path: Path) -> None:
        """The whole page (not only the viewport) as a PNG."""
        height = self.js("Math.ceil(document.documentElement.scrollHeight)")
        width = self.js("Math.ceil(document.documentElement.clientWidth)")
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b64decode(shot["data"]))



# no proxy for 127.0.0.1, whatever the environment says
_local = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server(extractor):
    """The app under uvicorn on a free port (tests/service/live.py); yields its base URL."""
    engine = Engine()
    engine.extractor = extractor
    engine.loaded.set()
    with live_server(create_app(Settings(max_chars=MAX_CHARS), engine)) as url:
        base = url + "/"
        with _local.open(base, timeout=5) as r:
            assert r.status == 200 and "text/html" in r.headers["content-type"]
            assert 'id="text"' in r.read().decode("utf-8"), "GET / does not answer with the curator page"
        yield base


@pytest.fixture(scope="module")
def browser(server):
    """Headless Chromium with one page; yields a CDP client of that page."""
    binary = _chromium()
    if not binary:
        pytest.skip("no Chromium installed (apt-get install -y chromium fonts-ipafont-gothic)")
    pytest.importorskip("websockets.sync.client", reason="the websockets package drives Chromium")
    profile = tempfile.mkdtemp(prefix="trialex-chromium-")
    proc = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
         "--window-size=1280,900", "--lang=en-US", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 15
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with _local.open(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        from websockets.sync.client import connect

        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10, proxy=None) as ws:
            cdp = CDP(ws)
            cdp.send("Page.enable")
            cdp.send("Runtime.enable")
            cdp.send("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
                     mobile=False)
            yield cdp
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(profile, ignore_errors=True)


def _open(cdp: CDP, base: str) -> None:
    cdp.send("Page.navigate", url=base)
    cdp.wait_for("document.readyState === 'complete' && !!window.trialexPage && !!document.getElementById('text')")


# every mark: kind, its own text (without the written values), its values, and whether both show
MARKS_JS = """
Array.from(document.querySelectorAll('#doc mark[id]')).map(m => {
  const pieces = Array.from(document.querySelectorAll('#doc mark.k-' + m.dataset.kind))
    .filter(x => x.dataset.index === m.dataset.index);
  const val = pieces[pieces.length - 1].querySelector(':scope > .val');  // after the last piece
  const own = pieces.map(p => { const c = p.cloneNode(true); c.querySelectorAll('.val').forEach(v => v.remove());
                                return c.textContent; });
  const r = val ? val.getBoundingClientRect() : null;
  return {kind: m.dataset.kind, index: +m.dataset.index, text: own.join(''), pieces: pieces.length,
          classes: m.className, nested: !!m.parentElement.closest('mark'),
          value: val ? val.innerText : null,
          visible: !!(val && val.checkVisibility({opacityProperty: true, visibilityProperty: true})
                      && r.width > 0 && r.height > 0)};
})
"""

# the legend's entries, one a line ("Drugs: 1")
LEGEND_JS = "Array.from(document.querySelectorAll('#legend li')).map(li => li.textContent.trim()).join('\\n')"


def test_curator_page_japanese_abstract(server, browser):
    cdp = browser
    _open(cdp, server)
    # keyboard: the textarea has a label and takes the text as an IME commits it
    assert cdp.js("document.querySelector('label[for=text]').textContent.trim()") == "Abstract"
    assert cdp.js("document.querySelector('label[for=lang]') !== null && document.getElementById('lang').value") == "auto"
    cdp.js("document.getElementById('text').focus()")
    cdp.send("Input.insertText", text=JA)
    assert cdp.js("document.getElementById('text').value") == JA
    cdp.key("Enter", "Enter", 13, modifiers=2)  # Ctrl+Enter submits
    cdp.wait_for("document.getElementById('status').textContent.startsWith('Done')"
                 " || document.getElementById('alert').textContent !== ''")
    assert cdp.js("document.getElementById('alert').textContent") == ""
    assert cdp.js("document.getElementById('result').hidden") is False

    marks = cdp.js(MARKS_JS)
    by_kind = {m["kind"]: m for m in marks}
    assert {"drug", "size", "rate", "p"} <= set(by_kind), marks
    expected = {"drug": ("MMF", "mycophenolate mofetil"),
                "size": ("185 例", "n = 185"),
                "rate": ("56.2%", "56.2% (104/185)"),
                "p": ("P＝0.003", "p = 0.003")}
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
    # the Japanese text is rendered as Japanese (font fallback picks a CJK font)
    assert cdp.js("document.getElementById('doc').lang") == "ja"
    legend = cdp.js(LEGEND_JS)
    assert "Drugs: 1" in legend and "Trial sizes: 1" in legend and "P values: 1" in legend
    assert "hatched" in legend.lower()
    cdp.screenshot(ARTIFACTS / "page_ja.png")


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
SYNTH_TEXT = ("𠮷田らの試験。Complete remission: 13 of 25 patients (52%) with MMF and 10 of 30 (33.3%) with "
              "cyclophosphamide; HR 0.72 (95% CI 0.58-0.89), P = 0.002. Steroids were allowed; P < 0.05 "
              "was significant.")


def _synthetic() -> dict:
    cps = list(SYNTH_TEXT)  # Python-like code points

    def span(sub: str, nth: int = 0) -> dict:
        s = "".join(cps)
        i = -1
        for _ in range(nth + 1):
            i = s.index(sub, i + 1)
        return {"start": i, "end": i + len(sub), "text": sub}

    rate1 = {**span("13 of 25 patients (52%)"), "percent": 52.0, "numerator": 13, "denominator": 25,
             "outcome": "Complete remission", "arm": "mycophenolate mofetil"}
    rate2 = {**span("10 of 30 (33.3%)"), "percent": 33.3, "numerator": 10, "denominator": 30,
             "outcome": "Complete remission", "arm": "cyclophosphamide"}
    return {
        "id": "synthetic-1", "lang": "en",
        "drugs": [{**span("MMF"), "name": "mycophenolate mofetil"},
                  {**span("cyclophosphamide"), "name": "cyclophosphamide"},
                  {**span("Steroids"), "name": "steroids", "class": True}],
        "doses": [],
        "trial_sizes": [{**span("25 patients"), "n": 25, "scope": "arm", "arm": "mycophenolate mofetil"}],
        "response_rates": [rate1, rate2],
        "p_values": [{**span("P = 0.002"), "operator": "=", "value": 0.002},
                     {**span("P < 0.05"), "operator": "<", "value": 0.05, "threshold": True}],
        "effects": [{**span("HR 0.72 (95% CI 0.58-0.89)"), "measure": "HR", "value": 0.72, "ci_low": 0.58,
                     "ci_high": 0.89, "ci_level": 95.0, "p_value": 0}],
        "arms": [{"label": "MMF", "drugs": [0], "doses": [], "n": 0,
                  "results": [{"outcome": "Complete remission", "response_rate": 0}], "effects": [0], "p_values": [0]},
                 {"label": "cyclophosphamide", "drugs": [1], "doses": [],
                  "results": [{"outcome": "Complete remission", "response_rate": 1}], "effects": [0], "p_values": [0]}],
        "checks": [{"check": "percent_mismatch", "message": "13/25 is 52.0%, not 52%",
                    "spans": [[rate1["start"], rate1["end"]]]}],
        "meta": {"model_version": "synthetic"},
    }


def test_offsets_overlaps_table_and_checks(server, browser):
    cdp = browser
    _open(cdp, server)
    result = _synthetic()
    before = SYNTH_TEXT[:SYNTH_TEXT.index("MMF")]
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
    first = cdp.js("window.trialexPage.textFromFile('a.jsonl', '{\"text\": \"一行目\"}\\n{\"text\": \"二行目\"}\\n')")
    assert first == "一行目"
    cdp.screenshot(ARTIFACTS / "page_synthetic.png")
    # crossing spans (neither inside the other): cut into pieces, each whole mention still shown
    text = "𠮷 a 20 mg b 30 c"
    crossing = {"lang": "en", "drugs": [], "trial_sizes": [{"start": 2, "end": 9, "text": "a 20 mg", "n": 20}],
                "doses": [{"start": 4, "end": 11, "text": "20 mg b", "min": 20, "max": 20, "unit": "mg",
                           "normalized": {"min": 20, "max": 20, "unit": "mg"}}],
                "response_rates": [], "p_values": []}
    cdp.js(f"window.trialexPage.show({json.dumps(crossing)}, {json.dumps(text)})")
    marks = {m["kind"]: m for m in cdp.js(MARKS_JS)}
    assert marks["size"]["text"] == "a 20 mg" and marks["dose"]["text"] == "20 mg b"
    assert marks["dose"]["pieces"] == 2 and marks["dose"]["visible"] and marks["size"]["visible"], marks
    assert cdp.js("document.getElementById('table-none').hidden") is False  # no arms: no table, said so
