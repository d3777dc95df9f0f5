"""Every format behind one call: :func:`write` (used by ``trialex export``)."""

from __future__ import annotations

import json

from .doccano import to_doccano
from .gold import to_gold
from .label_studio import to_label_studio
from .prodigy import to_prodigy
from .spacy_docbin import to_docbin

FORMATS = ("label-studio", "prodigy", "doccano", "gold", "spacy")


def write(records: list[dict], fmt: str, out, offsets: str | None = None) -> int:
    """Write records in one format to a path or text stream (DocBin: a path); returns the count."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if fmt == "spacy":
        if offsets == "utf16":
            raise ValueError("spaCy counts code points: --offsets utf16 does not apply to a DocBin")
        to_docbin(records, out)
        return len(records)
    if fmt == "label-studio":
        payload = json.dumps(to_label_studio(records, offsets or "utf16"), ensure_ascii=False, indent=1)
        lines = None
    else:
        writer = {"prodigy": to_prodigy, "doccano": to_doccano, "gold": to_gold}[fmt]
        lines = [json.dumps(x, ensure_ascii=False) for x in writer(records, offsets or "codepoint")]
        payload = "\n".join(lines) + ("\n" if lines else "")
    if hasattr(out, "write"):
        out.write(payload)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(payload)
    return len(records)
