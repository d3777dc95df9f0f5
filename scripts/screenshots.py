"""Screenshots of the curator page for the README, and its load and response times.

Runs the app (the default pipeline, loaded once) under uvicorn on 127.0.0.1 and drives headless
Chromium through tests/service/live.py, the driver of tests/service/test_page.py: it pastes an
example abstract (written for this script, in English and in Japanese), picks the language,
presses Ctrl+Enter and saves the whole page with its result.

    .venv/bin/python scripts/screenshots.py                 # docs/img/page-en.png, docs/img/page-ja.png
    .venv/bin/python scripts/screenshots.py --timings 20    # also: load and submit times (docs/page.md)

Needs Chromium (apt-get install -y chromium fonts-ipafont-gothic).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.service.live: the browser driver shared with the tests

from tests.service.live import CDP, chromium, live_server, paste_and_extract  # noqa: E402
from trialex.service.app import Engine, create_app  # noqa: E402

EXAMPLES = {
    "en": (
        "Background: Lupus nephritis often relapses after the first course of treatment. Methods: In this "
        "open-label randomized trial, 120 patients were assigned to mycophenolate mofetil 1.5 g twice daily or "
        "to intravenous cyclophosphamide 500 mg every 2 weeks; corticosteroids were tapered in both groups. "
        "Results: Complete remission at 24 weeks occurred in 33 of 60 patients (55.0%) in the mycophenolate "
        "mofetil group and in 21 of 60 patients (35.0%) in the cyclophosphamide group (odds ratio 2.27, 95% CI "
        "1.08-4.77; P = 0.03). P < 0.05 was considered significant."
    ),
    "ja": (
        "【目的】ループス腎炎の寛解導入におけるタクロリムスの有効性を検討した。"
        "【方法】非盲検無作為化比較試験で 96 例を登録し，"
        "タクロリムス 3 mg/日群とシクロホスファミド 500 mg 群に割り付けた。ステロイドは両群で漸減した。"
        "【結果】24 週時の完全寛解はタクロリムス群 48 例中 28 例（58.3%），シクロホスファミド群 48 例中 18 例（37.5%）"
        "であった（オッズ比 2.33，95%信頼区間 1.02～5.32，P＝0.04）。有意水準は P＜0.05 とした。"
    ),
}
MAX_BYTES = 300_000
WIDTH, HEIGHT = 1100, 800  # CSS pixels of the window (the page's column is at most 72rem wide)

# Times in the page, from its own clock: the key event's timestamp to the status saying "Done"
# (the result is in the DOM) and to the frame after it (the result is painted).
TIME_SUBMIT = """window.__timing = new Promise(resolve => {
  let t0 = null;
  addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) t0 = e.timeStamp; }, true);
  const status = document.getElementById('status');
  new MutationObserver((_, obs) => {
    if (!status.textContent.startsWith('Done')) return;
    obs.disconnect();
    const inDom = performance.now() - t0;
    const fetched = performance.getEntriesByType('resource').filter(r => r.name.endsWith('/v1/extract')).pop();
    requestAnimationFrame(() => setTimeout(() => resolve({
      result_in_dom_ms: inDom, result_painted_ms: performance.now() - t0,
      request_ms: fetched ? fetched.duration : null})));
  }).observe(status, {childList: true, characterData: true, subtree: true});
});
true  // not the promise: it is read after the submit"""

NAVIGATION = """(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {first_byte_ms: n.responseStart, dom_content_loaded_ms: n.domContentLoadedEventEnd,
          load_ms: n.loadEventEnd, first_contentful_paint_ms: fcp ? fcp.startTime : null,
          transfer_bytes: n.transferSize + performance.getEntriesByType('resource')
            .filter(r => r.name.includes('/static/')).reduce((a, r) => a + r.transferSize, 0)};
})()"""


def screenshot(cdp: CDP, base: str, lang: str, out: Path) -> None:
    paste_and_extract(cdp, base, EXAMPLES[lang], lang)
    alert = cdp.js("document.getElementById('alert').textContent")
    if alert:
        raise SystemExit(f"{lang}: the page says {alert!r}")
    cdp.js("document.activeElement.blur(); window.scrollTo(0, 0)")  # no focus ring on the box in the picture
    cdp.screenshot(out)
    size = out.stat().st_size
    print(f"{out}: {size / 1000:.0f} kB")
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes, more than {MAX_BYTES}")


def timings(cdp: CDP, base: str, runs: int) -> dict:
    """Median and maximum over ``runs`` fresh loads (browser cache off) and submits per language,
    after one warm-up load and submit per language that are not counted.  The load does not
    depend on the language: its samples are pooled under "page"."""
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", cacheDisabled=True)
    samples: dict[str, dict[str, list[float]]] = {}
    for lang, text in EXAMPLES.items():
        for i in range(runs + 1):
            paste_and_extract(cdp, base, text, lang, before_submit=TIME_SUBMIT)
            load, submit = cdp.js(NAVIGATION), cdp.js("window.__timing")
            for group, got in (("page", load), (lang, submit)):
                for k, v in got.items():
                    if i and v is not None:
                        samples.setdefault(group, {}).setdefault(k, []).append(v)
    report: dict = {
        "runs": runs,
        "window": [WIDTH, HEIGHT],
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    for group, values in samples.items():
        report[group] = {
            k: {"median": round(statistics.median(v), 1), "max": round(max(v), 1), "n": len(v)}
            for k, v in values.items()
        }
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--timings", type=int, default=0, metavar="N", help="also measure N loads and submits per language")
    args = ap.parse_args(argv)
    logging.getLogger("trialex.service").setLevel(logging.WARNING)  # no request log lines
    engine = Engine()
    engine.load()
    if engine.extractor is None:
        raise SystemExit(f"the pipelines did not load: {engine.error}")
    with live_server(create_app(engine=engine)) as url, chromium(WIDTH, HEIGHT) as cdp:
        base = url + "/"
        for lang in EXAMPLES:
            screenshot(cdp, base, lang, args.out / f"page-{lang}.png")
        if args.timings:
            print(json.dumps(timings(cdp, base, args.timings), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
