"""write(): every format to a path or a stream."""

from __future__ import annotations

import io
import json

import pytest

from trialex.formats.records import parse_jsonl
from trialex.formats.writers import FORMATS, write

from .sample import TEXT, record


def test_write_each_format(tmp_path):
    out = tmp_path / "tasks.json"
    assert write([record()], "label-studio", out) == 1
    (task,) = json.loads(out.read_text(encoding="utf-8"))
    assert task["data"]["text"] == TEXT and task["predictions"][0]["result"]
    for fmt in ("prodigy", "doccano", "gold"):
        buf = io.StringIO()
        assert write([record(), record()], fmt, buf) == 2
        lines = parse_jsonl(buf.getvalue())
        assert [x["text"] for x in lines] == [TEXT, TEXT]
    assert write([record()], "spacy", tmp_path / "x.spacy") == 1 and (tmp_path / "x.spacy").stat().st_size > 0
    with pytest.raises(ValueError):
        write([record()], "spacy", tmp_path / "y.spacy", offsets="utf16")
    with pytest.raises(ValueError):
        write([record()], "brat", io.StringIO())
    assert "brat" not in FORMATS
