"""A span's values as text (what Label Studio shows and curators type), and back."""

from __future__ import annotations

import pytest

from trialex.formats.values import derive_values, format_values, parse_values, to_number


def test_values_text_round_trip():
    for span in [{"kind": "drug", "name": "cyclophosphamide"},
                 {"kind": "dose", "min": 500, "max": 1000, "unit": "mg/m2/month", "frequency": "毎月"},
                 {"kind": "trial_size", "n": 185, "scope": "arm", "arm": "mycophenolate mofetil"},
                 {"kind": "response_rate", "percent": 22.5, "numerator": 16, "denominator": 71},
                 {"kind": "p_value", "operator": "<", "value": 0.001}]:
        back = parse_values(span["kind"], format_values(span))
        assert back == {k: v for k, v in span.items() if k != "kind"}
    assert parse_values("p_value", "P = 0·003") == {"operator": "=", "value": 0.003}
    assert parse_values("p_value", "< 0.05; threshold: true") == {"operator": "<", "value": 0.05, "threshold": True}
    assert parse_values("response_rate", "13 of 25") == {"numerator": 13, "denominator": 25, "percent": 52.0}
    assert parse_values("trial_size", "ｎ＝３７０") == {"n": 370}
    assert parse_values("dose", '{"min": 3000, "max": 3000, "unit": "mg/day"}') == \
        {"min": 3000.0, "max": 3000.0, "unit": "mg/day"}


@pytest.mark.parametrize("typed,number", [
    ("3,000", 3000.0), ("0·003", 0.003), ("１２", 12.0), ("−2", -2.0), ("+.5", 0.5), ("3.", 3.0),
    ("1.2 x 10^-5", 1.2e-5), ("1.5×10⁵", 1.5e5), ("-3 x 10^4", -3e4), ("2e-4", 2e-4), ("1.1e-5", 1.1e-5),
    ("4 E 3", 4000.0),
    ("", None), ("abc", None), ("1 000", None), ("10^-5", None), ("inf", None), ("nan", None), ("1_000", None),
])
def test_to_number_reads_what_curators_type(typed, number):
    assert to_number(typed) == number


def test_to_number_of_a_huge_exponent_is_fast_and_out_of_range():
    # read by pipelines.numbers.parse_number: "1e9999999" is infinite at once (it used to build
    # the integer 10**9999999), "× 10^999" overflows; the store refuses both (a 422 in the service)
    assert to_number("1e9999999") == float("inf")
    with pytest.raises(OverflowError):
        to_number("1 x 10^999")
    with pytest.raises(OverflowError):
        parse_values("trial_size", "n: 1e999")


def test_derive_values_prefers_overlapping_preannotation():
    pre = [{"kind": "drug", "start": 3, "end": 6, "name": "mycophenolate mofetil"}]
    assert derive_values("drug", "ＭＭＦ群", 3, 7, pre) == {"name": "mycophenolate mofetil"}
    assert derive_values("trial_size", "140 patients", 0, 12) == {"n": 140}
    assert derive_values("p_value", "p<0.001", 0, 7) == {"operator": "<", "value": 0.001}
