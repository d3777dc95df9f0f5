"""Drug-name precision/recall on the shared Japanese corpora (read at run time only).

- keepha-ja (MedTxt-CR-Ja-ADE-202211r and medner-sc-sm-ja-train-split): brat DRUG spans with
  offsets; scored span by span (overlap).
- jmed-llm-mrner (mrner_medicine.csv, m-key rows): gold drug-name strings without offsets;
  every occurrence of a gold string in its document is a gold span.
Both corpora annotate classes and regimens as DRUG (their SOURCE.md); gold items that the
spec does not count as drugs are filtered before scoring: items that our class list flags,
regimens ("…療法", "A + B"), and generic references ("薬", "薬剤", "治療薬", "…剤") are
dropped and their spans ignored (a drug named inside a dropped regimen is neither rewarded
nor punished); documents without any annotation are skipped. Class outputs (class: true) are neither
rewarded nor punished.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

from trialex.pipelines.pipeline import Extractor

ROOT = Path(__file__).resolve().parent.parent
_REGIMEN = re.compile(r"療法$|[+＋,，]|レジメン")
# generic references and groups: 薬, 薬剤, 治療薬, 抗炎症薬, ステロイド剤, 栄養剤, ジェネリック医薬品
_GENERIC = re.compile(r"(?:薬|剤|医薬品|薬品|痛み止め|ジェネリック)$")


def is_class(surface: str, class_terms: set[str]) -> bool:
    norm = unicodedata.normalize("NFKC", surface).strip()
    return norm in class_terms or bool(_REGIMEN.search(norm)) or bool(_GENERIC.search(norm))


def gold_keepha(shared: Path) -> list[dict]:
    docs = []
    base = shared / "corpora" / "keepha-ja"
    for sub in ("MedTxt-CR-Ja-ADE-202211r", "medner-sc-sm-ja-train-split"):
        for txt in sorted((base / sub).glob("*.txt")):
            ann = txt.with_suffix(".ann")
            spans = []
            lines = ann.read_text(encoding="utf-8").splitlines()
            if not any(line.startswith("T") for line in lines):
                continue  # a document nobody annotated: no gold to score against
            for line in lines:
                parts = line.split("\t")
                if len(parts) < 3 or not parts[0].startswith("T"):
                    continue
                label, *offsets = parts[1].replace(";", " ").split()
                if label != "DRUG":
                    continue
                spans.append((int(offsets[0]), int(offsets[-1]), parts[2]))
            docs.append({"id": f"{sub}/{txt.stem}", "text": txt.read_text(encoding="utf-8"), "spans": spans})
    return docs


def gold_mrner(shared: Path) -> list[dict]:
    docs: dict[str, dict] = {}
    path = shared / "corpora" / "jmed-llm-mrner" / "mrner_medicine.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["tag"] != "m-key":
                continue
            text = row["question"][row["question"].index("「") + 1 : row["question"].rindex("」")]
            doc = docs.setdefault(text, {"id": f"mrner/{len(docs)}", "text": text, "spans": []})
            for surface in ast.literal_eval(row["answer"]):
                for m in re.finditer(re.escape(surface), text):
                    doc["spans"].append((m.start(), m.end(), surface))
    return list(docs.values())


def score(extractor: Extractor, docs: list[dict], class_terms: set[str]) -> dict:
    tp = fp = fn = 0
    filtered = Counter()
    misses, false_pos = Counter(), Counter()
    results = extractor.extract_many({"id": d["id"], "text": d["text"], "lang": "ja"} for d in docs)
    for doc, res in zip(docs, results):
        gold, ignored = [], []
        for s, e, surface in set(doc["spans"]):
            if is_class(surface, class_terms):
                filtered[surface] += 1
                ignored.append((s, e))  # a drug named inside a filtered regimen is not punished
                continue
            gold.append((s, e, surface))
        preds = [(m["start"], m["end"], m["text"]) for m in res["drugs"] if not m.get("class")]
        classes = [(m["start"], m["end"]) for m in res["drugs"] if m.get("class")]
        matched = set()
        for s, e, surface in gold:
            hit = next((i for i, p in enumerate(preds) if p[0] < e and s < p[1]), None)
            if hit is None:
                fn += 1
                misses[surface] += 1
            else:
                tp += 1
                matched.add(hit)
        for i, (s, e, surface) in enumerate(preds):
            if i in matched:
                continue
            if any(s < ce and cs < e for cs, ce in classes + ignored) or any(s < ge and gs < e for gs, ge, _ in gold):
                continue  # a second prediction inside an already matched gold span
            fp += 1
            false_pos[surface] += 1
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {
        "documents": len(docs),
        "gold_spans": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "filtered_gold": sum(filtered.values()),
        "filtered_examples": filtered.most_common(12),
        "top_misses": misses.most_common(25),
        "top_false_positives": false_pos.most_common(25),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    shared = Path(args.shared)
    class_terms = {unicodedata.normalize("NFKC", t) for t in _class_terms()} | {"プラセボ", "偽薬"}
    extractor = Extractor()
    out = {
        "keepha-ja": score(extractor, gold_keepha(shared), class_terms),
        "jmed-llm-mrner (mrner_medicine m-key)": score(extractor, gold_mrner(shared), class_terms),
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))


def _class_terms() -> list[str]:
    from trialex.pipelines.resources import read_tsv

    return [row["term"] for row in read_tsv("lexicons", "drug_classes.tsv")]


if __name__ == "__main__":
    main()
