"""annotations/standoff.py: .ann files resolve to exact offsets, agreement and merge drafts."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "annotations"))
import standoff  # noqa: E402

TEXT = ("MMF (n = 150) or placebo (n = 148). MMF 2 g/day was given; 2.5 mg of X. "
        "Remission: 75 of 150 (50·0%) vs 30 of 148 (20.3%), P = 0·003. Steroids were tapered.")


def parse(src: str) -> dict:
    return standoff.parse_ann("d", src, TEXT)


def test_mentions_resolve_in_document_order():
    rec = parse("drug | MMF | mycophenolate mofetil\n"
                "size | n = 150 | arm;arm=mycophenolate mofetil\n"
                "size | n = 148 | arm;arm=placebo\n"
                "drug | MMF | \n"
                "dose | 2 g/day | 2000 mg/day;drug=^\n"
                "rr | 50·0% | 75/150;outcome=Remission\n"
                "p | P = 0·003 | =0.003\n"
                "ignore | Steroids | drug\n")
    assert [TEXT[m["start"]:m["end"]] for m in rec["drug"]] == ["MMF", "MMF"]
    assert rec["drug"][1]["start"] > rec["drug"][0]["start"]
    assert rec["drug"][1]["name"] == "mycophenolate mofetil"
    assert rec["dose"][0] == {"start": TEXT.index("2 g/day"), "end": TEXT.index("2 g/day") + 7,
                              "min": 2000, "max": 2000, "unit": "mg/day", "drug": 1}
    assert rec["response_rate"][0]["numerator"] == 75 and rec["response_rate"][0]["percent"] == 50.0
    assert rec["p_value"][0]["value"] == 0.003


def test_out_of_order_line_is_an_error_naming_the_line():
    with pytest.raises(standoff.AnnError, match=r"d:2: .*only before the previous mention"):
        parse("p | P = 0·003 | =0.003\ndrug | MMF | mycophenolate mofetil\n")


def test_ctx_pins_an_occurrence_and_must_be_unique():
    rec = parse("size | 150 | arm ;; ctx=75 of 150\n")
    assert rec["trial_size"][0]["start"] == TEXT.index("75 of 150") + 6
    with pytest.raises(standoff.AnnError, match="exactly once"):
        parse("drug | MMF | mycophenolate mofetil ;; ctx=MMF\n")


def test_a_match_never_cuts_a_number_or_a_word():
    assert standoff._find(TEXT, "5 mg", 0) == -1  # only inside "2.5 mg"
    assert standoff._find(TEXT, "MM", 0) == -1


def test_value_checks_of_the_markup_apply():
    with pytest.raises(standoff.AnnError, match="value 0.03"):
        parse("p | P = 0·003 | =0.03\n")
    with pytest.raises(standoff.AnnError, match="unknown kind"):
        parse("drugs | MMF | mycophenolate mofetil\n")


def test_agreement_and_merge_draft():
    a = parse("drug | MMF | mycophenolate mofetil\nsize | n = 150 | arm;arm=MMF\nsize | n = 148 | arm\n")
    b = parse("drug | MMF | mycophenolate mofetil\nsize | n = 150 | arm;arm=azathioprine\n"
              "p | P = 0·003 | =0.003\n")
    stats = standoff.agreement({"d": a}, {"d": b})["kinds"]
    assert stats["drug"]["agreement"] == 1.0
    assert (stats["trial_size"]["matched"], stats["trial_size"]["only_a"]) == (1, 1)
    assert stats["p_value"]["only_b"] == 1 and stats["p_value"]["agreement"] == 0.0
    draft = standoff.merge(a, b, TEXT)
    lines = draft.splitlines()
    assert lines[0].startswith("drug | MMF | mycophenolate mofetil")
    # arms differ (labels are compared loosely: "MMF" ~ "mmf group"); n = 148 only in A; P only in B
    assert sum(line.startswith("?") for line in lines) == 4
    # accepting every A-line of the draft gives back A's mentions
    accepted = (
        "\n".join(line[3:] for line in lines if line.startswith("?A "))
        + "\n"
        + "\n".join(line for line in lines if not line.startswith("?"))
    )
    back = parse(accepted)  # every merged line carries a ctx, so its order does not matter
    assert back["trial_size"] == a["trial_size"]


def test_a_repeated_surface_takes_the_next_free_occurrence():
    rec = parse("drug | MMF | mycophenolate mofetil\ndrug | MMF | mycophenolate mofetil\n")
    assert [m["start"] for m in rec["drug"]] == [0, TEXT.index("MMF", 1)]


def test_effects_are_checked_against_their_span():
    text = "Remission was more frequent (HR 0.72 (95% CI 0.58–0.89); mean difference −2.3)."
    rec = standoff.parse_ann(
        "e",
        "effect | HR 0.72 (95% CI 0.58–0.89) | HR;value=0.72;low=0.58;high=0.89\n"
        "effect | mean difference −2.3 | MD;value=-2.3\n",
        text,
    )
    assert rec["effect"][0] == {
        "start": 29,
        "end": 55,
        "measure": "HR",
        "value": 0.72,
        "ci_low": 0.58,
        "ci_high": 0.89,
        "ci_level": 95.0,
    }
    assert rec["effect"][1]["value"] == -2.3 and "ci_low" not in rec["effect"][1]
    with pytest.raises(standoff.AnnError, match="not written"):
        standoff.parse_ann("e", "effect | HR 0.72 (95% CI 0.58–0.89) | HR;value=0.75\n", text)


def test_japanese_matches_never_start_inside_a_katakana_word_or_a_number():
    text = "ピタバスタチン群２５人、スタチン５人。ステロイドパルス療法"
    assert standoff._find(text, "スタチン", 0) == text.index("、スタチン") + 1
    assert standoff._find(text, "５人", 0) == text.index("ン５人") + 1
    assert standoff._find(text, "ステロイド", 0) == text.index("ステロイド")  # a compound's head is fine


def test_a_number_is_not_found_inside_a_decimal():
    text = "30.0(9/30)"
    assert standoff._find(text, "30", 0) == text.index("/30") + 1
