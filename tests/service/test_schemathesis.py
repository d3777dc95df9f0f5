"""Schemathesis against the service, with every check and the API key: 0 failures.

The CLI (`schemathesis run -c all`: examples, coverage, fuzzing and stateful phases) tests a real
uvicorn server on 127.0.0.1 (a free port, in a thread: it shares the session's loaded extractor)
through the app's own /openapi.json, with a bounded number of derandomized examples per operation
and a scratch curation store.  tests/service/schemathesis.toml counts 413 as a rejection (how the
API refuses a text over maxLength or a list over maxItems); tests/service/schemathesis_hooks.py
says what a ``format: label-studio-config`` string is.  The same command, with its numbers, is in
docs/deployment.md ("Bad input").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")

from tests.service.live import live_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY = "schemathesis-key"
MAX_EXAMPLES = 30
# Small limits keep generated boundary cases (maxLength, maxItems) quick to make and to extract.
SETTINGS = {"api_key": KEY, "max_chars": 1000, "max_batch": 8}


def schemathesis_command(url: str, max_examples: int = MAX_EXAMPLES, seed: int = 1) -> list[str]:
    return [sys.executable, "-m", "schemathesis.cli", "--config-file", str(ROOT / "tests/service/schemathesis.toml"),
            "run", f"{url}/openapi.json", "--checks", "all", "--header", f"X-API-Key: {KEY}",
            "--max-examples", str(max_examples), "--seed", str(seed), "--generation-database", "none",
            "--no-color"]


def test_schemathesis_all_checks_find_nothing(make_app, tmp_path):
    app = make_app(**SETTINGS, db_url=f"sqlite:///{tmp_path / 'curation.sqlite3'}")
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.service.schemathesis_hooks",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with live_server(app) as url:
        run = subprocess.run(schemathesis_command(url), cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300)
    out = run.stdout + run.stderr
    summary = re.search(r"(\d+) generated, (\d+) passed", out)
    assert run.returncode == 0 and summary, out[-6000:]
    assert summary.group(1) == summary.group(2) and int(summary.group(1)) > 500, summary.group(0)
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", out), (phase, out[-3000:])
    assert re.search(r"Operations:\s+15 selected / 15 total", out), out[:1500]
