"""Scoring per the shared extraction spec ("How a result is scored").

An output mention matches a gold mention of its kind when the spans overlap and the key
value agrees (drug name; dose normalised min/max within 1% and the same normalised unit;
trial-size n; response-rate percent within 0.1; p-value operator and value).  Each gold
mention matches at most one output.  Outputs flagged ``class``/``threshold`` and outputs
overlapping a gold ``ignore`` span of their kind are neither rewarded nor punished.
Precision, recall and F1 are counted per kind over all documents, then macro-averaged.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialex.formats.records import read_jsonl
from trialex.pipelines.kinds import EXTRA_KINDS, KINDS, OUTPUT_KEYS  # noqa: F401  (EXTRA: scored beside the macro)


def _close(a: Any, b: Any, rel: float) -> bool:  # JSON numbers
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-12)


def key_agrees(kind: str, gold: dict, out: dict) -> bool:
    if kind == "drug":
        return str(gold.get("name", "")).strip().lower() == str(out.get("name", "")).strip().lower()
    if kind == "dose":
        norm = out.get("normalized") or out
        gmin = gold.get("min", gold.get("value"))
        gmax = gold.get("max", gmin)
        return (_close(gmin, norm["min"], 0.01) and _close(gmax, norm["max"], 0.01)
                and str(gold.get("unit", "")).lower() == str(norm.get("unit", "")).lower())
    if kind == "trial_size":
        return int(gold["n"]) == int(out["n"])
    if kind == "response_rate":
        return abs(float(gold["percent"]) - float(out["percent"])) <= 0.1 + 1e-9
    if kind == "p_value":
        return gold.get("operator") == out.get("operator") and _close(gold["value"], out["value"], 1e-6)
    if kind == "effect":
        return (gold["measure"] == out.get("measure") and _close(gold["value"], out["value"], 0.01)
                and all(_close(gold[b], out.get(b, math.inf), 0.01) for b in ("ci_low", "ci_high") if b in gold))
    raise ValueError(kind)


def _overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


@dataclass
class KindScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    kinds: dict[str, KindScore] = field(default_factory=lambda: {k: KindScore() for k in KINDS})
    errors: list[dict] = field(default_factory=list)
    docs: int = 0
    per_doc: list[dict[str, tuple[int, int, int]]] = field(default_factory=list)  # [doc][kind] = (tp, fp, fn)
    # of the trial sizes found (matched), how many have the gold's scope, its arm, and both
    roles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("found", "scope", "arm", "both"), 0))

    def add_roles(self, gold: dict, out: dict) -> None:
        scope = gold.get("scope") == out.get("scope")
        arm = arm_agrees(gold.get("arm"), out.get("arm"))
        for key, right in (("found", True), ("scope", scope), ("arm", arm), ("both", scope and arm)):
            self.roles[key] += right

    def role_shares(self) -> dict[str, float]:
        found = self.roles["found"]
        return {k: round(self.roles[k] / found, 4) if found else 1.0 for k in ("scope", "arm", "both")}

    def intervals(self, rounds: int = 1000, seed: int = 0, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Percentile bootstrap intervals of each kind's F1 and of the macro-F1, resampling documents."""
        import numpy as np

        if not self.per_doc:
            return {}
        kinds = list(self.kinds)
        counts = np.asarray([[d.get(k, (0, 0, 0)) for k in kinds] for d in self.per_doc], dtype=float)
        idx = np.random.default_rng(seed).integers(0, len(counts), size=(rounds, len(counts)))
        sums = counts[idx].sum(axis=1)  # rounds x kinds x 3
        tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
        p = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 1.0)
        r = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 1.0)
        f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
        lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        out = {k: (float(np.percentile(f1[:, i], lo)), float(np.percentile(f1[:, i], hi)))
               for i, k in enumerate(kinds)}
        macro = f1[:, [kinds.index(k) for k in KINDS]].mean(axis=1)
        out["macro"] = (float(np.percentile(macro, lo)), float(np.percentile(macro, hi)))
        return out

    @property
    def macro_f1(self) -> float:
        return sum(self.kinds[k].f1 for k in KINDS) / len(KINDS)

    def as_dict(self) -> dict:
        ci = self.intervals()
        return {
            "documents": self.docs,
            "kinds": {k: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                          "f1": round(s.f1, 4), "f1_ci95": [round(x, 4) for x in ci.get(k, ())],
                          "tp": s.tp, "fp": s.fp, "fn": s.fn}
                      for k, s in self.kinds.items()},
            "macro_f1": round(self.macro_f1, 4),
            "macro_f1_ci95": [round(x, 4) for x in ci.get("macro", ())],
            "trial_size_roles": {"found": self.roles["found"], **self.role_shares()},
        }

    def table(self) -> str:
        ci = self.intervals()
        lines = [f"{'kind':<15}{'P':>8}{'R':>8}{'F1':>8}  {'F1 95% CI':<15}{'tp':>6}{'fp':>6}{'fn':>6}"]
        for k, s in self.kinds.items():
            lines.append(f"{k:<15}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}  {_ci(ci.get(k)):<15}"
                         f"{s.tp:>6}{s.fp:>6}{s.fn:>6}")
        lines.append(f"documents: {self.docs}  macro-F1: {self.macro_f1:.4f} {_ci(ci.get('macro'))}")
        shares = self.role_shares()
        lines.append(f"trial sizes found: {self.roles['found']}; right scope {shares['scope']:.1%}, "
                     f"right arm {shares['arm']:.1%}, both {shares['both']:.1%}")
        return "\n".join(lines)


def _ci(pair: tuple[float, float] | None) -> str:
    return f"[{pair[0]:.3f}, {pair[1]:.3f}]" if pair else ""


def score_document(gold: dict, result: dict, report: Report) -> None:
    text = gold["text"]
    report.docs += 1
    ignores = gold.get("ignore") or []
    doc_counts = {}
    for kind in (*KINDS, *(k for k in EXTRA_KINDS if k in gold)):
        report.kinds.setdefault(kind, KindScore())
        before = (report.kinds[kind].tp, report.kinds[kind].fp, report.kinds[kind].fn)
        golds = list(gold.get(kind) or [])
        outs = [o for o in result.get(OUTPUT_KEYS[kind], [])
                if not o.get("class") and not o.get("threshold")
                and not any(ig.get("kind") == kind and _overlap(ig, o) for ig in ignores)]
        used: set[int] = set()
        for o in sorted(outs, key=lambda o: o["start"]):
            match = next((i for i, g in enumerate(golds)
                          if i not in used and _overlap(g, o) and key_agrees(kind, g, o)), None)
            if match is None:
                report.kinds[kind].fp += 1
                report.errors.append(_error("FP", kind, gold, o, text))
            else:
                used.add(match)
                report.kinds[kind].tp += 1
                if kind == "trial_size":
                    report.add_roles(golds[match], o)
        for i, g in enumerate(golds):
            if i not in used:
                report.kinds[kind].fn += 1
                report.errors.append(_error("FN", kind, gold, g, text))
        k = report.kinds[kind]
        doc_counts[kind] = (k.tp - before[0], k.fp - before[1], k.fn - before[2])
    report.per_doc.append(doc_counts)


def _words(name: str) -> list[str]:
    return re.findall(r"\w+", name.lower())


def arm_agrees(gold: str | None, out: str | None) -> bool:
    """The arm of a size: both absent, or one name's words a contiguous run of the other's
    ("placebo" and "placebo + mycophenolate mofetil" agree; "placebo" and "MMF" do not)."""
    if not gold or not out:
        return not gold and not out
    a, b = _words(gold), _words(out)
    short, long_ = sorted((a, b), key=len)
    return any(long_[i:i + len(short)] == short for i in range(len(long_) - len(short) + 1))


def _error(what: str, kind: str, gold: dict, m: dict, text: str) -> dict:
    s, e = m["start"], m["end"]
    values = {k: v for k, v in m.items() if k not in ("start", "end", "text")}
    return {"error": what, "kind": kind, "id": gold.get("id"), "start": s, "end": e,
            "span": text[s:e], "context": text[max(0, s - 40):e + 40].replace("\n", " "), "values": values}


def corpus_texts(shared: Path, source: str = "pmc-rct-abstracts") -> dict[str, str]:
    """{id: text} of a shared corpus's abstracts.jsonl, without the ids its sealed-ids.txt keeps
    for independent evaluation (dropped before anything else reads them)."""
    base = shared / "corpora" / source
    sealed_file = base / "sealed-ids.txt"
    sealed = set(sealed_file.read_text(encoding="utf-8").split()) if sealed_file.exists() else set()
    out: dict[str, str] = {}
    with (base / "abstracts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] not in sealed:
                out[rec["id"]] = rec["text"]
    return out


def attach_texts(golds: list[dict], shared: Path) -> list[dict]:
    """Gold on the shared corpora is stand-off (no text in this repo, by licence): records
    with ``source`` get their text from ``shared``, checked against ``text_sha256``."""
    needed = {g["source"] for g in golds if "text" not in g}
    texts: dict[tuple[str, str], str] = {}
    for source in needed:
        path = shared / "corpora" / source / "abstracts.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"stand-off gold needs {path} (pass --shared)")
        texts.update({(source, i): t for i, t in corpus_texts(shared, source).items()})
    out = []
    for g in golds:
        if "text" not in g:
            text = texts[(g["source"], g["id"])]
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != g.get("text_sha256"):
                raise ValueError(f"{g['id']}: the text in {shared} differs from the one annotated")
            g = dict(g, text=text)
        out.append(g)
    return out


def score(golds: list[dict], results: list[dict]) -> Report:
    report = Report()
    for g, r in zip(golds, results, strict=True):
        score_document(g, r, report)
    return report


def load_gold(path: Path, shared: Path) -> list[dict]:
    return attach_texts(read_jsonl(path), shared)


def score_gold(extractor, golds: list[dict]) -> Report:
    results = list(extractor.extract_many({"id": g.get("id"), "text": g["text"], "lang": g.get("lang", "auto")}
                                          for g in golds))
    return score(golds, results)


def read_sets(path: Path) -> list[dict]:
    """The gold sets and their roles (annotations/sets.json), files resolved beside it."""
    sets = json.loads(path.read_text(encoding="utf-8"))["sets"]
    return [dict(s, path=path.parent / s["file"]) for s in sets]


ROLE_ORDER = {"test": 0, "dev": 1, "train": 2}


def evaluate_sets(extractor, sets: list[dict], shared: Path) -> list[dict]:
    """One row a set, blind test sets first: file, role, lang and scores (or missing)."""
    rows = []
    for s in sorted(sets, key=lambda s: ROLE_ORDER[s["role"]]):
        row = {"file": s["file"], "role": s["role"], "lang": s["lang"]}
        if not s["path"].exists():
            row["missing"] = True
        else:
            row["scores"] = score_gold(extractor, load_gold(s["path"], shared)).as_dict()
        rows.append(row)
    return rows
