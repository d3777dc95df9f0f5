#!/usr/bin/env python3
"""The real-text gold at scale: sampling, stand-off annotation files, agreement, adjudication.

    .venv/bin/python annotations/standoff.py plan                       # sample + splits → manifest
    .venv/bin/python annotations/standoff.py text ID [ID ...]            # print texts to annotate
    .venv/bin/python annotations/standoff.py check DIR [--show ID]      # resolve a pass, print errors
    .venv/bin/python annotations/standoff.py merge A B OUT              # draft for adjudication
    .venv/bin/python annotations/standoff.py agreement A B [--json]     # matched/union per kind
    .venv/bin/python annotations/standoff.py build                      # final/ → annotations/*-{split}.jsonl

Annotators never copy a text.  For each document they write ``DIR/<id>.ann``, one mention a
line **in document order**::

    drug | MMF | mycophenolate mofetil
    size | n = 150 | arm;arm=mycophenolate mofetil
    rr   | 13 of 25 | 13/25;outcome=responded
    p    | P = 0·003 | =0.003
    dose | 2 g/day | 2000 mg/day;drug=^
    ignore | steroids | drug
    size | 75 | arm ;; ctx=MMF (75 patients)

``kind | surface | attributes`` (the attributes of docs/annotation-guidelines.md, the same as
in annotations/build.py's markup, whose value checks run unchanged), and optionally
``;; ctx=TEXT``: a longer string around the surface that occurs once in the text, to pin
down which occurrence is meant.  Without ``ctx`` the surface is searched from the start of
the previous mention onwards (hence document order), skipping occurrences its kind already
took (so a drug named twice in a row is two plain lines); a match must not cut a word or a
number.  ``#`` starts a comment line.

The English texts are real PMC abstracts read from ../shared at run time (never copied);
the Japanese texts were written by the team and are kept with the gold.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402  (the value checks of the markup parser)
import build_pmc  # noqa: E402,F401  (extends build's checks for real abstracts: m−2, number words)
from trialex import evaluation  # noqa: E402  (the one reader of unsealed corpus texts)

KINDS = build.KINDS
ALL = (*KINDS, "effect", "ignore")
MEASURES = ("HR", "OR", "RR", "RD", "MD", "SMD", "IRR")
ALIASES = {**build.ALIASES, "effect": "effect"}
SOURCE = "pmc-rct-abstracts"
WORK = Path("/work/ann")  # annotation work area, outside the repository
MANIFEST = HERE / "manifest.json"
SPLIT_SIZES = {"en": {"test": 150, "dev": 100, "train": 350}, "ja": {"test": 80, "dev": 60, "train": 160}}
EN_SEED = 20261129
# the earlier one-pass stand-off sets: rules were tuned on them, so they are training data
OLD_SETS = ("pmc_heldout.jsonl", "pmc_heldout2.jsonl", "pmc_heldout3.jsonl")
LINE_RE = re.compile(r"^\s*([a-z_]+)\s*\|(.*?)\|(.*?)(?:;;\s*ctx=(.*))?$")


class AnnError(Exception):
    pass


# ---------------------------------------------------------------- texts and sampling

def shared_dir() -> Path:
    return build_pmc.default_shared()


def corpus_texts(shared: Path) -> dict[str, str]:
    """{id: text} of the unsealed PMC abstracts; sealed ids are dropped before anything else."""
    return evaluation.corpus_texts(shared, SOURCE)


def plan(shared: Path, seed: int = EN_SEED) -> dict:
    """Sample the English documents and assign splits in sample order (test, dev, train)."""
    texts = corpus_texts(shared)
    old = build_pmc.excluded_ids([HERE / f for f in OLD_SETS if (HERE / f).exists()])
    pool = sorted(i for i in texts if i not in old)
    sizes = SPLIT_SIZES["en"]
    picked = random.Random(seed).sample(pool, sum(sizes.values()))
    docs, i = [], 0
    for split, n in sizes.items():
        docs += [{"id": d, "split": split} for d in picked[i:i + n]]
        i += n
    return {"en": {"source": SOURCE, "seed": seed, "pool": len(pool),
                   "excluded": "sealed ids and the earlier one-pass sets " + ", ".join(OLD_SETS),
                   "docs": docs}}


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def doc_text(doc_id: str, texts: dict[str, str], work: Path = WORK) -> str:
    if doc_id in texts:
        return texts[doc_id]
    path = work / "ja" / "text" / f"{doc_id}.txt"
    if path.exists():
        return path.read_text(encoding="utf-8").rstrip("\n")
    raise AnnError(f"{doc_id}: no text (not an unsealed PMC id, no {path})")


# ---------------------------------------------------------------- resolving .ann files

def _cuts(text: str, start: int, end: int) -> bool:
    """True if [start, end) cuts a word or a number of the text."""
    def alnum(c: str) -> bool:
        return c.isascii() and c.isalnum()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and alnum(before) and alnum(text[start]):
        return True
    if after and alnum(after) and alnum(text[end - 1]):
        return True
    # "5 mg" inside "2.5 mg" or "1,500": a digit run continued by . or ,
    if start >= 2 and text[start].isdigit() and text[start - 1] in ".,·．，" and text[start - 2].isdigit():
        return True
    if end + 1 < len(text) and text[end - 1].isdigit() and text[end] in ".·．" and text[end + 1].isdigit():
        return True  # "30" inside "30.0"
    # full-width digits ("５人" inside "２５人"), and a katakana word's tail ("スタチン" inside
    # "ピタバスタチン"; a head such as "ステロイド" of "ステロイドパルス" may stand alone)
    if before and before.isdigit() and text[start].isdigit():
        return True
    if after and after.isdigit() and text[end - 1].isdigit():
        return True
    return bool(before) and _katakana(before) and _katakana(text[start])


def _katakana(c: str) -> bool:
    return "\u30a1" <= c <= "\u30fa" or c == "ー" or "\uff66" <= c <= "\uff9f"


def _find(text: str, surface: str, pos: int) -> int:
    while True:
        i = text.find(surface, pos)
        if i < 0 or not _cuts(text, i, i + len(surface)):
            return i
        pos = i + 1


def parse_ann(doc_id: str, src: str, text: str, strict: bool = True) -> dict:
    """The gold record (without text) of one .ann file; AnnError names the line."""
    items = {k: [] for k in ALL}
    cursor = 0
    for lineno, line in enumerate(src.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{doc_id}:{lineno}"
        m = LINE_RE.match(line)
        if not m:
            raise AnnError(f"{where}: not 'kind | surface | attributes': {line!r}")
        kind = ALIASES.get(m.group(1))
        if kind is None:
            raise AnnError(f"{where}: unknown kind {m.group(1)!r}")
        surface, attrs, ctx = m.group(2).strip(), m.group(3).strip(), m.group(4)
        if not surface:
            raise AnnError(f"{where}: empty surface")
        if ctx is not None:
            ctx = ctx.strip()
            if surface not in ctx:
                raise AnnError(f"{where}: surface {surface!r} not inside ctx {ctx!r}")
            c = text.find(ctx)
            if c < 0 or text.find(ctx, c + 1) >= 0:
                raise AnnError(f"{where}: ctx {ctx!r} must occur exactly once in the text")
            start = _find(text, surface, c)
            if start < 0 or start + len(surface) > c + len(ctx):
                raise AnnError(f"{where}: surface {surface!r} not found as a whole inside ctx")
        else:
            start = _find(text, surface, cursor)
            # a repeated surface ("MMF" ... "MMF") takes the next occurrence not yet used by its kind
            while start >= 0 and any(m["start"] == start for m, _ in items[kind]):
                start = _find(text, surface, start + 1)
            if start < 0:
                seen = _find(text, surface, 0)
                hint = ("it occurs only before the previous mention: keep document order or add ;; ctx="
                        if seen >= 0 else "not in the text (copy it exactly, also ·, −, full-width forms)")
                raise AnnError(f"{where}: {kind} {surface!r}: {hint}")
        end = start + len(surface)
        cursor = start
        kv, bare = build._attrs(attrs)
        try:
            fields, extra = PARSERS[kind](surface, kv, bare, text)
        except build.MarkupError as e:
            raise AnnError(f"{where}: {e}") from None
        items[kind].append(({"start": start, "end": end, **fields}, extra))
    return _finish(doc_id, text, items, strict)


def _parse_effect(surface, kv, bare, text):
    """effect | HR 0.72 (95% CI 0.58–0.89) | HR;value=0.72;low=0.58;high=0.89[;level=95]"""
    build._no_extra("effect", kv, bare, ("value", "low", "high", "level"), 1)
    measure = bare[0] if bare else None
    if measure not in MEASURES:
        raise build.MarkupError(f"effect {surface!r}: the measure must be one of {MEASURES}")
    if "value" not in kv or ("low" in kv) != ("high" in kv):
        raise build.MarkupError(f"effect {surface!r}: needs value=, and low= with high=")
    out = {"measure": measure, "value": build._num(kv["value"])}
    written = [float(x) for x in re.findall(r"\d*\.\d+|\d+", build._norm(surface))]  # ".002" too
    for key, field in (("value", "value"), ("low", "ci_low"), ("high", "ci_high")):
        if key in kv:
            v = build._num(kv[key])
            if abs(v) not in written:
                raise build.MarkupError(f"effect {surface!r}: {key} {v} is not written in the span")
            out[field] = v
    if "low" in kv:
        if not out["ci_low"] <= out["ci_high"]:
            raise build.MarkupError(f"effect {surface!r}: low > high")
        out["ci_level"] = build._num(kv.get("level", "95"))
    return out, {}


PARSERS = {**build.PARSERS, "effect": _parse_effect}


def _finish(doc_id: str, text: str, items: dict, strict: bool = True) -> dict:
    """Sort, refuse duplicate spans, fill drug names, resolve dose → drug references."""
    for kind, lst in items.items():
        lst.sort(key=lambda it: (it[0]["start"], it[0]["end"]))
        spans = [(m["start"], m["end"]) for m, _ in lst]
        if len(spans) != len(set(spans)):
            dup = next(s for s in spans if spans.count(s) > 1)
            raise AnnError(f"{doc_id}: two {kind} mentions with the span {text[dup[0]:dup[1]]!r} at {dup[0]}")
        if strict and kind == "trial_size":
            starts = {a0 for a0, _ in spans}
            for a0, a1 in spans:  # "(44/44)": a size on the numerator while the denominator is none
                den = re.match(r"\s*[/／]\s*(?=[0-9０-９])", text[a1:a1 + 4])
                if den and a1 + den.end() not in starts and not re.search(r"[/／]\s*$", text[max(0, a0 - 2):a0]):
                    raise AnnError(f"{doc_id}: size {text[a0:a1]!r} at {a0} is the numerator of a pair "
                                   "whose denominator is no size (pin the denominator with ;; ctx=)")
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            # sorted by start: a mention inside or across the previous one
            if strict and b0 < a1 and kind != "ignore":
                raise AnnError(
                    f"{doc_id}: {kind} mentions overlap: {text[a0:a1]!r} at {a0} and {text[b0:b1]!r} at {b0}"
                )
    drugs = items["drug"]
    named: dict[str, str] = {}
    for m, _ in drugs:
        if m["name"] is not None:
            named.setdefault(text[m["start"] : m["end"]].lower(), m["name"])
    for m, _ in drugs:
        if m["name"] is None:
            name = named.get(text[m["start"] : m["end"]].lower())
            if name is None:
                raise AnnError(f"{doc_id}: drug {text[m['start'] : m['end']]!r} at {m['start']} has no name")
            m["name"] = name
    try:
        build.resolve_dose_drugs(drugs, items["dose"])
    except build.MarkupError as e:
        raise AnnError(f"{doc_id}: {e}") from None
    return {k: [m for m, _ in items[k]] for k in ALL}


def resolve_dir(
    ann_dir: Path, texts: dict[str, str], ids=None, strict: bool = True
) -> tuple[dict[str, dict], list[str]]:
    """{id: record} for every .ann file (or the given ids) and the list of errors.
    ``strict=False`` (the two passes, as annotated before a rule was added) allows
    mentions of one kind to overlap; the adjudicated files never do."""
    out, errors = {}, []
    paths = sorted(ann_dir.glob("*.ann")) if ids is None else [ann_dir / f"{i}.ann" for i in ids]
    for path in paths:
        doc_id = path.stem
        try:
            if not path.exists():
                raise AnnError(f"{doc_id}: missing {path}")
            out[doc_id] = parse_ann(doc_id, path.read_text(encoding="utf-8"), doc_text(doc_id, texts), strict)
        except AnnError as e:
            errors.append(str(e))
    return out, errors


def show(doc_id: str, rec: dict, text: str) -> str:
    rows = [f"=== {doc_id} ({len(text)} chars)"]
    flat = sorted(((m["start"], m["end"], k, m) for k in ALL for m in rec[k]), key=lambda r: r[:2])
    for s, e, k, m in flat:
        vals = {a: b for a, b in m.items() if a not in ("start", "end")}
        ctx = (text[max(0, s - 25) : s] + "⟦" + text[s:e] + "⟧" + text[e : e + 25]).replace("\n", "⏎")
        rows.append(f"{k:<13} {s:>5}-{e:<5} {json.dumps(vals, ensure_ascii=False)}  …{ctx}…")
    return "\n".join(rows)


# ---------------------------------------------------------------- agreement and adjudication


def _key(kind: str, m: dict):
    """What two annotators must agree on besides the span overlap (the scorer's key)."""
    if kind == "drug":
        return m["name"]
    if kind == "dose":
        return (round(m["min"], 6), round(m["max"], 6), m["unit"])
    if kind == "trial_size":
        return m["n"]
    if kind == "response_rate":
        return round(m["percent"], 1)
    if kind == "p_value":
        return (m["operator"], m["value"])
    if kind == "effect":
        return (m["measure"], m["value"])
    return m["kind"]


def _loose(x, y) -> bool:
    """Free-text attributes (arm, outcome) agree when one contains the other, case aside."""
    x, y = str(x).lower().strip(), str(y).lower().strip()
    return x in y or y in x


def same(a: dict, b: dict) -> bool:
    """Same span and attributes; arm and outcome compared loosely (they are labels, not scored)."""
    if a.keys() != b.keys():
        return False
    return all(_loose(a[k], b[k]) if k in ("arm", "outcome") else a[k] == b[k] for k in a)


def pair_up(kind: str, a: list[dict], b: list[dict]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Greedy one-to-one matching: overlapping spans with the same key (exact span first)."""
    pairs, used = [], set()
    order = sorted(range(len(a)), key=lambda i: a[i]["start"])
    for exact in (True, False):
        for i in order:
            if any(p[0] == i for p in pairs):
                continue
            for j, mb in enumerate(b):
                if j in used or _key(kind, a[i]) != _key(kind, mb):
                    continue
                same = (a[i]["start"], a[i]["end"]) == (mb["start"], mb["end"])
                overlap = a[i]["start"] < mb["end"] and mb["start"] < a[i]["end"]
                if same if exact else overlap:
                    pairs.append((i, j))
                    used.add(j)
                    break
    only_a = [i for i in range(len(a)) if all(p[0] != i for p in pairs)]
    only_b = [j for j in range(len(b)) if j not in used]
    return pairs, only_a, only_b


def portable(rec: dict) -> dict:
    """A record whose dose → drug links name the drug mention by its offset ("drug_at"), not by
    its index, so that two passes with different drug lists compare."""
    doses = []
    for d in rec["dose"]:
        d = dict(d)
        if "drug" in d:
            d["drug_at"] = rec["drug"][d.pop("drug")]["start"]
        doses.append(d)
    return {**rec, "dose": doses}


def agreement(a: dict[str, dict], b: dict[str, dict]) -> dict:
    """Per kind: matched, only-A, only-B, matched/union (and exact-span and full-attribute agreement)."""
    stats = {k: {"matched": 0, "only_a": 0, "only_b": 0, "same_span": 0, "same_attrs": 0} for k in ALL}
    for doc_id in sorted(set(a) & set(b)):
        ra, rb = portable(a[doc_id]), portable(b[doc_id])
        for k in ALL:
            pairs, oa, ob = pair_up(k, ra[k], rb[k])
            s = stats[k]
            s["matched"] += len(pairs)
            s["only_a"] += len(oa)
            s["only_b"] += len(ob)
            for i, j in pairs:
                ma, mb = ra[k][i], rb[k][j]
                s["same_span"] += (ma["start"], ma["end"]) == (mb["start"], mb["end"])
                s["same_attrs"] += same(ma, mb)
    for s in stats.values():
        union = s["matched"] + s["only_a"] + s["only_b"]
        s["agreement"] = round(s["matched"] / union, 4) if union else 1.0
    return {"documents": len(set(a) & set(b)), "kinds": stats}


def ann_line(kind: str, m: dict, text: str) -> str:
    """A resolved mention written back as an .ann line (with a ctx that pins it)."""
    surface = text[m["start"] : m["end"]]
    if kind == "drug":
        attrs = m["name"]
    elif kind == "dose":
        attrs = f"min={m['min']};max={m['max']};unit={m['unit']}"
        if re.fullmatch(build.NUM, build._norm(surface)):
            attrs += ";shared=yes"  # a bare number of a list sharing one unit
        if "drug_at" in m:
            attrs += f";drug=@{m['drug_at']}"
    elif kind == "trial_size":
        attrs = f"{m['scope']};n={m['n']}" + (f";arm={m['arm']}" if m.get("arm") else "")
    elif kind == "response_rate":
        attrs = f"percent={m['percent']}"
        if "numerator" in m:
            attrs += f";num={m['numerator']};den={m['denominator']}"
        attrs += f";outcome={m['outcome']}" + (f";arm={m['arm']}" if m.get("arm") else "")
    elif kind == "effect":
        attrs = f"{m['measure']};value={m['value']:g}"
        if "ci_low" in m:
            attrs += f";low={m['ci_low']:g};high={m['ci_high']:g};level={m['ci_level']:g}"
    elif kind == "p_value":
        attrs = (
            f"{m['operator']}{m['value']:g}" if m["value"] >= 1e-4 else f"operator={m['operator']};value={m['value']!r}"
        )
    else:
        attrs = m["kind"]
    lo, hi = m["start"], m["end"]
    # a context that occurs once: grow around the span until unique
    for pad in range(0, 200, 4):
        ctx = text[lo : hi + pad]  # starting at the surface: it is searched from the ctx's start
        if ctx == ctx.strip() and "\n" not in ctx:
            if text.count(ctx) == 1 and "|" not in ctx:
                return f"{kind} | {surface} | {attrs} ;; ctx={ctx}"
    return f"{kind} | {surface} | {attrs}"


def merge(a: dict, b: dict, text: str) -> str:
    """An adjudication draft: agreed mentions as plain lines; each disagreement as a line
    starting with '?A ' or '?B ' (and '?= ' for a pair that matched on the key but not on
    every attribute, both versions shown).  The adjudicator deletes, accepts (removes the
    marker) or edits each '?' line."""
    lines = []
    a, b = portable(a), portable(b)
    for k in ALL:
        pairs, oa, ob = pair_up(k, a[k], b[k])
        for i, j in pairs:
            ma, mb = a[k][i], b[k][j]
            if same(ma, mb):
                lines.append((ma["start"], ann_line(k, ma, text)))
            else:
                lines.append((ma["start"], "?A " + ann_line(k, ma, text)))
                lines.append((mb["start"], "?B " + ann_line(k, mb, text)))
        lines += [(a[k][i]["start"], "?A " + ann_line(k, a[k][i], text)) for i in oa]
        lines += [(b[k][j]["start"], "?B " + ann_line(k, b[k][j], text)) for j in ob]
    lines.sort(key=lambda x: x[0])
    return "\n".join(line for _, line in lines) + "\n"


# ---------------------------------------------------------------- the final files


def record(doc_id: str, lang: str, text: str, rec: dict, split: str, extra: dict | None = None) -> dict:
    out = {"id": doc_id, "lang": lang, "split": split}
    if lang == "en":
        out["source"] = SOURCE
        out["text_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    else:
        out["text"] = text
    out.update(extra or {})
    for k in ALL:
        out[k] = rec[k]
    return out


def ja_split(doc_id: str) -> str:
    """Japanese documents are split by number, in the order they were written."""
    n = int(re.fullmatch(r"ja-w(\d{3})", doc_id).group(1))
    sizes = SPLIT_SIZES["ja"]
    return "test" if n <= sizes["test"] else "dev" if n <= sizes["test"] + sizes["dev"] else "train"


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def build_all(work: Path = WORK) -> dict:
    """Adjudicated files (WORK/<lang>/final) → annotations/<lang>-<split>.jsonl; both passes →
    annotations/passes/<lang>-<A|B>.jsonl (offsets and values only); agreement → agreement.json."""
    texts = corpus_texts(shared_dir())
    manifest = load_manifest()
    summary = {}
    for lang in ("en", "ja"):
        if lang == "en":
            order = [(d["id"], d["split"]) for d in manifest["en"]["docs"]]
        else:
            ids = sorted(p.stem for p in (work / "ja" / "text").glob("ja-w*.txt"))
            order = [(i, ja_split(i)) for i in ids]
        final, errors = resolve_dir(
            work / lang / "final", texts, [i for i, _ in order if (work / lang / "final" / f"{i}.ann").exists()]
        )
        passes = {}
        for p in ("A", "B"):  # the two passes of the adjudicated documents
            passes[p], errs = resolve_dir(work / lang / p, texts, [i for i, _ in order if i in final], strict=False)
            errors += errs
            # effects were added later to the first batches, in a pass of their own (eff<A|B>)
            eff, errs = resolve_dir(
                work / lang / f"eff{p}",
                texts,
                [i for i, _ in order if i in final and (work / lang / f"eff{p}" / f"{i}.ann").exists()],
            )
            errors += errs
            for i, rec in eff.items():
                if i in passes[p]:
                    passes[p][i]["effect"] = rec["effect"]
        if errors:
            raise AnnError("\n".join(errors))
        both = [i for i, _ in order if i in passes["A"] and i in passes["B"]]
        for p in ("A", "B"):
            _write_jsonl(HERE / "passes" / f"{lang}-{p}.jsonl", [{"id": i, **passes[p][i]} for i in both])
        summary[lang] = {"agreement": agreement({i: passes["A"][i] for i in both}, {i: passes["B"][i] for i in both})}
        for split in ("train", "dev", "test"):
            recs = []
            for i, sp in order:
                if sp == split and i in final:
                    meta = {}
                    if lang == "ja":
                        meta = json.loads((work / "ja" / "meta" / f"{i}.json").read_text(encoding="utf-8"))
                    recs.append(record(i, lang, doc_text(i, texts, work), final[i], split, meta))
            path = HERE / f"{lang}-{split}.jsonl"
            if recs:
                _write_jsonl(path, recs)
            elif path.exists():
                path.unlink()
            summary[lang][split] = len(recs)
    (HERE / "agreement.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan")
    p.add_argument("--seed", type=int, default=EN_SEED)
    c = sub.add_parser("check")
    c.add_argument("dir", type=Path)
    c.add_argument("--show", metavar="ID", help="print a document's resolved mentions ('all' for every one)")
    c.add_argument("--ids", type=Path, help="only the ids of this file (one a line)")
    m = sub.add_parser("merge")
    m.add_argument("a", type=Path)
    m.add_argument("b", type=Path)
    m.add_argument("out", type=Path)
    m.add_argument("--ids", type=Path, help="a file of ids, one a line (default: every id in both)")
    t = sub.add_parser("text", help="print documents' texts (for annotators)")
    t.add_argument("ids", nargs="+")
    g = sub.add_parser("agreement")
    g.add_argument("a", type=Path)
    g.add_argument("b", type=Path)
    g.add_argument("--json", action="store_true")
    b = sub.add_parser("build")
    b.add_argument("--work", type=Path, default=WORK)
    args = ap.parse_args(argv)
    shared = shared_dir()
    if args.cmd == "build":
        try:
            print(json.dumps(build_all(args.work), indent=1))
        except AnnError as e:
            print(e)
            return 1
        return 0
    if args.cmd == "plan":
        MANIFEST.write_text(json.dumps(plan(shared, args.seed), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST}")
        return 0
    texts = corpus_texts(shared)
    if args.cmd == "text":
        for doc_id in args.ids:
            print(f"===== {doc_id}\n{doc_text(doc_id, texts)}\n")
        return 0
    if args.cmd == "check":
        recs, errors = resolve_dir(args.dir, texts, args.ids.read_text().split() if args.ids else None)
        for e in errors:
            print("ERROR", e)
        if args.show:
            for doc_id, rec in recs.items():
                if args.show in (doc_id, "all"):
                    print(show(doc_id, rec, doc_text(doc_id, texts)))
        print(f"{len(recs)} documents resolved, {len(errors)} with errors")
        return 1 if errors else 0
    if args.cmd == "merge":
        ids = args.ids.read_text().split() if args.ids else None
        ra, ea = resolve_dir(args.a, texts, ids)
        rb, eb = resolve_dir(args.b, texts, ids)
        if ea or eb:
            print("\n".join(ea + eb))
            return 1
        args.out.mkdir(parents=True, exist_ok=True)
        n = 0
        for doc_id in sorted(set(ra) & set(rb)):
            draft = merge(ra[doc_id], rb[doc_id], doc_text(doc_id, texts))
            (args.out / f"{doc_id}.ann").write_text(draft, encoding="utf-8")
            n += sum(line.startswith("?") for line in draft.splitlines())
        print(f"{len(set(ra) & set(rb))} drafts, {n} lines to adjudicate")
        return 0
    if args.cmd == "agreement":
        ra, _ = resolve_dir(args.a, texts)
        rb, _ = resolve_dir(args.b, texts)
        res = agreement(ra, rb)
        if args.json:
            print(json.dumps(res, indent=1))
        else:
            print(f"documents: {res['documents']}")
            for k, s in res["kinds"].items():
                print(
                    f"{k:<14} matched {s['matched']:>5}  only A {s['only_a']:>4}  only B {s['only_b']:>4}  "
                    f"agreement {s['agreement']:.3f}  same span {s['same_span']}"
                )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
