"""Structured logs of the service: one JSON object a line on stderr.

The "trialex" loggers (the service logs each request as ``request`` with ``extra=``
request_id, method, path, status and ms) get a handler whose formatter writes the
standard fields (time, level, logger, message) plus every ``extra`` field.  The texts of
abstracts are never logged by default: fields that would carry them (``text``,
``texts``, ``body``, ``documents``) are dropped unless TRIALEX_LOG_TEXT=1.

Settings (service/config.py): TRIALEX_LOG_FORMAT (``json``, or ``text`` for a terminal),
TRIALEX_LOG_LEVEL (INFO) and TRIALEX_LOG_TEXT (0; 1 lets text-carrying fields through).

Under ``trialex serve`` uvicorn's own loggers are given the same formatter; its access
log is switched off in JSON mode because the service's ``request`` line replaces it (and
also carries the request id).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback

from .config import Settings

HANDLER_NAME = "trialex-json"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}
_STANDARD |= {"color_message"}  # uvicorn's copy of the message with terminal colours
TEXT_FIELDS = frozenset({"text", "texts", "body", "documents"})


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: ts, level, logger, msg, then the ``extra`` fields."""

    def __init__(self, log_text: bool = False) -> None:
        super().__init__()
        self.log_text = log_text

    def format(self, record: logging.LogRecord) -> str:
        out: dict = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if key in TEXT_FIELDS and not self.log_text:
                continue
            out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else _jsonable(value)
        if record.exc_info:
            out["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(out, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, with the extra fields as key=value."""

    def __init__(self, log_text: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.log_text = log_text

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{k}={v}" for k, v in vars(record).items()
                  if k not in _STANDARD and not k.startswith("_") and (self.log_text or k not in TEXT_FIELDS)]
        return line + (" " + " ".join(extras) if extras else "")


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def configure_logging(fmt: str | None = None, level: str | None = None, stream=None,
                      log_text: bool | None = None, settings: Settings | None = None) -> logging.Handler:
    """Give the "trialex" logger one structured handler (idempotent: replaces its own); what is
    not given comes from ``settings`` (default: the environment's)."""
    settings = settings or Settings()
    fmt = (fmt or settings.log_format).lower()
    log_text = settings.log_text if log_text is None else log_text
    formatter = TextFormatter(log_text) if fmt == "text" else JsonFormatter(log_text)
    logger = logging.getLogger("trialex")
    for h in list(logger.handlers):
        if h.get_name() == HANDLER_NAME:
            logger.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel((level or settings.log_level).upper())
    logger.propagate = False
    # uvicorn's loggers (when served by uvicorn): same format; the access log is replaced
    # by the service's own request line in JSON mode.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        for h in logging.getLogger(name).handlers:
            h.setFormatter(formatter)
    if fmt == "json":
        logging.getLogger("uvicorn.access").disabled = True
    return handler
