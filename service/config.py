"""Service settings, read from the environment (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    max_chars: int = 200_000        # TRIALEX_MAX_CHARS: longer texts get 413
    max_batch: int = 256            # TRIALEX_MAX_BATCH: more documents in a batch get 413
    max_body_bytes: int = 4_000_000  # TRIALEX_MAX_BODY_BYTES: larger request bodies get 413

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            max_chars=_int("TRIALEX_MAX_CHARS", cls.max_chars),
            max_batch=_int("TRIALEX_MAX_BATCH", cls.max_batch),
            max_body_bytes=_int("TRIALEX_MAX_BODY_BYTES", cls.max_body_bytes),
        )
