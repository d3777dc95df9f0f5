"""Service settings, read from the environment (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def default_workers() -> int:
    """TRIALEX_WORKERS: worker processes of `trialex serve` (each loads its own pipelines)."""
    return max(1, _int("TRIALEX_WORKERS", 1))


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    return raw.strip().lower() in ("1", "true", "yes", "on") if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    max_chars: int = 200_000        # TRIALEX_MAX_CHARS: longer texts get 413
    max_batch: int = 256            # TRIALEX_MAX_BATCH: more documents in a batch get 413
    max_body_bytes: int = 4_000_000  # TRIALEX_MAX_BODY_BYTES: larger request bodies get 413
    # TRIALEX_MAX_SECONDS: the time budget of one request's extraction, waiting for the engine included;
    # over it the request gets 503 with Retry-After and the worker is free again.  0: no limit.
    max_seconds: float = 30.0
    # Curation (docs/curation.md): the key of write endpoints, where corrections are stored, and
    # whether reads (extraction, /label-studio/predict, /v1/view) need the key too.
    api_key: str | None = field(default=None, repr=False)  # TRIALEX_API_KEY
    require_key_for_read: bool = False  # TRIALEX_REQUIRE_KEY_FOR_READ=1
    open_writes: bool = False  # TRIALEX_OPEN_WRITES=1: writes without a key when none is set (local use only)
    db_url: str | None = None  # TRIALEX_DB_URL: SQLAlchemy URL; default ./trialex-curation.sqlite3

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            max_chars=_int("TRIALEX_MAX_CHARS", cls.max_chars),
            max_batch=_int("TRIALEX_MAX_BATCH", cls.max_batch),
            max_body_bytes=_int("TRIALEX_MAX_BODY_BYTES", cls.max_body_bytes),
            max_seconds=_float("TRIALEX_MAX_SECONDS", cls.max_seconds),
            api_key=os.environ.get("TRIALEX_API_KEY") or None,
            require_key_for_read=_bool("TRIALEX_REQUIRE_KEY_FOR_READ"),
            open_writes=_bool("TRIALEX_OPEN_WRITES"),
            db_url=os.environ.get("TRIALEX_DB_URL") or None,
        )
