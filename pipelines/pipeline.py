"""Assembly of the trialex pipelines and the JSON result of one document.

Two spaCy pipelines share the same components and differ only in the tokenizer:
``spacy.blank("en")`` with a one-regex tokenizer and ``spacy.blank("ja")`` with SudachiPy
(split mode A, chunked under Sudachi's 49,149-byte input limit), see tokenizer.py.  No statistical component runs by default: on the
project's gold they would not change a single extraction, and ja_ginza costs 100x the time
(docs/design.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from importlib.metadata import version

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import doses, drugs, p_values, response_rates, trial_sizes  # noqa: F401  (register factories)
from .base import KINDS, DocState, Mention
from .language import LANGS, detect
from .normalize import normalize
from .tokenizer import TEXT_KEY, RegexTokenizer, SudachiTokenizer

COMPONENTS = (
    "trialex_normalizer",
    "trialex_drugs",
    "trialex_p_values",
    "trialex_doses",
    "trialex_trial_sizes",
    "trialex_response_rates",
)
OUTPUT_KEYS = {"drug": "drugs", "dose": "doses", "trial_size": "trial_sizes",
               "response_rate": "response_rates", "p_value": "p_values"}
MODEL_VERSION = f"trialex-rules-{version('trialex')}"


@Language.factory("trialex_normalizer")
def make_normalizer(nlp: Language, name: str):
    return Normalizer(nlp.lang)


class Normalizer:
    """Creates the per-document state: normalised text with its offset map."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.get(TEXT_KEY)
        doc._.trialex = DocState(normalize(text if text is not None else doc.text), self.lang)
        return doc


def build_nlp(lang: str) -> Language:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGS}")
    nlp = spacy.blank(lang)
    if lang == "ja":
        nlp.tokenizer = SudachiTokenizer(nlp.vocab)
    else:
        nlp.tokenizer = RegexTokenizer(nlp.vocab)
    for name in COMPONENTS:
        nlp.add_pipe(name)
    return nlp


class Extractor:
    """Loads both pipelines once; turns texts into result dicts (the API's JSON)."""

    def __init__(self) -> None:
        self.nlps = {lang: build_nlp(lang) for lang in LANGS}

    def resolve_lang(self, text: str, lang: str | None) -> str:
        return detect(text) if lang in (None, "", "auto") else lang

    def extract(self, text: str, lang: str | None = "auto", doc_id: str | None = None) -> dict:
        return next(self.extract_many([{"id": doc_id, "text": text, "lang": lang}]))

    def extract_many(self, records: Iterable[dict], batch_size: int = 64) -> Iterator[dict]:
        """Results in input order; documents run through ``nlp.pipe`` in batches per language."""
        batch: list[dict] = []
        for rec in records:
            batch.append(rec)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch, batch_size)
                batch = []
        if batch:
            yield from self._run_batch(batch, batch_size)

    def _run_batch(self, batch: list[dict], batch_size: int) -> list[dict]:
        results: list[dict | None] = [None] * len(batch)
        by_lang: dict[str, list[int]] = {}
        for i, rec in enumerate(batch):
            check_text(rec["text"])
            by_lang.setdefault(self.resolve_lang(rec["text"], rec.get("lang")), []).append(i)
        for lang, idxs in by_lang.items():
            nlp = self.nlps[lang]
            # memory_zone frees the vocabulary entries new texts add, so a long-running
            # service does not grow; results are plain dicts built inside the zone.
            with nlp.memory_zone():
                t0 = time.perf_counter()
                docs = nlp.pipe((batch[i]["text"] for i in idxs), batch_size=batch_size)
                for i, doc in zip(idxs, docs):
                    ms = (time.perf_counter() - t0) * 1000
                    results[i] = doc_to_result(doc, batch[i].get("id"), lang, ms)
                    t0 = time.perf_counter()
        return results  # type: ignore[return-value]


def check_text(text: object) -> None:
    """A clear error for what the tokenizers cannot take (not a str, lone surrogates)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text has an unpaired surrogate U+{ord(text[exc.start]):04X} at character {exc.start}") from None


def doc_to_result(doc: Doc, doc_id: str | None, lang: str, elapsed_ms: float | None = None) -> dict:
    st: DocState = doc._.trialex
    out: dict = {"id": doc_id, "lang": lang}
    for kind in KINDS:
        out[OUTPUT_KEYS[kind]] = [mention_json(st, m) for m in st.mentions[kind]]
    meta = {"model_version": MODEL_VERSION, "chars": len(st.norm.orig),
            "counts": {OUTPUT_KEYS[k]: len(st.mentions[k]) for k in KINDS}}
    if elapsed_ms is not None:
        meta["elapsed_ms"] = round(elapsed_ms, 2)
    out["meta"] = meta
    return out


def mention_json(st: DocState, m: Mention) -> dict:
    start, end = st.norm.to_orig(m.start, m.end)
    item = {"start": start, "end": end, "text": st.norm.orig[start:end]}
    a = dict(m.attrs)
    if m.kind == "dose":
        item.update(min=a.pop("min"), max=a.pop("max"), unit=a.pop("unit"))
        item["normalized"] = {"min": item["min"], "max": item["max"], "unit": a.pop("normalized_unit")}
    item.update(a)
    return item
