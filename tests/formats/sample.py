"""A Japanese sentence with astral characters and its record, shared by the format tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (ROOT / "models" / "label_studio" / "config.xml").read_text(encoding="utf-8")

# 𠮟 (U+20B9F) and 😀 are astral: two UTF-16 code units each, one Python code point.
TEXT = "𠮟😀 ＭＭＦ群では 185 例中 104 例（56.2%）が完全寛解（P＝0.003）。"


def record() -> dict:
    def at(s: str) -> tuple[int, int]:
        i = TEXT.index(s)
        return i, i + len(s)

    spans = []
    for kind, surface, values in [
        ("drug", "ＭＭＦ", {"name": "mycophenolate mofetil"}),
        ("trial_size", "185 例", {"n": 185, "scope": "arm"}),
        ("response_rate", "56.2%", {"percent": 56.2, "numerator": 104, "denominator": 185, "outcome": "完全寛解"}),
        ("p_value", "P＝0.003", {"operator": "=", "value": 0.003}),
    ]:
        s, e = at(surface)
        spans.append({"kind": kind, "start": s, "end": e, "text": surface, **values})
    return {"id": "doc-1", "lang": "ja", "text": TEXT, "spans": spans}
