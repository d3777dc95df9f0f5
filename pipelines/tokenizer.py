"""Tokenizers of the two pipelines.

- English: one regex pass (words, single punctuation marks, whitespace runs) instead of
  spaCy's affix rules: the extractors match on characters, the tokens serve displays and
  exports, and the rule tokenizer alone capped the pipeline below 300 abstracts/s.
- Japanese: SudachiPy (split mode A) called directly, cut into chunks of at most 16 KiB
  (under Sudachi's 49,149-byte input limit), so long texts still tokenize with exact offsets
  and in time linear in their length: on some degenerate texts Sudachi's own time grows with
  the square of its input ("12例" repeated: 0.02 s for 4,000 characters, 0.2 s for 16,000,
  0.7 s for a 49 KB chunk); abstracts are far shorter than a chunk. spaCy's own
  Japanese tokenizer would also store each token's reading in the morphology table, which
  ``nlp.memory_zone()`` does not free: a service would grow with every new word. No
  component reads tags or readings.
Both keep ``doc.text`` identical to the text sent.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

SUDACHI_MAX_BYTES = 49149
SUDACHI_CHUNK_BYTES = 16384
TEXT_KEY = "trialex_text"  # the text sent, kept so that nothing re-joins the tokens for it
BUDGET_KEY = "trialex_budget"  # the Extractor's time budget, taken out by the normalizer
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


class RegexTokenizer:
    def __init__(self, vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str, budget=None) -> Doc:
        doc = _make_doc(self.vocab, (m.group() for m in _TOKEN.finditer(text)))
        doc.user_data[TEXT_KEY] = text
        return doc


def _make_doc(vocab, pieces) -> Doc:
    """A Doc from consecutive pieces of a text; a single space after a word becomes its
    trailing space, any other whitespace a token of its own, so doc.text is the text."""
    words: list[str] = []
    spaces: list[bool] = []
    for tok in pieces:
        if not tok:
            continue  # Sudachi gives an empty morpheme after some characters ("㎤")
        if tok[:1].isspace():
            if words and not spaces[-1] and tok[0] == " ":
                spaces[-1] = True
                tok = tok[1:]
            if not tok:
                continue
        words.append(tok)
        spaces.append(False)
    return Doc(vocab, words=words, spaces=spaces)


class SudachiTokenizer:
    """Sudachi split mode A, chunked under its byte limit; surfaces only, no morphology."""

    def __init__(self, vocab, max_bytes: int = SUDACHI_CHUNK_BYTES) -> None:
        from sudachipy import Dictionary, SplitMode

        self.vocab = vocab
        self.max_bytes = max_bytes
        self._sudachi = Dictionary().tokenizer(mode=SplitMode.A)

    def __call__(self, text: str, budget=None) -> Doc:
        """``budget`` (base.Budget), if given, is checked before each chunk."""
        if len(text) * 3 <= self.max_bytes or len(text.encode("utf-8")) <= self.max_bytes:
            chunks = [text]
        else:
            chunks = split_for_sudachi(text, self.max_bytes)
        if budget is not None:
            chunks = budget.checked(chunks, every=1)
        doc = _make_doc(self.vocab, (m.surface() for chunk in chunks for m in self._sudachi.tokenize(chunk)))
        if len(doc.text) != len(text):  # surfaces that do not add up to the text: never lose it
            doc = _make_doc(self.vocab, (m.group() for m in _TOKEN.finditer(text)))
        doc.user_data[TEXT_KEY] = text
        return doc


def split_for_sudachi(text: str, max_bytes: int) -> list[str]:
    """Cut ``text`` into chunks of at most ``max_bytes`` UTF-8 bytes, at 。/newline/space if possible."""
    chunks, start = [], 0
    while start < len(text):
        end, size = start, 0
        while end < len(text) and size + len(text[end].encode("utf-8")) <= max_bytes:
            size += len(text[end].encode("utf-8"))
            end += 1
        if end < len(text):
            cut = max(text.rfind(sep, start, end) for sep in ("。", "\n", ". ", " "))
            if cut > start:
                end = cut + 1
        chunks.append(text[start:end])
        start = end
    return chunks
