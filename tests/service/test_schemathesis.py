"""Property-based requests generated from the app's own OpenAPI schema: no 5xx, ever.

Schemathesis reads /openapi.json of the app in-process (ASGI, no server, no network) and
sends each operation a bounded number of generated requests, valid and invalid.  Examples
are derandomized (the same on every run) and nothing is kept between runs.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402  (after the importorskip)

from trialex.service.app import Engine, create_app  # noqa: E402
from trialex.service.config import Settings  # noqa: E402


# The schema is read at collection time (schemathesis parametrizes from it); the pipelines
# are handed over by the session's extractor fixture before the first request.
ENGINE = Engine()
_SCRATCH = tempfile.mkdtemp(prefix="trialex-schemathesis-")
_OPTIONS: dict = {"max_chars": 20_000, "max_batch": 8}
if "db_url" in {f.name for f in dataclasses.fields(Settings)}:  # the curation store, if any: a scratch one
    _OPTIONS["db_url"] = f"sqlite:///{Path(_SCRATCH) / 'curation.sqlite3'}"
APP = create_app(Settings(**_OPTIONS), ENGINE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def loaded_engine(extractor):
    ENGINE.extractor = extractor
    ENGINE.loaded.set()
    yield ENGINE
    shutil.rmtree(_SCRATCH, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.body, response.status_code, response.text[:500])
