"""Schemathesis hooks of the service's schema (SCHEMATHESIS_HOOKS=tests.service.schemathesis_hooks).

The schema declares label configs as ``format: label-studio-config`` (a Label Studio labelling
config, XML the server parses); here is what such a string looks like, for generating valid ones."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import strategies as st

_CONFIG = (Path(__file__).resolve().parents[2] / "models" / "label_studio" / "config.xml").read_text(encoding="utf-8")
_SMALL = ('<View><Text name="abstract" value="$text"/><Labels name="ents" toName="abstract">'
          '<Label value="drug"/><Label value="p-value"/></Labels></View>')
LABEL_CONFIGS = st.sampled_from([_CONFIG, _SMALL])

schemathesis.openapi.format("label-studio-config", LABEL_CONFIGS)
