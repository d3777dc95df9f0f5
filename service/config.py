"""The service's settings: every TRIALEX_* variable the service reads, in one pydantic-settings
class (the table with defaults: docs/api.md, "Settings").  Nothing else in service/ reads the
environment.  An empty variable counts as unset (the default applies)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIALEX_", env_ignore_empty=True, frozen=True, extra="ignore")

    max_chars: int = Field(200_000, description="longest text accepted (413 over it)")
    max_batch: int = Field(256, description="most documents (tasks, annotations) in one request (413 over it)")
    max_body_bytes: int = Field(4_000_000, description="largest request body (413 over it)")
    max_seconds: float = Field(30.0, description="time budget of one request's extraction, waiting for the "
                               "engine included (503 with Retry-After over it); 0: none")
    # Curation (docs/curation.md): the key of write endpoints, where corrections are stored, and
    # whether reads (extraction, /label-studio/predict, /v1/view) need the key too.
    api_key: str | None = Field(None, repr=False, description="the API key of write endpoints (and of reads "
                                "with require_key_for_read)")
    require_key_for_read: bool = Field(False, description="1: extraction, /label-studio/predict and /v1/view "
                                       "need the key too")
    open_writes: bool = Field(False, description="1: writes without a key when none is set (local use only)")
    db_url: str | None = Field(None, description="SQLAlchemy URL of the curation store; unset: the store's "
                               "default (trialex.store.default_url)")
    db_schema: str | None = Field(None, description="PostgreSQL schema of the store's tables (created if missing)")
    workers: int = Field(1, description="worker processes of `trialex serve` (each loads its own pipelines)")
    log_format: str = Field("json", description="`json` (one object a line) or `text` (plain, for a terminal)")
    log_text: bool = Field(False, description="1 lets text-carrying log fields through (debugging only)")
    log_level: str = Field("INFO", description="level of the trialex loggers")


def default_workers() -> int:
    """TRIALEX_WORKERS: worker processes of `trialex serve` (at least 1)."""
    return max(1, Settings().workers)
