"""Shared fixtures: one loaded extractor for the whole session (loading takes seconds)."""

from __future__ import annotations

import pytest

from trialex.pipelines.pipeline import Extractor


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    """The rule path (the fallback without trained models): what most tests pin down."""
    return Extractor(decisions=False)


@pytest.fixture(scope="session")
def learned() -> Extractor:
    """The default pipeline: the rules' candidates decided by the trained models of models/decisions/."""
    return Extractor()


@pytest.fixture(scope="session")
def extract(extractor):
    """extract(text, lang="auto") -> result dict, with every span checked against the text."""

    def run(text: str, lang: str = "auto") -> dict:
        result = extractor.extract(text, lang)
        for key in ("drugs", "doses", "trial_sizes", "response_rates", "p_values"):
            for m in result[key]:
                assert text[m["start"]:m["end"]] == m["text"], (key, m)
        return result

    return run
