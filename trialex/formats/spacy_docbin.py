"""A spaCy DocBin (binary, for ``spacy train``): tokens aligned to every span boundary."""

from __future__ import annotations

from collections.abc import Iterable

from .records import record_lang
from .tokens import TRAIN_LABELS, train_tokens


def to_docbin(records: Iterable[dict], path=None):
    """A spaCy DocBin: one Doc per record, its tokens aligned to every span boundary, the spans
    in ``doc.spans["sc"]`` (overlaps allowed) and the longest non-overlapping ones in
    ``doc.ents``; id, lang and the values in ``doc.user_data["trialex"]``.  Code-point offsets
    only (spaCy counts code points)."""
    from spacy.tokens import Doc, DocBin
    from spacy.util import filter_spans
    from spacy.vocab import Vocab

    vocab = Vocab()
    db = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for rec in records:
        text = rec["text"]
        spans, tokens = train_tokens(rec)
        doc = Doc(vocab, words=[t["text"] for t in tokens], spaces=[t["ws"] for t in tokens])
        assert doc.text == text, "tokenisation lost characters"
        sc = []
        for s in spans:
            span = doc.char_span(s["start"], s["end"], label=TRAIN_LABELS[s["kind"]], alignment_mode="strict")
            assert span is not None, (rec.get("id"), s)
            sc.append(span)
        doc.spans["sc"] = sc
        doc.ents = filter_spans(sc)
        doc.user_data["trialex"] = {
            "id": rec.get("id"), "lang": record_lang(rec),
            "spans": [{k: v for k, v in s.items() if not k.startswith("_")} for s in spans]}
        db.add(doc)
    if path is not None:
        db.to_disk(path)
    return db
