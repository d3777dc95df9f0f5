"""p values: "P=0.005", "p < 1 × 10-4", "P = 0·003", "各P＝0.027、P＝0.017",
"P values of 0.05 and 0.009", "(p_0.04)" (damaged operator → "?").

Significance thresholds stated in methods are output with ``threshold: true``.
"""

from __future__ import annotations

import re

from .base import DocState
from .numbers import NUM_SCI, parse_number
from .resources import alternation, rules

_OPS = {"=": "=", "<": "<", ">": ">", "≤": "<=", "≥": ">=", "<=": "<=", ">=": ">=", "=<": "<=",
        "=>": ">=", "<or=": "<=", ">or=": ">="}
_OP = r"<\s*or\s*=|>\s*or\s*=|<=|>=|=<|=>|[=<>≤≥]"
# "P", "p-value", "P value(s) of", "P for trend", "Pinteraction", "P値は", "log-rank P"
# (the qualifiers: models/rules/en/p_value.json)
_P_HEAD = (
    r"(?<![A-Za-z0-9])[Pp](?:[\s-]*values?)?"
    rf"(?:\s*(?:for\s+)?(?:{alternation(rules('en', 'p_value').cues['qualifiers'])}))?"
    r"(?:\s*値)?"
)
_P_RE = re.compile(
    rf"(?P<head>{_P_HEAD})\s*(?:(?P<op>{_OP})|(?P<words>\s(?:of|was|were|is|are|:)|は|:)|(?P<bad>_|\?))"
    rf"\s*(?P<num>{NUM_SCI})(?![\d%])"
)
# A later value sharing the first one's "P": ", 0.017", "and 0.009", "、P＝0.017" is
# caught by _P_RE itself.
_SHARED_RE = re.compile(rf"\s*(?:,|、|，|and|,\s*and|or|;)\s*(?P<op>{_OP})?\s*(?P<num>{NUM_SCI})(?![\d%]|\.\d)")


class PValueExtractor:
    def __call__(self, st: DocState) -> None:
        text = st.text
        for m in st.checked(_P_RE.finditer(text)):
            value = _value(m.group("num"))
            if value is None:
                continue
            if m.group("op"):
                op = _OPS[re.sub(r"\s+", "", m.group("op"))]
            elif m.group("bad"):
                op = "?"
            else:
                op = "="
            s0, s1 = st.sentence(m.start())
            threshold = (
                op in ("<", "<=") and value in (0.05, 0.01, 0.001, 0.1) and st.has_hit("p_value", "threshold", s0, s1)
            )
            attrs = {"operator": op, "value": value}
            if threshold:
                attrs["threshold"] = True
            st.add("p_value", m.start(), m.end(), **attrs)
            pos = m.end()
            # values sharing this P ("P values of 0.05 and 0.009", "P = 0.02 and 0.04")
            while True:
                st.budget.check()
                sm = _SHARED_RE.match(text, pos)
                if not sm or (v := _value(sm.group("num"))) is None:
                    break
                if text[sm.end() : sm.end() + 1].isalpha() or v > 1:
                    break
                sop = _OPS[re.sub(r"\s+", "", sm.group("op"))] if sm.group("op") else op
                st.add(
                    "p_value",
                    sm.start("num") if not sm.group("op") else sm.start("op"),
                    sm.end(),
                    operator=sop,
                    value=v,
                    **({"threshold": True} if threshold else {}),
                )
                pos = sm.end()


def _value(num: str) -> float | None:
    try:
        v = parse_number(num)
    except ValueError:
        return None
    return v if 0 <= v <= 1 else None
