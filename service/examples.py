"""Examples of the published schema (service/examples.json): an English and a Japanese abstract,
written for the API, with what the service answers for them (results, the evidence table, Label
Studio predictions, abridged to one drug and one response rate a task).  tests/service/test_docs.py
checks that each validates against its model, that its offsets slice its text, and that the
service finds these spans in these texts."""

from __future__ import annotations

import json
from pathlib import Path

_EXAMPLES = json.loads((Path(__file__).parent / "examples.json").read_text(encoding="utf-8"))
EN_TEXT, EN_RESULT = _EXAMPLES["en"]["text"], _EXAMPLES["en"]["result"]
JA_TEXT, JA_RESULT = _EXAMPLES["ja"]["text"], _EXAMPLES["ja"]["result"]
TABLE = _EXAMPLES["table"]
PREDICTIONS = _EXAMPLES["predictions"]
