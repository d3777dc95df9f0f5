"""A real server and a real browser, for tests and scripts/screenshots.py.

:func:`live_server` runs an app under uvicorn on 127.0.0.1 and a free port, in a thread of the
calling process (so a test shares the session's loaded extractor).  :func:`chromium` starts
headless Chromium with --remote-debugging-port=0 and yields a :class:`CDP` client of its page,
driven over the DevTools websocket (the ``websockets`` package that uvicorn[standard] brings).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from base64 import b64decode
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

# no proxy for 127.0.0.1, whatever the environment says
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve ``app``; yields the base URL; stops the server on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# --------------------------------------------------------------------------- the browser

class NoBrowser(RuntimeError):
    """No Chromium installed, or it did not start (tests skip on it)."""


def chromium_binary() -> str | None:
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
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {expression}")

    def open(self, url: str, ready: str = "true") -> None:
        """Navigate and wait until the page has loaded and ``ready`` (an expression) is true."""
        self.send("Page.navigate", url=url)
        self.wait_for(f"document.readyState === 'complete' && location.href === {json.dumps(url)} && ({ready})")

    def key(self, key: str, code: str, vk: int, modifiers: int = 0, text: str | None = None) -> None:
        """Press and release a key; with ``text`` the press also types it (a button then activates)."""
        down = {"type": "keyDown", "text": text, "unmodifiedText": text} if text else {"type": "rawKeyDown"}
        for event in (down, {"type": "keyUp"}):
            self.send("Input.dispatchKeyEvent", key=key, code=code, windowsVirtualKeyCode=vk,
                      nativeVirtualKeyCode=vk, modifiers=modifiers, **event)

    def tab(self, shift: bool = False) -> None:
        self.key("Tab", "Tab", 9, modifiers=8 if shift else 0)

    def screenshot(self, path: Path, full: bool = True) -> None:
        """A PNG of the whole page (``full``) or of the viewport."""
        params = {}
        if full:
            height = self.js("Math.ceil(document.documentElement.scrollHeight)")
            width = self.js("Math.ceil(document.documentElement.clientWidth)")
            params = {"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height,
                                                              "scale": 1}}
        shot = self.send("Page.captureScreenshot", format="png", **params)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b64decode(shot["data"]))


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[CDP]:
    """Headless Chromium with one page of ``width`` x ``height`` CSS pixels; yields its CDP client.
    Raises :class:`NoBrowser` when Chromium is missing or does not start."""
    binary = chromium_binary()
    if not binary:
        raise NoBrowser("no Chromium installed (apt-get install -y chromium fonts-ipafont-gothic)")
    try:
        from websockets.sync.client import connect
    except ImportError as exc:  # pragma: no cover - uvicorn[standard] brings it
        raise NoBrowser("the websockets package drives Chromium") from exc
    profile = tempfile.mkdtemp(prefix="trialex-chromium-")
    proc = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
         f"--window-size={width},{height}", "--lang=en-US", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise NoBrowser(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with LOCAL.open(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10, proxy=None) as ws:
            cdp = CDP(ws)
            cdp.send("Page.enable")
            cdp.send("Runtime.enable")
            cdp.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
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


# --------------------------------------------------------------------------- the curator page at /

PAGE_READY = "!!window.trialexPage && !!document.getElementById('text')"
RESULT_SHOWN = ("document.getElementById('status').textContent.startsWith('Done')"
                " || document.getElementById('alert').textContent !== ''")
_LANG_KEYS = {"auto": ("a", "KeyA", 65), "ja": ("j", "KeyJ", 74), "en": ("e", "KeyE", 69)}


def paste_and_extract(cdp: CDP, base: str, text: str, lang: str = "auto", before_submit: str | None = None) -> None:
    """As a person does on the page at ``base``: paste ``text`` into the box (as an IME or a paste
    commits it), pick the language from the keyboard (its first letter on the focused select),
    press Ctrl+Enter and wait for the result (or an error).  ``before_submit``: a script run
    in the page just before the key press."""
    cdp.open(base, PAGE_READY)
    cdp.js("document.getElementById('lang').focus()")
    cdp.key(*_LANG_KEYS[lang], text=_LANG_KEYS[lang][0])
    assert cdp.js("document.getElementById('lang').value") == lang
    cdp.js("document.getElementById('text').focus()")
    cdp.send("Input.insertText", text=text)
    if before_submit:
        cdp.js(before_submit)
    cdp.key("Enter", "Enter", 13, modifiers=2)  # Ctrl+Enter submits
    cdp.wait_for(RESULT_SHOWN, timeout=30)
