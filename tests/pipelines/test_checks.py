"""Consistency checks: each fires on its inconsistency and stays silent on correct text."""
from trialex.pipelines.checks import recomputed_p, run_checks


def rr(text, percent, num=None, den=None, start=0):
    m = {"start": start, "end": start + len(text), "text": text, "percent": percent}
    if num is not None:
        m.update(numerator=num, denominator=den)
    return m


def names(result):
    return [c["check"] for c in run_checks(result)]


def test_percent_mismatch():
    assert names({"response_rates": [rr("65.2%", 65.2, 104, 185)]}) == ["percent_mismatch"]
    assert names({"response_rates": [rr("56.2%", 56.2, 104, 185)]}) == []       # rounded
    assert names({"response_rates": [rr("56%", 56.0, 104, 185)]}) == []         # fewer decimals
    assert names({"response_rates": [rr("５６．２％", 56.2, 104, 185)]}) == []     # full-width
    assert names({"response_rates": [rr("13 of 25", 52.0, 13, 25)]}) == []       # no percentage written


def test_percent_over_100():
    assert names({"response_rates": [rr("104%", 104.0)]}) == ["percent_over_100"]
    assert names({"response_rates": [rr("100%", 100.0, 20, 20)]}) == []


def size(n, scope, arm=None, start=0):
    m = {"start": start, "end": start + 3, "text": str(n), "n": n, "scope": scope}
    if arm:
        m["arm"] = arm
    return m


def test_arm_sum():
    over = {"trial_sizes": [size(240, "total"), size(150, "arm", "a", 10), size(148, "arm", "b", 20)]}
    assert names(over) == ["arm_sum"]
    assert run_checks(over)[0]["spans"] == [[0, 3], [10, 13], [20, 23]]
    ok = {"trial_sizes": [size(298, "total"), size(150, "arm", "a", 10), size(148, "arm", "b", 20),
                          size(150, "arm", "a", 30)]}  # the same arm named twice counts once
    assert names(ok) == []


def effect(measure, value, low, high, p=None):
    e = {"start": 0, "end": 10, "text": "x", "measure": measure, "value": value,
         "ci_low": low, "ci_high": high, "ci_level": 95.0}
    if p is not None:
        e["p_value"] = 0
    return e


def pval(op, v):
    return {"start": 20, "end": 28, "text": f"P {op} {v}", "operator": op, "value": v}


def test_ci_excludes_value():
    assert names({"effects": [effect("HR", 0.95, 0.58, 0.89)]}) == ["ci_excludes_value"]
    assert names({"effects": [effect("HR", 0.72, 0.58, 0.89)]}) == []


def test_p_ci_conflict_by_side_of_the_null():
    assert names({"effects": [effect("HR", 0.72, 0.58, 0.89, p=0)], "p_values": [pval("=", 0.2)]}) == ["p_ci_conflict"]
    assert names({"effects": [effect("OR", 1.2, 0.9, 1.6, p=0)], "p_values": [pval("<", 0.01)]}) == ["p_ci_conflict"]
    assert names({"effects": [effect("MD", -2.3, -4.1, -0.5, p=0)], "p_values": [pval("=", 0.6)]}) == ["p_ci_conflict"]
    # consistent pairs are silent
    assert names({"effects": [effect("HR", 0.72, 0.58, 0.89, p=0)], "p_values": [pval("=", 0.003)]}) == []
    assert names({"effects": [effect("OR", 1.2, 0.9, 1.6, p=0)], "p_values": [pval("=", 0.21)]}) == []


def test_recomputed_p_for_ratios():
    p = recomputed_p(effect("HR", 0.72, 0.58, 0.89))
    assert 0.001 < p < 0.005  # log-scale: se = ln(0.89/0.58)/3.92, z = 3.03
    # written p a hundred times off the recomputed one is flagged, close ones are not
    assert names({"effects": [effect("HR", 0.72, 0.58, 0.89, p=0)], "p_values": [pval("=", 0.04)]}) == ["p_ci_conflict"]
    assert names({"effects": [effect("HR", 0.72, 0.58, 0.89, p=0)], "p_values": [pval("=", 0.002)]}) == []
