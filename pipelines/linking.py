"""Attaching numbers to what they belong to: a dose to its drug, a size or a rate to its arm.

Arms are the drug mentions (not classes) and the group words of cues.json
("placebo", "control", "プラセボ", "対照") found in the same clause; a number is given an arm
only when one arm is named there, or when it stands right next to one ("MMF 群 71 例",
"MMF (n = 185)", "185 to MMF").
"""

from __future__ import annotations

import re

from .base import DocState
from .resources import cue_regex


_OF_DRUG = re.compile(r"\s*(?:of|the|oral|intravenous|IV|i\.v\.|の|\s)*\s*")


def _arm_candidates(st: DocState, c0: int, c1: int) -> list[tuple[int, int, str]]:
    arms = [(d.start, d.end, d.attrs["name"]) for d in st.mentions["drug"]
            if not d.attrs.get("class") and c0 <= d.start < c1]
    for m in cue_regex("trial_size", "arm_groups").finditer(st.text, c0, c1):
        if st.free(m.start(), m.end(), "drug"):
            arms.append((m.start(), m.end(), m.group(0).lower()))
    return sorted(arms)


def nearest_arm(st: DocState, start: int, end: int, window: int = 40) -> str | None:
    """The arm a number at [start, end) belongs to, or None when the clause names none or several."""
    c0, c1 = st.clause(start)
    arms = _arm_candidates(st, max(c0, start - window), min(c1, end + window))
    names = {a[2] for a in arms}
    if len(names) == 1:
        return names.pop()
    if not arms:
        return None
    # several arms: take the one written immediately next to the number
    def gap(a):
        return start - a[1] if a[1] <= start else a[0] - end

    best = min(arms, key=gap)
    return best[2] if gap(best) <= 10 else None


def nearest_drug(st: DocState, start: int, end: int) -> int | None:
    """Index (into the drug list) of the drug a dose at [start, end) belongs to.

    The nearest drug before it in the same clause ("MMF（2g／日）", "AZA 2 mg/kg/day"), else
    one right after it joined by "of" ("2 g/day of MMF"), else the nearest before it in the sentence.
    """
    drugs = st.mentions["drug"]
    c0, c1 = st.clause(start)
    s0, _ = st.sentence(start)
    before = [i for i, d in enumerate(drugs) if not d.attrs.get("class") and c0 <= d.start and d.end <= start]
    if before:
        return before[-1]
    after = [i for i, d in enumerate(drugs) if not d.attrs.get("class") and d.start >= end
             and _OF_DRUG.fullmatch(st.text, end, d.start)]
    if after:
        return after[0]
    before = [i for i, d in enumerate(drugs) if not d.attrs.get("class") and s0 <= d.start and d.end <= start]
    return before[-1] if before else None
