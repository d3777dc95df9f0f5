"""API keys of the service (docs/curation.md, "The key").

* Write endpoints (anything that stores: /label-studio/setup, /label-studio/webhook) need the key
  of ``TRIALEX_API_KEY``.  With no key configured they are refused (403), unless
  ``TRIALEX_OPEN_WRITES=1`` opens them on purpose for local, single-user use.
* Reads (/v1/extract, /v1/extract/batch, /label-studio/predict, /v1/view of a text) are open
  unless ``TRIALEX_REQUIRE_KEY_FOR_READ=1``; then they need the same key.  Reading the store
  (/v1/view?doc=KEY) needs the key as a write does.
* /health, /ready and /label-studio/health are always open.

The key is accepted as ``X-API-Key: KEY``, ``Authorization: Bearer KEY``, ``Authorization: Token KEY``
or HTTP Basic with the key as password (any user name, also none) — Label Studio's ML backend
connection offers Basic authentication, and its webhooks can send extra headers.  In Basic the key
is read from the password only: a key sent as the user name with no password is no key (401).
A missing key is 401, a wrong one 403; keys are compared in constant time.  The published OpenAPI
schema declares the same (``SECURITY_SCHEMES``, set per route by app._publish).
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Depends, HTTPException, Request

from .config import Settings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="trialex", Basic realm="trialex"'}
_HOW = ("send X-API-Key: <key>, Authorization: Bearer <key>, or HTTP Basic with the key as password "
        "(TRIALEX_API_KEY)")

# The OpenAPI security schemes (any one of them carries the key).
SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY (or Token KEY)"},
    "Basic": {"type": "http", "scheme": "basic", "description": "the key as password; any user name"},
}
ACCESS_EXTENSION = "x-trialex-access"  # read by app._publish, which turns it into "security"


def write_access() -> dict:
    """Route arguments of an endpoint that stores data: the dependency, and the mark that makes the
    published schema declare the key (``security``)."""
    return {"dependencies": [Depends(require_write)], "openapi_extra": {ACCESS_EXTENSION: "write"}}


def read_access(store_parameters: bool = False) -> dict:
    """Route arguments of a read endpoint (the key only with TRIALEX_REQUIRE_KEY_FOR_READ=1);
    ``store_parameters``: some parameters read the store and need the key (/v1/view?doc=)."""
    return {"dependencies": [Depends(require_read)],
            "openapi_extra": {ACCESS_EXTENSION: "read+store" if store_parameters else "read"}}


def security_of(access: str | None, settings: Settings) -> list[dict] | None:
    """The OpenAPI ``security`` of an operation with this access under these settings (None: open)."""
    keyed: list[dict] = [{name: []} for name in SECURITY_SCHEMES]
    if access == "write":
        return keyed if settings.api_key or not settings.open_writes else None
    if access in ("read", "read+store"):
        if settings.require_key_for_read:
            return keyed
        return [{}] + keyed if access == "read+store" else None  # optional: the key for some parameters
    return None


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
        return password or None  # the key is the password; the user name is ignored
    return None


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _check(request: Request, what: str) -> None:
    settings = _settings(request)
    key = presented_key(request)
    if not key:
        raise HTTPException(401, f"{what} needs the API key: {_HOW}", headers=_CHALLENGE)
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
