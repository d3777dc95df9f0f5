"""Throughput of the default pipeline on one core, per language.

English: the 1,915 PMC trial abstracts of ../shared/corpora/pmc-rct-abstracts.
Japanese: the project's Japanese gold abstracts (annotations/ja.jsonl) and the Japanese
case reports of ../shared/corpora/keepha-ja (read at run time, never copied).
Each set is run --rounds times through Extractor.extract_many after a warm-up; the best
round is reported (other processes on the machine only ever slow a round down).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from trialex.evaluation import corpus_texts
from trialex.pipelines.pipeline import Extractor

ROOT = Path(__file__).resolve().parent.parent


def english_texts(shared: Path) -> list[str]:
    return list(corpus_texts(shared).values())  # sealed ids left out


def japanese_texts(shared: Path) -> list[str]:
    texts = [json.loads(line)["text"] for line in (ROOT / "annotations" / "ja.jsonl").open(encoding="utf-8")]
    ade = shared / "corpora" / "keepha-ja" / "MedTxt-CR-Ja-ADE-202211r"
    texts += [p.read_text(encoding="utf-8") for p in sorted(ade.glob("*.txt"))]
    return texts


def run(extractor: Extractor, texts: list[str], lang: str, rounds: int) -> dict:
    records = [{"id": str(i), "text": t, "lang": lang} for i, t in enumerate(texts)]
    list(extractor.extract_many(records[:50]))  # warm-up: caches, lazy regexes
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in extractor.extract_many(records):
            pass
        rates.append(len(records) / (time.perf_counter() - t0))
    chars = sum(len(t) for t in texts)
    return {"lang": lang, "documents": len(texts), "mean_chars": round(chars / len(texts)),
            "docs_per_s_best": round(max(rates), 1), "docs_per_s_median": round(statistics.median(rates), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    shared = Path(args.shared)
    t0 = time.perf_counter()
    extractor = Extractor()
    load_s = time.perf_counter() - t0
    results = [run(extractor, english_texts(shared), "en", args.rounds),
               run(extractor, japanese_texts(shared), "ja", args.rounds)]
    if args.json:
        print(json.dumps({"load_seconds": round(load_s, 2), "results": results}, indent=1))
        return
    print(f"pipeline load: {load_s:.2f} s (one core)")
    for r in results:
        print(f"{r['lang']}: {r['documents']} documents, mean {r['mean_chars']} chars: "
              f"{r['docs_per_s_best']} docs/s best, {r['docs_per_s_median']} median of {args.rounds}")


if __name__ == "__main__":
    main()
