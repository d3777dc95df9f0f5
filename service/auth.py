"""API keys of the service (docs/curation.md, "The key").

* Write endpoints (anything that stores: /label-studio/setup, /label-studio/webhook) need the key
  of ``TRIALEX_API_KEY``.  With no key configured they are refused (403), unless
  ``TRIALEX_OPEN_WRITES=1`` opens them on purpose for local, single-user use.
* Reads (/v1/extract, /v1/extract/batch, /label-studio/predict, /v1/view of a text) are open
  unless ``TRIALEX_REQUIRE_KEY_FOR_READ=1``; then they need the same key.  Reading the store
  (/v1/view?doc=KEY) needs the key as a write does.
* /health, /ready and /label-studio/health are always open.

The key is accepted as ``X-API-Key: KEY``, ``Authorization: Bearer KEY``, ``Authorization: Token KEY``
or HTTP Basic with the key as password (any user name) — Label Studio's ML backend connection
offers Basic authentication, and its webhooks can send extra headers.  A missing key is 401, a
wrong one 403; keys are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import HTTPException, Request

from .config import Settings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="trialex", Basic realm="trialex"'}


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization") or ""
    scheme, _, value = auth.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in ("bearer", "token") and value:
        return value
    if scheme == "basic" and value:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password or user or None
    return None


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _check(request: Request, what: str) -> None:
    settings = _settings(request)
    key = presented_key(request)
    if not key:
        raise HTTPException(401, f"{what} needs the API key: send X-API-Key: <key> or "
                                 "Authorization: Bearer <key> (TRIALEX_API_KEY)", headers=_CHALLENGE)
    if not hmac.compare_digest(key.encode("utf-8"), (settings.api_key or "").encode("utf-8")):
        raise HTTPException(403, "wrong API key", headers=_CHALLENGE)


def require_write(request: Request) -> None:
    """Dependency of endpoints that store data."""
    settings = _settings(request)
    if not settings.api_key:
        if settings.open_writes:
            return
        raise HTTPException(403, "write endpoints are disabled: no API key is configured. Set TRIALEX_API_KEY "
                                 "(and send it as X-API-Key or Authorization: Bearer), or TRIALEX_OPEN_WRITES=1 "
                                 "for local single-user use")
    _check(request, "this endpoint stores data and")


def require_store_access(request: Request) -> None:
    """Reading what curators stored (``/v1/view?doc=``) needs the key like a write does:
    stored documents may be confidential even where extraction is open."""
    require_write(request)


def require_read(request: Request) -> None:
    """Dependency of read-only endpoints: open unless TRIALEX_REQUIRE_KEY_FOR_READ=1."""
    settings = _settings(request)
    if not settings.require_key_for_read:
        return
    if not settings.api_key:
        raise HTTPException(403, "TRIALEX_REQUIRE_KEY_FOR_READ=1 but no TRIALEX_API_KEY is configured: "
                                 "set the key")
    _check(request, "reading (TRIALEX_REQUIRE_KEY_FOR_READ=1)")
