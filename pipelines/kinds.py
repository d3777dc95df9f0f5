"""The registry of mention kinds: the one place a kind is defined.

Everything that lists kinds (the extractors' state, the result JSON, the API schemas, the
scorer, the exports, the HTML view, the gold builders) imports from here.  The spec scores the
first five in the macro-F1; effect estimates are scored beside it when the gold has them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # "trial_size": the gold field and the internal name
    key: str  # "trial_sizes": the result key
    label: str  # "Trial size": for people
    short: str  # "SIZE": the label of a highlight
    ls_label: str  # the Label Studio label (models/label_studio/config.xml)
    train_label: str  # the label in training formats (spaCy, Prodigy, doccano)
    colour: str  # the highlight's fill in the HTML view and the page
    value_fields: tuple[str, ...]  # the values a mention carries, in the order they are written
    gold_fields: tuple[str, ...]  # the values a gold mention keeps
    required: tuple[str, ...]  # without these a span cannot be scored
    in_macro: bool = True  # part of the spec's macro-F1


REGISTRY: dict[str, Kind] = {k.name: k for k in (
    Kind("drug", "drugs", "Drug", "DRUG", "Drug", "DRUG", "#7aecec",
         ("name", "class"), ("name",), ("name",)),
    Kind("dose", "doses", "Dose", "DOSE", "Dose", "DOSE", "#feca74",
         ("min", "max", "unit", "written_unit", "frequency", "route", "drug_span"),
         ("min", "max", "unit"), ("min", "max", "unit")),
    Kind("trial_size", "trial_sizes", "Trial size", "SIZE", "TrialSize", "TRIAL_SIZE", "#c3a6ff",
         ("n", "scope", "arm"), ("n", "scope", "arm"), ("n",)),
    Kind("response_rate", "response_rates", "Response rate", "RATE", "ResponseRate", "RESPONSE_RATE", "#9be58f",
         ("percent", "numerator", "denominator", "outcome", "arm"),
         ("percent", "numerator", "denominator", "outcome", "arm"), ("percent",)),
    Kind("p_value", "p_values", "P value", "P", "PValue", "P_VALUE", "#ff9eae",
         ("operator", "value", "threshold"), ("operator", "value"), ("operator", "value")),
    Kind("effect", "effects", "Effect estimate", "EFFECT", "Effect", "EFFECT", "#aad4ff",
         ("measure", "value", "ci_low", "ci_high", "ci_level"),
         ("measure", "value", "ci_low", "ci_high", "ci_level"), ("measure", "value"), in_macro=False),
)}

ALL_KINDS: tuple[str, ...] = tuple(REGISTRY)
KINDS: tuple[str, ...] = tuple(k for k, v in REGISTRY.items() if v.in_macro)  # the macro-F1's five
EXTRA_KINDS: tuple[str, ...] = tuple(k for k, v in REGISTRY.items() if not v.in_macro)
OUTPUT_KEYS: dict[str, str] = {k: v.key for k, v in REGISTRY.items()}
