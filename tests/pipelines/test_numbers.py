import pytest

from trialex.pipelines.numbers import parse_number, parse_number_words


@pytest.mark.parametrize(
    "s, value",
    [("3,000", 3000), ("0·003", 0.003), (".05", 0.05), ("1×10-4", 1e-4), ("1 × 10-4", 1e-4),
     ("2.5x10^-6", 2.5e-6), ("10-4", 1e-4), ("1.2e-5", 1.2e-5), ("56.2", 56.2),
     # what curators type (trialex.formats.values.to_number): signs and positive powers of ten;
     # a bare power of ten needs its minus ("105" is a hundred and five, "10^5" is no NUM_SCI)
     ("-3×10^4", -3e4), ("+1.5x10+5", 1.5e5), ("1.5×105", 1.5e5), ("105", 105), ("1040", 1040)],
)
def test_parse_number(s, value):
    assert parse_number(s) == pytest.approx(value)


@pytest.mark.parametrize(
    "s, value",
    [("Twenty-eight", 28), ("one hundred and forty-three", 143), ("Two hundred eighty-four", 284),
     ("twelve", 12), ("One-hundred sixteen", 116), ("three thousand", 3000), ("patients", None)],
)
def test_parse_number_words(s, value):
    assert parse_number_words(s) == value
