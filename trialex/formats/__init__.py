"""Formats of curated or extracted documents (docs/formats.md).

Every module works on one in-memory shape, the *record* (trialex.formats.records):

* ``offsets``      — code points ↔ UTF-16 code units (JavaScript, Label Studio)
* ``records``      — the record; built from an extractor result; the JSONL reader
* ``values``       — a span's values as one line of text, and back (what curators type)
* ``label_studio`` — labelling config, tasks/predictions, annotations back to spans, ingestion
* ``gold``         — the spec's gold JSONL, both ways
* ``tokens``       — tokens aligned to span boundaries, for ``prodigy`` and ``spacy_docbin``
* ``prodigy``, ``doccano``, ``spacy_docbin`` — the training formats
* ``writers``      — :func:`~trialex.formats.writers.write`: any format to a path or stream
"""
