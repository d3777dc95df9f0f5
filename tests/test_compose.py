"""The curators' set-up: compose.yaml (Label Studio + trialex + PostgreSQL) and the webhook
payloads of docs/curation.md, posted exactly as written there."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient

from trialex.service.app import Engine, create_app
from trialex.service.config import Settings
from trialex.store import CurationStore

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
ENV = {"TRIALEX_API_KEY": "k", "LABEL_STUDIO_USER_TOKEN": "t"}  # the variables compose.yaml requires


def expand(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message} (the forms compose.yaml uses)."""
    env = env if env is not None else {}

    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", sub, value)


def test_services_ports_and_images():
    assert set(SERVICES) == {"postgres", "trialex", "label-studio"}
    expose = re.findall(r"^EXPOSE\s+(\d+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M)
    trialex = SERVICES["trialex"]
    assert (
        trialex["build"]["dockerfile"] == "Dockerfile" and (ROOT / trialex["build"]["context"] / "Dockerfile").exists()
    )
    assert [p.split(":")[-1] for p in trialex["ports"]] == expose == ["8000"]
    assert [p.split(":")[-1] for p in SERVICES["label-studio"]["ports"]] == ["8080"]
    for name in ("postgres", "label-studio"):  # pinned: a version, not latest
        image = SERVICES[name]["image"]
        assert re.search(r":\d+(\.\d+)+$", image), image
    assert "heartexlabs/label-studio" in SERVICES["label-studio"]["image"]
    for name, svc in SERVICES.items():
        assert svc["healthcheck"]["test"][0] == "CMD", name
    # trialex's healthcheck asks its own port's /health, as the Dockerfile's does
    assert "127.0.0.1:8000/health" in " ".join(trialex["healthcheck"]["test"])


def test_the_database_url_names_the_postgres_service_and_its_credentials():
    pg_env = SERVICES["postgres"]["environment"]
    trialex_env = SERVICES["trialex"]["environment"]
    url = urlsplit(expand(trialex_env["TRIALEX_DB_URL"]))
    assert url.scheme.startswith("postgresql") and url.hostname == "postgres" and url.port == 5432
    assert url.username == expand(pg_env["POSTGRES_USER"]) and url.password == expand(pg_env["POSTGRES_PASSWORD"])
    assert url.path.lstrip("/") == expand(pg_env["POSTGRES_DB"])
    # the password is one variable for the three services
    other = {"POSTGRES_PASSWORD": "s3cret"}
    assert (
        urlsplit(expand(trialex_env["TRIALEX_DB_URL"], other)).password
        == "s3cret"
        == expand(SERVICES["label-studio"]["environment"]["POSTGRE_PASSWORD"], other)
    )
    assert SERVICES["trialex"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    ls = SERVICES["label-studio"]
    assert ls["environment"]["POSTGRE_HOST"] == "postgres" and ls["environment"]["POSTGRE_NAME"] == url.path.lstrip("/")
    assert ls["depends_on"]["trialex"]["condition"] == "service_healthy"
    # the key is required, never defaulted
    with pytest.raises(KeyError):
        expand(trialex_env["TRIALEX_API_KEY"])
    assert expand(trialex_env["TRIALEX_API_KEY"], ENV) == "k"


def test_label_studio_is_given_trialex_as_its_ml_backend():
    url = urlsplit(SERVICES["label-studio"]["environment"]["TRIALEX_ML_BACKEND_URL"])
    assert url.hostname == "trialex" and str(url.port) == SERVICES["trialex"]["ports"][0].split(":")[-1]
    assert url.path == "/label-studio"
    paths = set(create_app(Settings(), Engine()).openapi()["paths"])  # the backend's routes live under it
    assert {"/label-studio/predict", "/label-studio/setup", "/label-studio/webhook"} <= paths


def _compose_commands() -> list[list[str]]:
    found = []
    bindir = Path(sys.executable).parent
    for cmd in (["docker", "compose"], ["podman", "compose"]):
        if shutil.which(cmd[0]) and subprocess.run([*cmd, "version"], capture_output=True, timeout=60).returncode == 0:
            found.append([*cmd, "-f", str(ROOT / "compose.yaml"), "config"])
    pc = shutil.which("podman-compose") or shutil.which("podman-compose", path=str(bindir))
    if pc:  # --dry-run: no container engine needed to read and check the file
        found.append([pc, "--dry-run", "-f", str(ROOT / "compose.yaml"), "config"])
    return found


def test_compose_config_accepts_the_file():
    commands = _compose_commands()
    if not commands:
        pytest.skip("no `docker compose`, `podman compose` or `podman-compose` on this machine")
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    for cmd in commands:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env={**env, **ENV})
        assert out.returncode == 0, (cmd, out.stderr)
        assert "TRIALEX_DB_URL" in out.stdout and "postgres:5432" in out.stdout
        missing = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
        assert missing.returncode != 0 and "TRIALEX_API_KEY" in missing.stdout + missing.stderr, cmd


# -- the webhook payloads of docs/curation.md ---------------------------------------------

KEY = "compose-test-key"


def doc_payloads() -> dict[str, dict]:
    """The JSON blocks of docs/curation.md that are webhook payloads, by action."""
    text = (ROOT / "docs" / "curation.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    return {b["action"]: b for b in blocks if isinstance(b, dict) and "action" in b}


def test_the_documented_webhook_payloads_are_stored(tmp_path, extractor):
    payloads = doc_payloads()
    assert set(payloads) == {"ANNOTATION_CREATED", "ANNOTATION_UPDATED"}
    engine = Engine()
    engine.extractor = extractor
    engine.loaded.set()
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with TestClient(create_app(Settings(api_key=KEY, db_url=db), engine)) as client:
        for action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED"):
            r = client.post("/label-studio/webhook", json=payloads[action], headers={"X-API-Key": KEY})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "stored" and len(r.json()["stored"]) == 1
    store = CurationStore(db)
    try:
        history = store.history("ja-201")
        assert [h["version"] for h in history] == [1, 2] and [h["action"] for h in history] == ["created", "updated"]
        (record,) = store.curated(["ja-201"])
    finally:
        store.close()
    task = payloads["ANNOTATION_UPDATED"]["task"]
    assert record["text"] == task["data"]["text"] and record["version"] == 2
    spans = {s["kind"]: s for s in record["spans"]}
    assert set(spans) == {"drug", "trial_size", "response_rate", "p_value"}
    for s in record["spans"]:  # offsets slice the text that was sent
        assert record["text"][s["start"] : s["end"]] == s["text"]
    assert spans["drug"]["text"] == "ＭＭＦ" and spans["drug"]["name"] == "mycophenolate mofetil"
    assert spans["trial_size"]["n"] == 185
    assert spans["response_rate"]["percent"] == 56.2
    assert (spans["p_value"]["operator"], spans["p_value"]["value"]) == ("=", 0.003)
