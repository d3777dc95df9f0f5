"""``trialex train``: rebuild the trained decisions (pipelines/decisions.py) from annotations/.

For every document of the train split the rule pipeline runs without the decisions, every
candidate gets its features and a label from the gold (a gold mention of the kind that
overlaps it with the same value), and a logistic regression is fitted (scikit-learn,
deterministic).  Its regularisation and the threshold of "none" are chosen on the dev
split; the model is written as JSON (models/decisions/<kind>.json) with a model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from trialex.evaluation import KindScore, load_gold, read_sets
from trialex.pipelines.decisions import (
    RATE_CLASSES,
    SIZE_CLASSES,
    LinearModel,
    features,
    rate_candidates,
    size_candidates,
)
from trialex.pipelines.features import Context
from trialex.pipelines.pipeline import Pipeline

KINDS = {"trial_size": (SIZE_CLASSES, size_candidates), "response_rate": (RATE_CLASSES, rate_candidates)}
C_GRID = (0.1, 0.3, 1.0, 3.0)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # P(none) under which a new candidate is taken
DROP_THRESHOLDS = (0.8, 0.9, 0.95)  # P(none) from which a candidate the rules took is dropped


def _label(kind: str, gold: dict, start: int, end: int, value: float) -> str:
    for g in gold.get(kind, []):
        if g["start"] < end and start < g["end"]:
            if kind == "trial_size" and int(g["n"]) == int(value):
                return g["scope"]
            if kind == "response_rate" and abs(float(g["percent"]) - value) <= 0.1 + 1e-9:
                return "rate"
    return "none"


def collect(golds: list[dict], nlps: dict) -> dict[str, list[dict]]:
    """Per kind, one row per candidate: doc id, original span, value, features, label."""
    rows: dict[str, list[dict]] = {k: [] for k in KINDS}
    for g in golds:
        st = nlps[g.get("lang", "en")](g["text"])
        ctx = Context(st)
        for kind, (_, cands) in KINDS.items():
            for c in cands(st):
                s, e = st.norm.to_orig(c.start, c.end)
                rows[kind].append(
                    {
                        "doc": g["id"],
                        "start": s,
                        "end": e,
                        "value": c.value,
                        "features": features(ctx, c),
                        "label": _label(kind, g, s, e, c.value),
                    }
                )
    return rows


def _fit(rows: list[dict], classes: tuple[str, ...], c: float):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x = vec.fit_transform([r["features"] for r in rows])
    y = [classes.index(r["label"]) for r in rows]
    clf = LogisticRegression(C=c, max_iter=3000, class_weight=None)
    clf.fit(x, y)
    return vec, clf


def _export(
    kind: str, classes: tuple[str, ...], vec, clf, threshold: float, meta: dict, drop_threshold: float | None = None
) -> dict:
    names = vec.get_feature_names_out()
    coef = clf.coef_  # (1, n) for two classes, (k, n) otherwise
    weights = {}
    present = list(clf.classes_)
    for j, name in enumerate(names):
        if len(classes) == 2:
            w = [round(float(coef[0, j]), 5)]
        else:
            w = [0.0] * len(classes)
            for row, cls in enumerate(present):
                w[cls] = round(float(coef[row, j]), 5)
        if any(abs(x) >= 1e-4 for x in w):
            weights[name] = w
    bias = clf.intercept_
    b = [round(float(bias[0]), 5)] if len(classes) == 2 else [0.0] * len(classes)
    if len(classes) != 2:
        for row, cls in enumerate(present):
            b[cls] = round(float(bias[row]), 5)
    weights["bias"] = [x + y for x, y in zip(weights.get("bias", [0.0] * len(b)), b)]
    return {
        "kind": kind,
        "classes": list(classes),
        "threshold": threshold,
        "drop_threshold": threshold if drop_threshold is None else drop_threshold,
        "weights": weights,
        "meta": meta,
    }


def score_rows(model: LinearModel, rows: list[dict], golds: list[dict], kind: str) -> KindScore:
    """The scorer's counts for this kind alone when the model decides every candidate."""
    from trialex.evaluation import Report, score_document

    by_doc: dict[str, list[dict]] = {g["id"]: [] for g in golds}
    for r in rows:
        label = model.decide(r["features"], rule="rule=none" not in r["features"])
        if label != "none":
            out = {"start": r["start"], "end": r["end"]}
            if kind == "trial_size":
                out.update(n=int(r["value"]), scope=label)
            else:
                out.update(percent=r["value"])
            by_doc[r["doc"]].append(out)
    report = Report()
    key = {"trial_size": "trial_sizes", "response_rate": "response_rates"}[kind]
    for g in golds:
        score_document(g, {key: by_doc[g["id"]]}, report)
    return report.kinds[kind]


def train(sets_path: Path, shared: Path, out_dir: Path, log=print, report_test: bool = False) -> dict:
    """Fit, select on dev, write the models and their card.  The test split is scored only
    with ``report_test`` (once a change is final): development looks at dev alone."""
    t0 = time.perf_counter()
    sets = [s for s in read_sets(sets_path) if s["path"].exists()]
    roles = ("train", "dev", "test") if report_test else ("train", "dev")
    split = {role: [g for s in sets if s["role"] == role for g in load_gold(s["path"], shared)] for role in roles}
    split.setdefault("test", [])
    nlps = {lang: Pipeline(lang, decisions=False) for lang in ("en", "ja")}
    rows = {role: collect(docs, nlps) for role, docs in split.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    card = {}
    for kind, (classes, _) in KINDS.items():
        train_rows = rows["train"][kind]
        best = None
        for c in C_GRID:
            vec, clf = _fit(train_rows, classes, c)
            for th in THRESHOLDS:
                for drop in DROP_THRESHOLDS:
                    if drop < th:
                        continue
                    model = LinearModel(_export(kind, classes, vec, clf, th, {}, drop))
                    f1 = score_rows(model, rows["dev"][kind], split["dev"], kind).f1 if split["dev"] else 0.0
                    if best is None or f1 > best[0] + 1e-9:
                        best = (f1, c, th, drop, vec, clf)
        assert best is not None, f"{kind}: no model fitted"
        f1, c, th, drop, vec, clf = best
        labels = Counter(r["label"] for r in train_rows)
        meta = {
            "C": c,
            "threshold": th,
            "drop_threshold": drop,
            "train_docs": len(split["train"]),
            "train_candidates": len(train_rows),
            "train_labels": dict(labels),
            "dev_docs": len(split["dev"]),
        }
        data = _export(kind, classes, vec, clf, th, meta, drop)
        model = LinearModel(data)
        dev = score_rows(model, rows["dev"][kind], split["dev"], kind) if split["dev"] else None
        test = score_rows(model, rows["test"][kind], split["test"], kind) if split["test"] else None
        data["meta"].update(
            dev={"p": round(dev.precision, 4), "r": round(dev.recall, 4), "f1": round(dev.f1, 4)} if dev else None,
            test={"p": round(test.precision, 4), "r": round(test.recall, 4), "f1": round(test.f1, 4)} if test else None,
            features=len(data["weights"]),
        )
        path = out_dir / f"{kind}.json"
        path.write_text(
            json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        data["meta"]["bytes"] = path.stat().st_size
        data["meta"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        card[kind] = data["meta"]
        log(
            f"{kind}: C={c} threshold={th} drop={drop} dev F1={data['meta']['dev']} test F1={data['meta']['test']} "
            f"({len(data['weights'])} features, {data['meta']['bytes']} bytes)"
        )
    write_card(out_dir, card, sets, time.perf_counter() - t0)
    return card


def write_card(out_dir: Path, card: dict, sets: list[dict], seconds: float) -> None:
    lines = [
        "# Model card: trialex trained decisions",
        "",
        "Rebuilt by `trialex train` (deterministic: liblinear/lbfgs logistic regression, no random state).",
        f"Training took {seconds:.0f} s on this machine.",
        "",
        "## What they decide",
        "- `trial_size.json`: for every integer candidate (with its counter word, or `n = N`), "
        "none / total / arm / subset.",
        "- `response_rate.json`: for every percentage and count pair, a response rate or another share.",
        "",
        "## Data",
        "",
        "| set | role | lang |",
        "|---|---|---|",
    ]
    lines += [f"| {s['file']} | {s['role']} | {s['lang']} |" for s in sets]
    lines += [
        "",
        "The test split is never used for fitting or selection; its score is reported once, below.",
        "",
        "## Features",
        "",
        "Words at positions -3..+3 and bigrams beside the candidate, bags of words of the sentence on each side "
        "and of the end of the previous sentence, the section (Methods/Results, 【方法】【結果】), presence of every "
        "cue list of models/rules/<lang>/<kind>.json before/after/in the clause/sentence/previous sentence, "
        "the number's "
        "shape, brackets, other kinds in the clause, the rule extractors' verdict; for sizes a share written "
        "right after the count (its numerator) or right before it (a breakdown), one size per group ('in each "
        "group', '各群') and the start of a sentence; for rates an interval right after the percentage.",
        "",
        "## Scores (this kind alone, spec scorer)",
        "",
        "| model | C | new / drop threshold | train candidates | dev P/R/F1 | test P/R/F1 | features | size |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, m in card.items():
        fmt = lambda d: f"{d['p']:.3f} / {d['r']:.3f} / {d['f1']:.3f}" if d else "–"
        lines.append(
            f"| {kind} | {m['C']} | {m['threshold']} / {m['drop_threshold']} | {m['train_candidates']} | "
            f"{fmt(m['dev'])} | "
            f"{fmt(m['test'])} | {m['features']} | {m['bytes'] / 1024:.0f} KiB |"
        )
    (out_dir / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def cmd_train(args: argparse.Namespace) -> int:
    train(Path(args.sets), Path(args.shared), Path(args.out), report_test=args.report_test)
    return 0


def register(sub) -> None:
    t = sub.add_parser(
        "train",
        help="rebuild the trained decisions from annotations/ (models/decisions/)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    t.add_argument("--sets", default="annotations/sets.json", help="the gold sets and their roles")
    t.add_argument("--shared", default="../shared", help="the shared corpora (texts of stand-off gold)")
    t.add_argument("--out", default="models/decisions", help="where the models and their card are written")
    t.add_argument(
        "--report-test",
        action="store_true",
        help="also score the frozen test split in the model card (only once a change is final)",
    )
    t.set_defaults(func=cmd_train)
