#!/usr/bin/env python3
"""Build the stand-off held-out gold set annotations/pmc_heldout.jsonl.

    .venv/bin/python annotations/build_pmc.py [MARKUP_DIR] [--shared DIR] [--out FILE]
    .venv/bin/python annotations/build_pmc.py --show PMC5578640     # print one doc and its spans

    # the second set, annotations/pmc_heldout2.jsonl (docs/heldout.md):
    .venv/bin/python annotations/build_pmc.py /tmp/pmc_markup2 --seed 7042 --draw 40 \
        --count 30 --exclude-from annotations/pmc_heldout.jsonl --out annotations/pmc_heldout2.jsonl

The 30 abstracts are real PMC abstracts from shared/corpora/pmc-rct-abstracts, whose
texts may not be copied into this repository.  They were annotated as marked-up copies
outside the repo (default /tmp/pmc_markup/, one file ``NN-PMCxxxx.md`` per abstract,
NN = position in the sample), in the markup of annotations/build.py, whose parser and
value checks are reused here.  This script

* draws the sample again (``random.Random(20261124).sample(range(n), 30)`` over the
  corpus's line indices) and requires exactly one markup file per sampled id;
  with ``--seed S --draw D --count C --exclude-from FILE``: ``random.Random(S).sample(
  range(n), D)``, indices whose id is in FILE (a stand-off JSONL) dropped, the first C
  kept in order (``--draw`` defaults to ``--count``; the defaults give the first set);
* strips the markup and requires the text to equal the corpus text byte for byte;
* writes one stand-off record per abstract, in sample order, with no ``text`` field:
  ``{"id", "lang", "source", "text_sha256", "drug", "dose", "trial_size",
  "response_rate", "p_value", "ignore"}`` with code-point offsets into the corpus text.

The scorer attaches the text at run time (trialex.evaluation.attach_texts).
Any error exits non-zero naming the document.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402  (the parser of annotations/build.py, reused unchanged)

SOURCE = "pmc-rct-abstracts"
SEED = 20261124
SAMPLE_SIZE = 30
DEFAULT_MARKUP = Path("/tmp/pmc_markup")
DEFAULT_OUT = HERE / "pmc_heldout.jsonl"
KEYS = ["id", "lang", "source", "text_sha256", *build.KINDS, "ignore"]
FILE_RE = re.compile(r"^(\d{2})-(PMC\d+)\.md$")
SCALES = {"hundred": 100, "thousand": 1000}

# build.py's dose check looks for "m2"/"kg" in the surface; real abstracts also write
# the basis as a negative exponent ("1250 mg m−2", "mg kg−1 day−1") or after a dot
# ("60 mg/kg.d").  Only for the check, these are rewritten to the slash form before
# build.py sees them; the span and the values are untouched.
_orig_check_dose = build._check_dose
_EXP = [
    (re.compile(r"\s*m\s*[−\-–‐]\s*2\b"), "/m2"),
    (re.compile(r"\s*kg\s*[−\-–‐]\s*1\b"), "/kg"),
    (re.compile(r"\s*(day|d)\s*[−\-–‐]\s*1\b"), "/day"),
    (re.compile(r"\.d\b"), "/day"),  # "60 mg/kg.d", "30 mg/m2.d"
    (re.compile(r"/\s*hr\b"), "/h"),  # "0.25 μg/kg/hr"
    (re.compile(r"/k/"), "/kg/"),  # "1.0 μg/k/h" (k written for kg)
]


def _check_dose(surface, lo, hi, unit, shared=False):
    # A shared-unit list may share a μg or g unit ("AB/FF 400/12 μg" → "400" is
    # 0.4 mg): build.py compares the bare number with the value in mg only, so the
    # mass factors are tried here.
    if shared and unit.startswith("mg") and re.fullmatch(build.NUM, surface) and lo == hi:
        if any(math.isclose(float(surface) * f, lo, rel_tol=1e-9) for f in (1, 0.001, 1000)):
            return None
    s = surface
    for pat, rep in _EXP:
        s = pat.sub(rep, s)
    return _orig_check_dose(s, lo, hi, unit, shared=shared)


build._check_dose = _check_dose

# build.py reads a size written in words by adding the number words ("Forty-five");
# real abstracts also write "Two hundred and sixty‐nine adults".  Only for the check,
# a surface whose words make up n with "hundred"/"thousand" is handed on as the digits.
_orig_parse_size = build._parse_size


def words_value(surface: str) -> int | None:
    """The number written in words ("two hundred and sixty-nine" → 269), else None."""
    total = cur = 0
    seen = False
    for w in re.findall(r"[a-z]+", surface.lower()):
        if w in build.WORD_NUMBERS:
            cur += build.WORD_NUMBERS[w]
            seen = True
        elif w in SCALES and seen:
            cur = max(cur, 1) * SCALES[w]
            if SCALES[w] >= 1000:
                total, cur = total + cur, 0
    return total + cur if seen else None


def _parse_size(surface, kv, bare, text):
    n = kv.get("n")
    if (n and n.isdigit() and not re.search(r"\d", surface)
            and any(w in SCALES for w in re.findall(r"[a-z]+", surface.lower()))
            and words_value(surface) == int(n)):
        surface = n
    return _orig_parse_size(surface, kv, bare, text)


build._parse_size = _parse_size
build.PARSERS["trial_size"] = _parse_size


def default_shared() -> Path:
    for cand in (HERE.parent.parent / "shared", HERE.parent / "shared", Path("/work/shared")):
        if (cand / "corpora" / SOURCE / "abstracts.jsonl").is_file():
            return cand
    return HERE.parent.parent / "shared"


def excluded_ids(paths) -> set[str]:
    """Ids of the records of stand-off JSONL files (an earlier held-out set)."""
    ids: set[str] = set()
    for path in paths or ():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                ids.add(json.loads(line)["id"])
    return ids


def sample(shared: Path, seed: int = SEED, count: int = SAMPLE_SIZE, draw: int | None = None,
           exclude: set[str] = frozenset()) -> list[tuple[int, str, str]]:
    """[(line index, id, text)] of the held-out sample, in sample order.

    ``random.Random(seed).sample(range(n), draw)`` over the corpus's line indices
    (draw defaults to count), ids in ``exclude`` dropped, the first ``count`` kept.
    """
    path = shared / "corpora" / SOURCE / "abstracts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    picked = random.Random(seed).sample(range(len(lines)), count if draw is None else draw)
    out = []
    for i in picked:
        rec = json.loads(lines[i])
        if rec["id"] in exclude:
            continue
        out.append((i, rec["id"], rec["text"]))
    if len(out) < count:
        raise build.MarkupError(f"only {len(out)} abstracts left after the exclusions, {count} wanted")
    return out[:count]


def read_markup(markup_dir: Path) -> dict[str, tuple[int, str]]:
    """{PMC id: (position, markup source)}; one trailing newline of a file is dropped."""
    found: dict[str, tuple[int, str]] = {}
    for path in sorted(markup_dir.glob("*.md")):
        m = FILE_RE.match(path.name)
        if not m:
            raise build.MarkupError(f"{path.name}: file names must look like NN-PMCxxxx.md")
        src = path.read_text(encoding="utf-8")
        if src.endswith("\n"):
            src = src[:-1]
        if m.group(2) in found:
            raise build.MarkupError(f"{m.group(2)}: two markup files")
        found[m.group(2)] = (int(m.group(1)), src)
    return found


def build_all(markup_dir: Path, shared: Path, **how) -> list[dict]:
    """how: the keyword arguments of sample() (seed, count, draw, exclude)."""
    drawn = sample(shared, **how)
    markup = read_markup(markup_dir)
    want = [pmcid for _, pmcid, _ in drawn]
    missing = [p for p in want if p not in markup]
    extra = sorted(set(markup) - set(want))
    if missing or extra:
        raise build.MarkupError(f"markup files do not match the sample: missing {missing}, extra {extra}")
    records = []
    for pos, (_, pmcid, text) in enumerate(drawn, 1):
        got_pos, src = markup[pmcid]
        if got_pos != pos:
            raise build.MarkupError(f"{pmcid}: file number {got_pos:02d} but sample position {pos:02d}")
        # build.py refuses leading/trailing whitespace in a document; a corpus text may
        # have some (an empty title line): it is kept in the markup, outside any span,
        # and put back around the parsed text, the offsets shifted past it.
        lead = src[: len(src) - len(src.lstrip())]
        trail = src[len(src.rstrip()):]
        try:
            rec = build.build_doc(pmcid, "en", src.strip())
        except build.MarkupError as e:
            raise build.MarkupError(f"{pmcid}: {e}") from None
        if lead or trail:
            rec["text"] = lead + rec["text"] + trail
            for kind in (*build.KINDS, "ignore"):
                for m in rec[kind]:
                    m["start"] += len(lead)
                    m["end"] += len(lead)
        if rec["text"] != text:
            a, b = rec["text"], text
            k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            raise build.MarkupError(
                f"{pmcid}: stripped markup differs from the corpus text at {k}: "
                f"{a[max(0, k - 30):k + 30]!r} vs {b[max(0, k - 30):k + 30]!r}")
        if rec["text"].encode("utf-8") != text.encode("utf-8"):  # belt and braces
            raise build.MarkupError(f"{pmcid}: bytes differ")
        out = {"id": pmcid, "lang": "en", "source": SOURCE,
               "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
        for kind in (*build.KINDS, "ignore"):
            out[kind] = rec[kind]
        assert list(out) == KEYS
        records.append(out)
    return records


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("markup_dir", nargs="?", type=Path, default=DEFAULT_MARKUP)
    ap.add_argument("--shared", type=Path, default=None, help="the shared/ directory")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=SEED, help=f"sample seed (default {SEED})")
    ap.add_argument("--count", type=int, default=SAMPLE_SIZE,
                    help=f"abstracts kept (default {SAMPLE_SIZE})")
    ap.add_argument("--draw", type=int, default=None,
                    help="line indices drawn before the exclusions (default: --count)")
    ap.add_argument("--exclude-from", type=Path, action="append", default=[], metavar="FILE",
                    help="drop drawn abstracts whose id is in this stand-off JSONL (repeatable)")
    ap.add_argument("--show", metavar="ID", help="print one document (or 'all') with its spans")
    args = ap.parse_args(argv)
    shared = args.shared or default_shared()
    try:
        how = {"seed": args.seed, "count": args.count, "draw": args.draw,
               "exclude": excluded_ids(args.exclude_from)}
        records = build_all(args.markup_dir, shared, **how)
    except (build.MarkupError, OSError, ValueError) as e:
        print(f"build_pmc.py: error: {e}", file=sys.stderr)
        return 1
    if args.show:
        texts = {pmcid: text for _, pmcid, text in sample(shared, **how)}
        for r in records:
            if args.show in (r["id"], "all"):
                print(build.show({**r, "text": texts[r["id"]]}))
        return 0
    args.out.write_text(build.dump(records), encoding="utf-8")
    counts = {k: sum(len(r[k]) for r in records) for k in (*build.KINDS, "ignore")}
    print(f"{args.out.name}: {len(records)} docs, " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
