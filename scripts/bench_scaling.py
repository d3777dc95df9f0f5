"""Extraction time against input length, on adversarial texts (docs/deployment.md,
"Time against input length").

Each family is a short unit repeated (or a real gold abstract, read at run time from
annotations/) and cut to exactly N characters.  Texts without sentence ends are the
dangerous ones: a "sentence" is then the whole text.  For every family and length the
script times ``Extractor.extract`` in CPU seconds of this process (one core; the best of
``--repeat`` runs), prints a table and fits the log-log slope of time against length over
the lengths >= ``--fit-from`` (1.0 = linear, 2.0 = quadratic).

    python scripts/bench_scaling.py                      # all families, 1k-200k
    python scripts/bench_scaling.py --families ones,p_eq --lengths 20000,40000
    python scripts/bench_scaling.py --rules              # the rule path alone
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

from trialex.pipelines.pipeline import Extractor

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)


def _gold_text(name: str, i: int = 0) -> str:
    with (ROOT / "annotations" / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh][i]


def _random_digits_punct(n: int) -> str:
    rng = random.Random(1234)
    return "".join(rng.choice("0123456789.,;:%()/=<>- ") for _ in range(n))


def _unit(unit: str):
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def families() -> dict[str, object]:
    """name -> function(n) giving a text of exactly n characters."""
    en = _gold_text("en")
    ja = _gold_text("ja")
    ja_no_stop = ja.replace("。", "、").replace("\n", "")
    return {
        "p_eq": _unit("P=0.01, "),
        "ones": _unit("1"),
        "p_lt_threshold": _unit("p < 0.05 "),
        "pair_pct": _unit("1 of 2 (50%) "),
        "dose_mg": _unit("10 mg "),
        "n_eq": _unit("n = 5, "),
        "ja_count": _unit("12例"),
        "ja_mmf_dose": _unit("ＭＭＦ 1 g/日、"),
        "random_digits_punct": _random_digits_punct,
        "ja_no_full_stop": _unit(ja_no_stop),
        "abstract_en": _unit(en + "\n"),
        "abstract_ja": _unit(ja + "\n"),
        "percent": _unit("50% "),
        "patients": _unit("5 patients "),
        "arm_list": _unit("(MMF, 5; AZA, 6) "),
        "drug_definition": _unit("mycophenolate mofetil (MMF) "),
        "katakana": _unit("ア"),
        "katakana_salt": _unit("カリウム"),
        "outcomes": _unit("remission 50% relapse "),
        "open_paren": _unit("(50% "),
        "size_open_paren": _unit("5 patients (10% "),
        "whitespace": _unit(" "),
        "words": _unit("patients were randomized and "),
    }


def timed(extractor: Extractor, text: str, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        extractor.extract(text, "auto")
        best = min(best, time.process_time() - t0)
    return best


def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(seconds) against log(length)."""
    pts = [(math.log(n), math.log(max(s, 1e-6))) for n, s in points]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", help="comma-separated names (default: all)")
    ap.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    ap.add_argument("--repeat", type=int, default=1, help="runs per point, best kept (default 1)")
    ap.add_argument("--fit-from", type=int, default=10_000, help="fit the slope on lengths >= this")
    ap.add_argument("--rules", action="store_true", help="the rule path alone (no trained decisions)")
    ap.add_argument("--cap", type=float, default=120.0,
                    help="skip a family's longer lengths once one run took more than this many seconds")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    fams = families()
    names = args.families.split(",") if args.families else list(fams)
    lengths = [int(x) for x in args.lengths.split(",")]
    extractor = Extractor(decisions=not args.rules)
    extractor.extract("warm-up: MMF 1 g/日、185 例中 104 例（56.2%）、P=0.01", "auto")
    print(f"{'family':<22}{'length':>9}{'seconds':>10}{'s per 1k':>10}")
    slopes = {}
    for name in names:
        make = fams[name]
        points = []
        for n in lengths:
            text = make(n)
            assert len(text) == n
            s = timed(extractor, text, args.repeat)
            points.append((n, s))
            print(f"{name:<22}{n:>9,}{s:>10.3f}{1000 * s / n:>10.4f}", flush=True)
            if s > args.cap:
                print(f"{name:<22}  (longer lengths skipped: over --cap {args.cap:g} s)", flush=True)
                break
        slopes[name] = slope([p for p in points if p[0] >= args.fit_from])
    print(f"\nlog-log slope of seconds against length (lengths >= {args.fit_from:,}):")
    for name, k in slopes.items():
        print(f"  {name:<22}{'n/a' if k is None else f'{k:.2f}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
