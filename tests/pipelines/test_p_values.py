import pytest

from tests.helpers import one, texts


@pytest.mark.parametrize(
    "text, span, op, value",
    [
        ("differed (P=0.005).", "P=0.005", "=", 0.005),
        ("was similar, P = 0.70.", "P = 0.70", "=", 0.70),
        ("lower (p<0.001)", "p<0.001", "<", 0.001),
        ("log-rank test P＝0.003 であった", "P＝0.003", "=", 0.003),
        ("mortality (P = 0·003)", "P = 0·003", "=", 0.003),
        ("effect (p < 1 × 10−4)", "p < 1 × 10−4", "<", 1e-4),
        ("damaged (p_0.04) value", "p_0.04", "?", 0.04),
        ("P ≤ 0.01 overall", "P ≤ 0.01", "<=", 0.01),
        ("trend (P for trend = 0.02)", "P for trend = 0.02", "=", 0.02),
        ("score (p = .03)", "p = .03", "=", 0.03),
        ("Ｐ＜０．０５で有意に低下した", "Ｐ＜０．０５", "<", 0.05),
    ],
)
def test_single_p_values(extract, text, span, op, value):
    m = one(extract(text), "p_values", span)
    assert m["operator"] == op
    assert m["value"] == pytest.approx(value)


def test_shared_p_values_of_list(extract):
    r = extract("The P values of 0.05 and 0.009 were reported for the two endpoints.")
    assert [m["value"] for m in r["p_values"]] == [0.05, 0.009]
    assert texts(r, "p_values")[1] == "0.009"


def test_each_p_in_japanese_list(extract):
    r = extract("両群間に有意差を認めた（各P＝0.027、P＝0.017）。")
    assert [(m["text"], m["value"]) for m in r["p_values"]] == [("P＝0.027", 0.027), ("P＝0.017", 0.017)]


def test_threshold_flagged(extract):
    r = extract("A two-sided P < 0.05 was considered statistically significant.")
    assert r["p_values"][0].get("threshold") is True


def test_not_p_values(extract):
    r = extract("The difference was not significant (NS) and HbA1c fell to 7.1% in 185 patients (n = 185).")
    assert r["p_values"] == []
