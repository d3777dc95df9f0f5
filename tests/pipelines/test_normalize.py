import random

import pytest

from trialex.pipelines.normalize import normalize


@pytest.mark.parametrize(
    "orig, norm",
    [
        ("３，０００ｍｇ／日", "3,000mg/日"),
        ("Ｐ＝０．００３", "P=0.003"),
        ("５６．２％", "56.2%"),
        ("５００～３０００mg", "500~3000mg"),
        ("1〜3 mg", "1~3 mg"),
        ("2㎎／㎏", "2mg/kg"),
        ("ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ", "メチルプレドニゾロン"),
        ("p < 1 × 10−4", "p < 1 × 10-4"),
        ("20mg／\u3000day", "20mg/ day"),
        ("a\u00a0b", "a b"),
    ],
)
def test_normalised_forms(orig, norm):
    assert normalize(orig).text == norm


def test_half_width_voicing_marks_compose_and_map_back():
    orig = "投与: ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ 500mg"
    nt = normalize(orig)
    start = nt.text.index("メチルプレドニゾロン")
    end = start + len("メチルプレドニゾロン")
    assert nt.orig_slice(start, end) == "ﾒﾁﾙﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ"


def test_expanding_characters_map_to_their_source():
    nt = normalize("xx2㎎yy")
    i = nt.text.index("mg")
    assert nt.to_orig(i, i + 2) == (3, 4)
    assert nt.to_orig(i + 1, i + 2) == (3, 4)  # half of an expansion still maps to the whole char


def test_ascii_is_identity():
    text = "P = 0.003 in 185 patients"
    nt = normalize(text)
    assert nt.text == text
    assert nt.to_orig(4, 9) == (4, 9)


def test_random_mixed_text_maps_monotonically():
    rng = random.Random(7)
    alphabet = "abc 0123456789．，％＝ｍｇﾒﾁﾙﾌﾟﾄﾞ㎎㎏～－・。例𠮟😀\u00a0\u3000"
    for _ in range(200):
        orig = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        nt = normalize(orig)
        assert len(nt.src_start) == len(nt.text) == len(nt.src_end)
        assert list(nt.src_start) == sorted(nt.src_start)
        assert nt.to_orig(0, len(nt.text)) == (0, len(orig))
        for i in range(len(nt.text)):
            a, b = nt.to_orig(i, i + 1)
            assert 0 <= a < b <= len(orig)
