"""Consistency checks of one result, as a careful reader (or statcheck) would make them.

Each check is ``{"check", "message", "spans": [[start, end], ...]}`` with the spans of the
mentions it rests on.  A check fires only on numbers that contradict each other; every
tolerance below is on the side of silence (a rounding a careful author could have made is
never flagged).
"""

from __future__ import annotations

import math
from statistics import NormalDist

RATIOS = ("HR", "OR", "RR", "IRR")
_Z = NormalDist()


def _span(m: dict) -> list[int]:
    return [m["start"], m["end"]]


def _decimals(text: str) -> int:
    digits = text.replace("·", ".").replace("．", ".").split(".")
    if len(digits) < 2:
        return 0
    return len("".join(c for c in digits[1] if c.isdigit() or c in "０１２３４５６７８９"))


def percent_mismatch(result: dict) -> list[dict]:
    """n/N written beside a percentage that no rounding of n/N gives ("104 of 185 (65.2%)")."""
    out = []
    for r in result.get("response_rates", []):
        num, den = r.get("numerator"), r.get("denominator")
        if num is None or not den or "%" not in r["text"].replace("％", "%"):
            continue
        exact = 100.0 * num / den
        step = 10.0 ** -_decimals(r["text"].split("%")[0].split("％")[0])
        # rounding or truncation at the written precision
        if abs(exact - r["percent"]) > step + 1e-9:
            out.append({"check": "percent_mismatch",
                        "message": f"{num}/{den} is {exact:.1f}%, not {r['percent']:g}%",
                        "spans": [_span(r)]})
    return out


def percent_over_100(result: dict) -> list[dict]:
    out = []
    for r in result.get("response_rates", []):
        num, den = r.get("numerator"), r.get("denominator")
        if r["percent"] > 100 or (num is not None and den is not None and num > den):
            out.append({"check": "percent_over_100",
                        "message": f"a share above 100% ({r['text']})", "spans": [_span(r)]})
    return out


def arm_sum(result: dict) -> list[dict]:
    """Arm sizes (one per arm) that add up to more than the largest stated total."""
    sizes = result.get("trial_sizes", [])
    totals = [s for s in sizes if s.get("scope") == "total"]
    first_per_arm: dict[str, dict] = {}
    for s in sizes:
        if s.get("scope") == "arm" and s.get("arm"):
            first_per_arm.setdefault(s["arm"], s)
    arms = list(first_per_arm.values())
    if not totals or len(arms) < 2:
        return []
    total = max(totals, key=lambda s: s["n"])
    added = sum(s["n"] for s in arms)
    if added <= total["n"]:
        return []
    return [{"check": "arm_sum",
             "message": f"arm sizes add up to {added}, more than the total of {total['n']}",
             "spans": [_span(total)] + [_span(s) for s in arms]}]


def ci_excludes_value(result: dict) -> list[dict]:
    out = []
    for e in result.get("effects", []):
        if "ci_low" in e and not (e["ci_low"] <= e["value"] <= e["ci_high"]):
            out.append({"check": "ci_excludes_value",
                        "message": f"{e['measure']} {e['value']:g} lies outside its own interval "
                                   f"{e['ci_low']:g} to {e['ci_high']:g}", "spans": [_span(e)]})
    return out


def recomputed_p(e: dict) -> float | None:
    """The two-sided p of a ratio from its estimate and interval (log scale, Altman & Bland)."""
    if e["measure"] not in RATIOS or min(e["value"], e.get("ci_low", 0), e.get("ci_high", 0)) <= 0:
        return None
    z_level = _Z.inv_cdf(0.5 + e.get("ci_level", 95) / 200)
    se = (math.log(e["ci_high"]) - math.log(e["ci_low"])) / (2 * z_level)
    if se <= 0:
        return None
    return 2 * (1 - _Z.cdf(abs(math.log(e["value"])) / se))


def p_ci_conflict(result: dict) -> list[dict]:
    """A 95% interval and its p value on opposite sides of 0.05, or a ratio whose p recomputed
    from the estimate and interval disagrees grossly with the one written."""
    out = []
    pvals = result.get("p_values", [])
    for e in result.get("effects", []):
        if "ci_low" not in e or e.get("p_value") is None or e["p_value"] >= len(pvals):
            continue
        p = pvals[e["p_value"]]
        null = 1.0 if e["measure"] in RATIOS else 0.0
        excludes = e["ci_low"] > null or e["ci_high"] < null
        includes = e["ci_low"] < null < e["ci_high"]
        op, v = p["operator"], p["value"]
        says_small = (op in ("<", "<=") and v <= 0.05) or (op == "=" and v < 0.05)
        says_large = (op in (">", ">=") and v >= 0.05) or (op == "=" and v > 0.05)
        spans = [_span(e), _span(p)]
        if e.get("ci_level", 95) == 95 and ((excludes and says_large) or (includes and says_small)):
            side = "excludes" if excludes else "includes"
            out.append({"check": "p_ci_conflict",
                        "message": f"the 95% CI {side} {null:g} but {p['text']}", "spans": spans})
            continue
        calc = recomputed_p(e)
        if calc is None or op != "=" or v <= 0:
            continue
        # gross: more than a factor of 10 apart, unless both are tiny
        if abs(math.log10(max(calc, 1e-300)) - math.log10(v)) > 1 and max(calc, v) > 0.001:
            out.append({"check": "p_ci_conflict",
                        "message": f"p recomputed from the estimate and CI is {calc:.2g}, not {v:g}",
                        "spans": spans})
    return out


CHECKS = (percent_mismatch, percent_over_100, arm_sum, ci_excludes_value, p_ci_conflict)


def run_checks(result: dict) -> list[dict]:
    return [c for check in CHECKS for c in check(result)]
