"""A spaCy DocBin."""

from __future__ import annotations

from trialex.formats.spacy_docbin import to_docbin

from .sample import TEXT, record


def test_docbin(tmp_path):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    rec = record()
    to_docbin([rec, dict(rec, id="doc-2", lang=None)], tmp_path / "x.spacy")
    doc, doc2 = DocBin().from_disk(tmp_path / "x.spacy").get_docs(Vocab())
    assert doc.text == TEXT
    assert [(s.text, s.label_) for s in doc.spans["sc"]] == \
        [("ＭＭＦ", "DRUG"), ("185 例", "TRIAL_SIZE"), ("56.2%", "RESPONSE_RATE"), ("P＝0.003", "P_VALUE")]
    assert [e.start_char for e in doc.ents] == [s["start"] for s in rec["spans"]]
    assert doc.user_data["trialex"]["id"] == "doc-1"
    assert doc2.user_data["trialex"]["lang"] == "ja"  # detected: the record had none
