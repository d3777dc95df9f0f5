"""Language of a document: "ja" as soon as it holds Japanese script, else "en".

Trial abstracts are either English or Japanese prose that quotes English; any run of kana
or kanji decides for the Japanese pipeline, whose components handle the English inside it
too (both languages' cue words are always loaded).  Script counting is exact for this
two-way choice and costs microseconds; a statistical detector (lingua) would add nothing.
"""

from __future__ import annotations

import re

_JA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
LANGS = ("ja", "en")


def detect(text: str, min_chars: int = 1) -> str:
    """'ja' if the text holds at least ``min_chars`` kana/kanji characters, else 'en'."""
    count = 0
    for _ in _JA.finditer(text):
        count += 1
        if count >= min_chars:
            return "ja"
    return "en"
