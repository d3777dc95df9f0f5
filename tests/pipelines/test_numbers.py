import pytest

from trialex.pipelines.numbers import parse_number, parse_number_words


@pytest.mark.parametrize(
    "s, value",
    [("3,000", 3000), ("0·003", 0.003), (".05", 0.05), ("1×10-4", 1e-4), ("1 × 10-4", 1e-4),
     ("2.5x10^-6", 2.5e-6), ("10-4", 1e-4), ("1.2e-5", 1.2e-5), ("56.2", 56.2)],
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
