"""Tokenizers of the two pipelines.

- English: one regex pass (words, single punctuation marks, whitespace runs) instead of
  spaCy's affix rules: the extractors match on characters, the tokens serve displays and
  exports, and the rule tokenizer alone capped the pipeline below 300 abstracts/s.
- Japanese: SudachiPy through spaCy's Japanese tokenizer, cut into chunks under Sudachi's
  49,149-byte input limit and joined again, so long texts still tokenize with exact offsets.
Both keep ``doc.text`` identical to the text sent.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

SUDACHI_MAX_BYTES = 49149
TEXT_KEY = "trialex_text"  # the text sent, kept so that nothing re-joins the tokens for it
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


class RegexTokenizer:
    def __init__(self, vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        for m in _TOKEN.finditer(text):
            tok = m.group()
            if tok[0].isspace():
                if words and not spaces[-1] and tok[0] == " ":
                    spaces[-1] = True
                    tok = tok[1:]
                if not tok:
                    continue
            words.append(tok)
            spaces.append(False)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[TEXT_KEY] = text
        return doc


@registry.tokenizers("trialex.RegexTokenizer.v1")
def create_regex_tokenizer():
    def make(nlp: Language) -> RegexTokenizer:
        return RegexTokenizer(nlp.vocab)

    return make


class ChunkedTokenizer:
    """Wraps Sudachi: texts over its byte limit are cut at sentence ends and re-joined."""

    def __init__(self, inner, vocab, max_bytes: int = SUDACHI_MAX_BYTES - 1024) -> None:
        self.inner = inner
        self.vocab = vocab
        self.max_bytes = max_bytes

    def __call__(self, text: str) -> Doc:
        if len(text) * 3 <= self.max_bytes or len(text.encode("utf-8")) <= self.max_bytes:
            doc = self.inner(text)
        else:
            docs = [self.inner(chunk) for chunk in split_for_sudachi(text, self.max_bytes)]
            doc = Doc.from_docs(docs, ensure_whitespace=False)
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
