"""Trained decisions over rule candidates: trial sizes (total / arm / subset / not a size) and
response rates (a response outcome or another share).

The rules find candidates with high recall (every integer with or without a counter, every
"n = N", every percentage and every count pair) and the rule extractors' own verdicts become
features beside the context (features.py); a linear model trained on annotations/
(``trialex train``) decides.  The models are plain JSON under models/decisions/ (readable
weights, no pickle); without them the rule verdicts stand (the fallback).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .base import DocState, Mention
from .features import Context, candidate_features, number_features
from .linking import nearest_arm
from .numbers import INT, NUM, NUMBER_WORDS, count, parse_number, parse_number_words
from .resources import atoms, cues, model_path, trie_regex

MODEL_DIR = ("decisions",)
SIZE_CLASSES = ("none", "total", "arm", "subset")
RATE_CLASSES = ("none", "rate")

# every integer but a numerator ("104/185": 185 is a candidate, 104 not), a decimal or a percentage
_INT = re.compile(rf"(?<![\d.,·])(?P<num>{INT})(?![\d]|[.,·]\d|\s*%|\s*[/]\s*\d)")
_WORDS = re.compile(rf"(?<![A-Za-z])(?P<num>{NUMBER_WORDS})(?![A-Za-z])", re.IGNORECASE)
_N_EQ = re.compile(r"(?<![A-Za-z])[nN]\s*[=:]\s*$")
_JA_COUNTER = re.compile(r"\s*(?:例|症例|名|人|例中)")
_PCT = re.compile(rf"(?<![\d.,·])(?P<num>{NUM})\s*(?:%|percent\b|per\s+cent\b|パーセント)")
_PAIR = re.compile(
    rf"(?<![\d.,·/])(?P<x>{INT})\s*(?:of|/|out of)\s*(?P<y>{INT})(?![\d]|[.,·]\d)"
    rf"|(?<![\d.,·])(?P<y2>{INT})\s*(?:例|症例|名|人)\s*中\s*(?P<x2>{INT})\s*(?:例|症例|名|人)?"
)
_PCT_NEAR = re.compile(rf"[^.。%]{{0,25}}?[(\[（]\s*{NUM}\s*%")
# a table cell "38.7(41/106)": a share written without "%" before its pair
_CELL_PAIR = re.compile(rf"(?<![\d.,·])(?P<num>{NUM})\s*[(（]\s*(?P<x>{INT})\s*[/／]\s*(?P<y>{INT})\s*[)）]")
_BARE_CELL = re.compile(rf"\s*(?P<num>{NUM})\s*$")


@lru_cache(maxsize=1)
def _counter_after() -> re.Pattern[str]:
    counter = trie_regex([atoms(w) for w in cues()["trial_size"]["counter"]])
    return re.compile(
        rf"(?:\s+(?!(?:of|and|or|to|in|with|were|was|who|had|the)\b)[a-z][a-z\-]*){{0,2}}\s+(?:{counter})(?![A-Za-z])",
        re.IGNORECASE,
    )


@dataclass
class Candidate:
    kind: str
    start: int
    end: int
    value: float  # n, or percent
    attrs: dict
    rule: Mention | None


class LinearModel:
    """Multiclass logistic regression over named features, stored as JSON."""

    def __init__(self, data: dict) -> None:
        self.kind = data["kind"]
        self.classes = tuple(data["classes"])
        self.weights: dict[str, list[float]] = data["weights"]
        self.threshold = data.get("threshold", 0.5)  # P(none) below which a new candidate is taken
        # P(none) at or above which a candidate the rules took is dropped (the model overrides
        # the rules only when it is confident)
        self.drop_threshold = data.get("drop_threshold", self.threshold)
        self.meta = data.get("meta", {})
        # a binary model stores one score column (for the second class), others one per class
        self.width = 1 if len(self.classes) == 2 else len(self.classes)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def scores(self, feats: dict[str, float]) -> list[float]:
        """The sparse dot product over the candidate's own features, summed per class in the
        features' order (most have the value 1: no product)."""
        get = self.weights.get
        cols = []
        for name, v in feats.items():
            w = get(name)
            if w is not None:
                cols.append(w if v == 1.0 else [wi * v for wi in w])
        return [sum(col) for col in zip(*cols)] if cols else [0.0] * self.width

    def proba(self, feats: dict[str, float]) -> list[float]:
        s = self.scores(feats)
        if len(s) == 1:  # binary models store one score column
            p = 1 / (1 + math.exp(-max(-50.0, min(50.0, s[0]))))
            return [1 - p, p]
        top = max(s)
        e = [math.exp(x - top) for x in s]
        z = sum(e)
        return [x / z for x in e]

    def decide(self, feats: dict[str, float], rule: bool = False) -> str:
        """The class of a candidate; ``rule``: the rule extractors took it."""
        p = self.proba(feats)
        if p[0] >= (self.drop_threshold if rule else self.threshold):  # class 0 is "none"
            return self.classes[0]
        return self.classes[1 + max(range(len(p) - 1), key=lambda i: p[i + 1])]


def load_models(directory: Path | None = None) -> dict[str, LinearModel]:
    directory = directory or model_path(*MODEL_DIR)
    models = {}
    for kind in ("trial_size", "response_rate"):
        path = Path(directory) / f"{kind}.json"
        if path.exists():
            models[kind] = LinearModel.load(path)
    return models


# ------------------------------------------------------------------------------ candidates


def _free(st: DocState, start: int, end: int, *kinds: str) -> bool:
    return st.free(start, end, *kinds)  # the position index: no scan of all mentions


def _rule_at(st: DocState, kind: str, start: int, end: int) -> Mention | None:
    found = st.overlapping(kind, start, end)
    return found[0] if found else None


def size_candidates(st: DocState) -> list[Candidate]:
    text = st.text
    rules = st.mentions["trial_size"]
    out: dict[tuple[int, int], Candidate] = {}
    for m in rules:
        if st.free(m.start, m.end, "drug"):  # "ABP 501", "PXT3003": the digits of a name count nobody
            out[(m.start, m.end)] = Candidate("trial_size", m.start, m.end, m.attrs["n"], dict(m.attrs), m)
    found = [(m.start("num"), m.end("num"), count(m.group("num")) or 0) for m in _INT.finditer(text)]
    found += [
        (m.start("num"), m.end("num"), parse_number_words(m.group("num")) or 0)
        for m in _WORDS.finditer(text)
        if m.group("num").lower() not in ("one", "a")
    ]
    for s, e, n in found:
        if n <= 0 or not _free(st, s, e, "p_value", "dose", "drug") or _rule_at(st, "trial_size", s, e) is not None:
            continue
        if _N_EQ.search(text, max(0, s - 6), s):
            s = text.rfind("n" if text[max(0, s - 6) : s].rfind("n") >= 0 else "N", max(0, s - 6), s)
        else:
            cm = _counter_after().match(text, e) or (_JA_COUNTER.match(text, e) if st.has_japanese else None)
            if cm:
                e = cm.end() - (2 if text[cm.end() - 1] == "中" else 0) if text[cm.end() - 1] == "中" else cm.end()
        out.setdefault((s, e), Candidate("trial_size", s, e, n, {"n": n}, None))
    return sorted(out.values(), key=lambda c: c.start)


def ctx_cells(st: DocState):
    from .tables import cells_of

    return cells_of(st.norm)


def rate_candidates(st: DocState) -> list[Candidate]:
    text = st.text
    rules = st.mentions["response_rate"]
    out: dict[tuple[int, int], Candidate] = {}
    for r in rules:
        out[(r.start, r.end)] = Candidate("response_rate", r.start, r.end, r.attrs["percent"], dict(r.attrs), r)
    for m in _PCT.finditer(text):
        v = parse_number(m.group("num"))
        if (
            not 0 <= v <= 100
            or not _free(st, m.start(), m.end(), "p_value", "dose")
            or _rule_at(st, "response_rate", m.start(), m.end())
        ):
            continue
        out.setdefault((m.start(), m.end()), Candidate("response_rate", m.start(), m.end(), v, {"percent": v}, None))
    for m in _CELL_PAIR.finditer(text):
        v, x, y = parse_number(m.group("num")), count(m.group("x")), count(m.group("y"))
        if x is None or y is None:
            continue  # a 400-digit "count"
        if 0 <= v <= 100 and 0 <= x <= y and y > 0 and not _rule_at(st, "response_rate", m.start(), m.end("num")):
            out.setdefault(
                (m.start(), m.end("num")),
                Candidate(
                    "response_rate",
                    m.start(),
                    m.end("num"),
                    v,
                    {"percent": v, "numerator": int(x), "denominator": int(y)},
                    None,
                ),
            )
    for cell in ctx_cells(st):  # a bare number under a "率(%)" / "rate (%)" column header
        bare = _BARE_CELL.match(text[cell.start : cell.end])
        if bare and re.search(r"[%％]|率|rate", cell.header):
            v = parse_number(bare.group("num"))
            s, e = cell.start + bare.start("num"), cell.start + bare.end("num")
            if 0 <= v <= 100 and not _rule_at(st, "response_rate", s, e):
                out.setdefault((s, e), Candidate("response_rate", s, e, v, {"percent": v}, None))
    for m in _PAIR.finditer(text):
        x = count(m.group("x") or m.group("x2"))
        y = count(m.group("y") or m.group("y2"))
        if x is None or y is None:
            continue
        if (
            not 0 <= x <= y
            or y == 0
            or _PCT_NEAR.match(text, m.end())
            or _rule_at(st, "response_rate", m.start(), m.end())
        ):
            continue
        if not _free(st, m.start(), m.end(), "p_value", "dose"):
            continue
        pct = round(100.0 * x / y, 1)
        out.setdefault(
            (m.start(), m.end()),
            Candidate(
                "response_rate",
                m.start(),
                m.end(),
                pct,
                {"percent": pct, "numerator": int(x), "denominator": int(y)},
                None,
            ),
        )
    return sorted(out.values(), key=lambda c: c.start)


# a share right after a count ("790 (75.1%) completed", "4 人（9.8％）", a table's "20(40.0)"): the count
# is its numerator; a share right before ("(68.6%, n = 447)"): a baseline breakdown
_SHARE_AFTER = re.compile(rf"\s*[(（\[]\s*(?:{NUM}\s*[%％]|\d+[.·]\d+\s*[)）])")
_SHARE_BEFORE = re.compile(rf"[(（\[]\s*{NUM}\s*(?:%|％)\s*[,，、;]\s*$")
# one size for every arm: "(22 in each group)", "15 per group", "各群 40 例"
_EACH_AFTER = re.compile(
    r"\s*(?:(?:patients|participants|subjects)\s+)?(?:in\s+each|per|each|in\s+both)\s+(?:group|arm)s?\b", re.I
)
_EACH_BEFORE = re.compile(
    r"(?:各群|両群とも|each\s+(?:group|arm)\s+(?:of|had|included|comprised)?)\s*(?:は|で|に)?\s*$", re.I
)
# an interval right after a percentage ("8% (0.4% - 16.2%)", "65.6% [95% CI: ...]"): an estimate or a
# difference more often than a response rate
_INTERVAL_AFTER = re.compile(
    rf"\s*[(（\[]\s*(?:95\s*[%％]|C[IL]\b|信頼区間|{NUM}\s*[%％]?\s*(?:-|–|—|to|～|〜|~)\s*-?{NUM})", re.I
)


def features(ctx: Context, c: Candidate) -> dict[str, float]:
    extra = number_features(c.value) if c.kind == "trial_size" else {"pct>50": float(c.value > 50)}
    text = ctx.text
    if c.kind == "trial_size":
        if _SHARE_AFTER.match(text, c.end):
            extra["share_after"] = 1.0
        if _SHARE_BEFORE.search(text, max(0, c.start - 30), c.start):
            extra["share_before"] = 1.0
        if _EACH_AFTER.match(text, c.end) or _EACH_BEFORE.search(text, max(0, c.start - 25), c.start):
            extra["each_group"] = 1.0
        if len(ctx.tokens(ctx.st.sentence(c.start)[0], c.start)) <= 2:
            extra["sent_start"] = 1.0
    elif _INTERVAL_AFTER.match(text, c.end):
        extra["interval_after"] = 1.0
    if c.rule is None:
        extra["rule=none"] = 1.0
    elif c.kind == "trial_size":
        extra[f"rule={c.rule.attrs.get('scope')}"] = 1.0
    else:
        extra["rule=rate"] = 1.0
    if c.kind == "response_rate":
        extra[
            "pair"
            if "%" not in ctx.text[c.start : c.end]
            and "パーセント" not in ctx.text[c.start : c.end]
            and "percent" not in ctx.text[c.start : c.end]
            else "pct"
        ] = 1.0
    return candidate_features(ctx, c.kind, c.start, c.end, extra)


# ------------------------------------------------------------------------------ the component


class Decisions:
    """Replaces the rule verdicts on sizes and rates by the trained models' (when present)."""

    def __init__(self, models: dict[str, LinearModel]) -> None:
        self.models = models

    def __call__(self, st: DocState) -> None:
        if not self.models:
            return
        ctx = Context(st)
        if "trial_size" in self.models:
            self._sizes(st, ctx, self.models["trial_size"])
        if "response_rate" in self.models:
            self._rates(st, ctx, self.models["response_rate"])

    def _replace(self, st: DocState, kind: str, kept: list[tuple[int, int, dict]]) -> None:
        st.clear(kind)
        for s, e, attrs in sorted(kept, key=lambda k: k[0]):
            st.add(kind, s, e, **attrs)

    def _sizes(self, st: DocState, ctx: Context, model: LinearModel) -> None:
        kept = []
        for c in st.checked(size_candidates(st)):
            label = model.decide(features(ctx, c), rule=c.rule is not None)
            if label == "none":
                continue
            attrs = {"n": int(c.value), "scope": label}
            arm = c.attrs.get("arm") if c.rule is not None else None
            if label in ("arm", "subset"):
                arm = arm or nearest_arm(st, c.start, c.end)
                if arm:
                    attrs["arm"] = arm
            kept.append((c.start, c.end, attrs))
        self._replace(st, "trial_size", kept)

    def _rates(self, st: DocState, ctx: Context, model: LinearModel) -> None:
        from .response_rates import _outcome

        kept = []
        for c in st.checked(rate_candidates(st)):
            if model.decide(features(ctx, c), rule=c.rule is not None) == "none":
                continue
            attrs = dict(c.attrs)
            if c.rule is None:
                outcome = (
                    _header_outcome(ctx, c.start) or _outcome(st, c.start, c.end) or _previous_outcome(ctx, c.start)
                )
                if outcome:
                    attrs["outcome"] = outcome
                arm = nearest_arm(st, c.start, c.end)
                if arm:
                    attrs["arm"] = arm
            kept.append((c.start, c.end, attrs))
        self._replace(st, "response_rate", kept)


def _header_outcome(ctx: Context, pos: int) -> str | None:
    """The outcome a table column names: its header without "率", "(%)", "rate"."""
    from .tables import cell_at

    cell = cell_at(ctx.table, pos) if ctx.table else None
    if cell is None or not cell.header:
        return None
    words = re.sub(r"\s*[(（]\s*[%％]\s*[)）]|率|\s*rates?\b", "", cell.header).strip()
    return words or None


def _previous_outcome(ctx: Context, pos: int) -> str | None:
    """The nearest outcome words before ``pos`` within 300 characters (the previous sentence,
    a table header)."""
    hits = ctx.cue_hits("response_rate", "outcome")
    i = bisect.bisect_left(hits, (pos, -1)) - 1
    if i < 0 or hits[i][0] < pos - 300:
        return None
    s, e = hits[i]
    return ctx.text[s:e]
