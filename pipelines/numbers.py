"""Numbers as people write them in trial reports, on normalised text.

Decimals with "." or the Lancet middle dot "·", thousands separators ("3,000"),
scientific notation ("1 × 10-4", "1.2e-5"), and English number words ("Twenty-eight").
"""

from __future__ import annotations

import re

from .resources import rules, trie_regex

# A plain number: thousands groups or digits, optional decimals ("." or "·"), or a bare
# ".05" as written in p values.
NUM = r"(?:(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:[.·]\d+)?|[.·]\d+)"
# Scientific notation after a mantissa, or a bare power of ten ("10-4").
EXP = r"\s*[×xX*]\s*10\s*\^?\s*[-]\s*\d+|[eE][-+]?\d+"
NUM_SCI = rf"(?:(?:{NUM})(?:{EXP})?|10\s*\^?\s*-\s*\d+(?![\d.]))"

NUM_RE = re.compile(NUM)
# a whole count: "370", "1,726" (thousands groups only when complete)
INT = r"\d{1,3}(?:,\d{3})+(?![\d])|\d+"

_WORDS = rules("en", "numbers")  # "twenty-eight": models/rules/en/numbers.json
_UNITS, _TENS, _SCALES = _WORDS.units, _WORDS.tens, _WORDS.scales
_WORD = trie_regex([[c for c in w] for w in list(_UNITS) + list(_TENS) + list(_SCALES)])
# "Twenty-eight", "one hundred and twelve", "Two hundred eighty-four"
NUMBER_WORDS = (
    rf"(?:(?:{_WORD})(?:(?:\s+and\s+|\s+|-)(?:{_WORD}))*)"
)


# "1.2×10-5", "-3×10^4", "10-4" (a bare power of ten only with its minus: "105" is a hundred and
# five); the mantissa written so that a long digit run is read once, not split every possible
# way (a 20,000-digit "number" took seconds)
_POWER_OF_TEN = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+))[×xX*]10\^?([-+]?\d+)|10\^?(-\d+)")


def parse_number(s: str) -> float:
    """Parse a numeric string matched by NUM or NUM_SCI (or a signed one, "×10^5", "1.5e3":
    what a curator types); a ValueError for anything else."""
    s = s.replace("·", ".").replace(",", "").replace(" ", "")
    m = _POWER_OF_TEN.fullmatch(s)
    if m:
        if m.group(3):
            return 10.0 ** int(m.group(3))
        return float(m.group(1)) * 10.0 ** int(m.group(2))
    return float(s)


def parse_number_words(s: str) -> int | None:
    """'Twenty-eight' → 28, 'one hundred and twelve' → 112; None if not a number."""
    total, current = 0, 0
    seen = False
    for w in re.split(r"[\s-]+", s.lower()):
        if w == "and":
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES and _SCALES[w] < 1000:  # "hundred" multiplies what is before it
            current = max(current, 1) * _SCALES[w]
        elif w in _SCALES:  # "thousand" closes a group
            total += max(current, 1) * _SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def as_int(value: float) -> int | None:
    return int(value) if float(value).is_integer() else None


def count(s: str) -> int | None:
    """A whole count matched by INT ("370", "1,726"); None if it is no finite number (a
    400-digit "count" is infinite as a float)."""
    return as_int(parse_number(s))
