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

from . import decisions, doses, drugs, effects, p_values, response_rates, trial_sizes  # noqa: F401  (factories)
from .arms import build_arms
from .base import NO_BUDGET, Budget, DocState, Mention
from .checks import run_checks
from .effects import tie_p_values
from .kinds import ALL_KINDS, OUTPUT_KEYS
from .resources import model_version
from .language import LANGS, detect
from .normalize import normalize
from .tokenizer import BUDGET_KEY, TEXT_KEY, RegexTokenizer, SudachiTokenizer

COMPONENTS = (
    "trialex_normalizer",
    "trialex_drugs",
    "trialex_p_values",
    "trialex_doses",
    "trialex_trial_sizes",
    "trialex_response_rates",
    "trialex_effects",
    "trialex_decisions",  # the trained decisions over the rules' candidates (rules alone without models/decisions/)
)
# a content hash of models/ (lexicons, rules, trained models): a curator knows what produced a result
MODEL_VERSION = f"trialex-{version('trialex')}-{model_version()}"


@Language.factory("trialex_normalizer")
def make_normalizer(nlp: Language, name: str):
    return Normalizer(nlp.lang)


class Normalizer:
    """Creates the per-document state: normalised text with its offset map (and the time
    budget the Extractor left in ``doc.user_data``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.get(TEXT_KEY)
        budget = doc.user_data.pop(BUDGET_KEY, None) or NO_BUDGET
        budget.check()
        doc._.trialex = DocState(normalize(text if text is not None else doc.text), self.lang, budget)
        return doc


def build_nlp(lang: str, decisions: bool = True, model_dir: str | None = None) -> Language:
    """The pipeline of one language.  ``decisions=False`` is the rule path alone (the
    fallback, also what the trained decisions learn from); ``model_dir`` overrides
    models/decisions/."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGS}")
    nlp = spacy.blank(lang)
    if lang == "ja":
        nlp.tokenizer = SudachiTokenizer(nlp.vocab)
    else:
        nlp.tokenizer = RegexTokenizer(nlp.vocab)
    for name in COMPONENTS:
        if name == "trialex_decisions":
            if decisions:
                nlp.add_pipe(name, config={"model_dir": model_dir})
        else:
            nlp.add_pipe(name)
    return nlp


class Extractor:
    """Loads both pipelines once; turns texts into result dicts (the API's JSON)."""

    def __init__(self, decisions: bool = True, model_dir: str | None = None) -> None:
        self.nlps = {lang: build_nlp(lang, decisions, model_dir) for lang in LANGS}

    def resolve_lang(self, text: str, lang: str | None) -> str:
        return detect(text) if lang in (None, "", "auto") else lang

    def extract(self, text: str, lang: str | None = "auto", doc_id: str | None = None,
                budget: Budget | None = None) -> dict:
        """One document.  With a ``budget``, raises ExtractionTimeout (base.py) soon after it
        runs out or is cancelled."""
        return next(self.extract_many([{"id": doc_id, "text": text, "lang": lang}], budget=budget))

    def extract_many(self, records: Iterable[dict], batch_size: int = 64,
                     budget: Budget | None = None) -> Iterator[dict]:
        """Results in input order; documents run through ``nlp.pipe`` in batches per language.
        One ``budget`` covers all the records."""
        batch: list[dict] = []
        for rec in records:
            batch.append(rec)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch, batch_size, budget)
                batch = []
        if batch:
            yield from self._run_batch(batch, batch_size, budget)

    def _run_batch(self, batch: list[dict], batch_size: int, budget: Budget | None = None) -> list[dict]:
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
                texts = (batch[i]["text"] for i in idxs)
                if budget is not None:
                    texts = (_budgeted_doc(nlp, text, budget) for text in texts)
                docs = nlp.pipe(texts, batch_size=batch_size)
                for i, doc in zip(idxs, docs):
                    ms = (time.perf_counter() - t0) * 1000
                    results[i] = doc_to_result(doc, batch[i].get("id"), lang, ms)
                    t0 = time.perf_counter()
        return results  # type: ignore[return-value]


def _budgeted_doc(nlp: Language, text: str, budget: Budget) -> Doc:
    """The tokenized Doc, carrying the budget to the components (read by Normalizer)."""
    budget.check()
    doc = nlp.tokenizer(text, budget=budget)
    doc.user_data[BUDGET_KEY] = budget
    return doc


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
    for kind in ALL_KINDS:
        out[OUTPUT_KEYS[kind]] = [mention_json(st, m) for m in st.mentions[kind]]
    tie_p_values(out["effects"], out["p_values"], st.norm.orig)
    out["arms"] = build_arms(out, st.norm.orig)
    out["checks"] = run_checks(out)
    meta = {"model_version": MODEL_VERSION, "chars": len(st.norm.orig),
            "counts": {OUTPUT_KEYS[k]: len(st.mentions[k]) for k in ALL_KINDS}}
    if elapsed_ms is not None:
        meta["elapsed_ms"] = round(elapsed_ms, 2)
    out["meta"] = meta
    return out


def mention_json(st: DocState, m: Mention) -> dict:
    start, end = st.norm.to_orig(m.start, m.end)
    item = {"start": start, "end": end, "text": st.norm.orig[start:end]}
    a = dict(m.attrs)
    if m.kind == "dose":  # the amount as written, and normalised to mg (the spec)
        a.pop("unit")
        item.update(min=a.pop("written_min"), max=a.pop("written_max"), unit=st.norm.orig_slice(*a.pop("unit_span")))
        item["normalized"] = {"min": a.pop("min"), "max": a.pop("max"), "unit": a.pop("normalized_unit")}
    item.update(a)
    return item
