"""The service's settings: one pydantic-settings class for every TRIALEX_* variable, the
defaults documented in docs/api.md, and nothing else in service/ reading the environment."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from pathlib import Path

import pydantic
import pytest

from trialex.service.config import Settings, default_workers
from trialex.service.logging_config import configure_logging

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TRIALEX_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_every_variable_is_read_with_its_type(clean_env):
    assert Settings() == Settings(max_chars=200_000, max_batch=256, max_body_bytes=4_000_000, max_seconds=30.0)
    env = {
        "MAX_CHARS": "5000",
        "MAX_BATCH": "3",
        "MAX_BODY_BYTES": "9000",
        "MAX_SECONDS": "0.5",
        "API_KEY": "s3cret-key",
        "REQUIRE_KEY_FOR_READ": "1",
        "OPEN_WRITES": "yes",
        "DB_URL": "sqlite:///x.db",
        "DB_SCHEMA": "cur",
        "WORKERS": "4",
        "LOG_FORMAT": "text",
        "LOG_TEXT": "true",
        "LOG_LEVEL": "debug",
    }
    for name, value in env.items():
        clean_env.setenv(f"TRIALEX_{name}", value)
    s = Settings()
    assert (s.max_chars, s.max_batch, s.max_body_bytes, s.max_seconds) == (5000, 3, 9000, 0.5)
    assert (s.api_key, s.require_key_for_read, s.open_writes) == ("s3cret-key", True, True)
    assert (s.db_url, s.db_schema, s.workers) == ("sqlite:///x.db", "cur", 4)
    assert (s.log_format, s.log_text, s.log_level) == ("text", True, "debug")
    assert "s3cret" not in repr(s)  # the key stays out of logs and tracebacks
    assert default_workers() == 4


def test_empty_is_unset_and_a_bad_value_is_refused(clean_env):
    clean_env.setenv("TRIALEX_MAX_CHARS", "")
    clean_env.setenv("TRIALEX_API_KEY", "")
    assert Settings().max_chars == 200_000 and Settings().api_key is None
    clean_env.setenv("TRIALEX_MAX_BATCH", "many")
    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_logging_follows_the_settings(clean_env):
    stream = io.StringIO()
    try:
        configure_logging(stream=stream, settings=Settings(log_format="text", log_level="warning"))
        logging.getLogger("trialex.service").info("hidden")
        logging.getLogger("trialex.service").warning("shown", extra={"text": "abstract"})
        configure_logging(stream=stream, settings=Settings(log_text=True))
        logging.getLogger("trialex.service").info("json", extra={"text": "abstract"})
    finally:
        configure_logging()
    first, second = stream.getvalue().splitlines()
    assert "WARNING trialex.service: shown" in first and "abstract" not in first
    assert json.loads(second)["text"] == "abstract"


def test_the_documented_table_is_complete():
    table = dict(re.findall(r"^\| `(TRIALEX_\w+)` \| ([^|]+) \|", (ROOT / "docs/api.md").read_text("utf-8"), re.M))
    for name, field in Settings.model_fields.items():
        default = field.default
        written = (
            "unset"
            if default is None
            else "0"
            if default is False
            else f"{default:g}"
            if isinstance(default, float)
            else str(default)
        )
        assert table.get(f"TRIALEX_{name.upper()}", "").strip() == written, name


def test_no_environment_reads_elsewhere_in_the_service():
    for path in (ROOT / "service").rglob("*.py"):
        source = path.read_text("utf-8")
        assert "os.environ" not in source and "getenv" not in source, path
