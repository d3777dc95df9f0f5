"""Assembly of the trialex pipelines and the JSON result of one document.

A pipeline is the list of components of one language, run in order over one document's
:class:`~trialex.pipelines.base.DocState` (the normalised text with its offset map, the
mentions by kind, the time budget).  The two languages share the components; what differs is
data (models/rules/<lang>/, the lexicons).  No component reads tokens, so none are made:
spaCy's Doc and SudachiPy's tokens cost a fifth (English) to a quarter (Japanese) of the
time and gave nothing any component used (docs/design.md, "Why no spaCy Doc").  No
statistical component runs by default beyond the small trained decisions.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from importlib.metadata import version

from .arms import build_arms
from .base import NO_BUDGET, Budget, DocState, Mention
from .checks import run_checks
from .decisions import Decisions, load_models
from .doses import DoseExtractor
from .drugs import DrugRecognizer
from .effects import EffectExtractor, tie_p_values
from .kinds import ALL_KINDS, OUTPUT_KEYS
from .language import LANGS, detect
from .normalize import normalize
from .p_values import PValueExtractor
from .resources import model_version
from .response_rates import ResponseRateExtractor
from .trial_sizes import TrialSizeExtractor

# a content hash of models/ (lexicons, rules, trained models): a curator knows what produced a result
MODEL_VERSION = f"trialex-{version('trialex')}-{model_version()}"


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGS}")


class Pipeline:
    """The components of one language; ``pipeline(text)`` returns the document's state.

    ``decisions=False`` is the rule path alone (the fallback, also what the trained decisions
    learn from); ``model_dir`` overrides models/decisions/."""

    def __init__(self, lang: str, decisions: bool = True, model_dir: str | None = None) -> None:
        _check_lang(lang)
        self.lang = lang
        self.components: dict[str, Callable[[DocState], object]] = {
            "drugs": DrugRecognizer(),
            "p_values": PValueExtractor(),
            "doses": DoseExtractor(),
            "trial_sizes": TrialSizeExtractor(),
            "response_rates": ResponseRateExtractor(),
            "effects": EffectExtractor(),
        }
        if decisions:  # the trained decisions over the rules' candidates (rules alone without model files)
            self.components["decisions"] = Decisions(load_models(Path(model_dir) if model_dir else None))

    def for_language(self, lang: str) -> Pipeline:
        """This pipeline's components (loaded once: lexicons, transliteration, models) for another
        language: they read the language from the document."""
        _check_lang(lang)
        other = copy.copy(self)
        other.lang = lang
        return other

    @property
    def pipe_names(self) -> list[str]:
        return list(self.components)

    def __call__(self, text: str, budget: Budget = NO_BUDGET) -> DocState:
        budget.check()
        st = DocState(normalize(text), self.lang, budget)
        for component in self.components.values():
            budget.check()
            component(st)
        return st


class Extractor:
    """Loads both pipelines once; turns texts into result dicts (the API's JSON)."""

    def __init__(self, decisions: bool = True, model_dir: str | None = None) -> None:
        first = Pipeline(LANGS[0], decisions, model_dir)
        self.nlps = {lang: first.for_language(lang) for lang in LANGS}

    def resolve_lang(self, text: str, lang: str | None) -> str:
        return detect(text) if lang in (None, "", "auto") else lang

    def extract(self, text: str, lang: str | None = "auto", doc_id: str | None = None,
                budget: Budget | None = None) -> dict:
        """One document.  With a ``budget``, raises ExtractionTimeout (base.py) soon after it
        runs out or is cancelled."""
        return next(self.extract_many([{"id": doc_id, "text": text, "lang": lang}], budget=budget))

    def extract_many(self, records: Iterable[dict], budget: Budget | None = None) -> Iterator[dict]:
        """Results in input order, one at a time.  One ``budget`` covers all the records."""
        for rec in records:
            text = rec["text"]
            check_text(text)
            lang = self.resolve_lang(text, rec.get("lang"))
            t0 = time.perf_counter()
            st = self.nlps[lang](text, budget or NO_BUDGET)
            yield doc_to_result(st, rec.get("id"), lang, (time.perf_counter() - t0) * 1000)


def check_text(text: object) -> None:
    """A clear error for what cannot be a text (not a str, lone surrogates: not UTF-8)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"text has an unpaired surrogate U+{ord(text[exc.start]):04X} at character {exc.start}"
        ) from None


def doc_to_result(st: DocState, doc_id: str | None, lang: str, elapsed_ms: float | None = None) -> dict:
    out: dict = {"id": doc_id, "lang": lang}
    for kind in ALL_KINDS:
        out[OUTPUT_KEYS[kind]] = [mention_json(st, m) for m in st.mentions[kind]]
    tie_p_values(out["effects"], out["p_values"], st.norm.orig)
    out["arms"] = build_arms(out, st.norm.orig)
    out["checks"] = run_checks(out)
    meta = {
        "model_version": MODEL_VERSION,
        "chars": len(st.norm.orig),
        "counts": {OUTPUT_KEYS[k]: len(st.mentions[k]) for k in ALL_KINDS},
    }
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
