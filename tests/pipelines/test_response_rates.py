import pytest

from tests.helpers import one


@pytest.mark.parametrize(
    "text, span, percent",
    [
        ("MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った。", "56.2%", 56.2),
        ("16 例（22.5%）が完全寛解を達成した。", "22.5%", 22.5),
        ("81％が完全寛解に至った。", "81％", 81.0),
        ("complete remission 76% in the MMF arm", "76%", 76.0),
        ("Complete remission occurred in 16 of 71 patients (22.5%).", "22.5%", 22.5),
        ("The eradication rate was 89.5% with vonoprazan.", "89.5%", 89.5),
        ("HbA1c < 7% was achieved by 45% of patients.", "45%", 45.0),
    ],
)
def test_rates(extract, text, span, percent):
    m = one(extract(text), "response_rates", span)
    assert m["percent"] == pytest.approx(percent)


def test_count_pair_without_percentage(extract):
    r = extract("Thirteen of 25 patients responded; 13 of 25 patients responded to rituximab.")
    m = one(r, "response_rates", "13 of 25")
    assert (m["percent"], m["numerator"], m["denominator"]) == (52.0, 13, 25)


def test_pair_and_outcome_attributes(extract):
    m = extract("MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った。")["response_rates"][0]
    assert (m["numerator"], m["denominator"], m["outcome"], m["arm"]) == (104, 185, "完全寛解", "mycophenolate mofetil")


@pytest.mark.parametrize(
    "text",
    [
        "Adverse events occurred in 30% of patients.",
        "Infections were reported in 12.5% vs 10.1%.",
        "Relapse occurred in 25% of responders.",
        "Overall survival at 5 years was 80%.",
        "Of the respondents, 57% preferred MMF.",
        "The remission rate differed by 16.7 percentage points.",
        "remission 56% (95% CI, 40%-70%)",
        "At baseline, 62% were women.",
        "死亡率は 5.0% であった。",
        "有害事象は 30% に認めた。",
        "For treatment response, the overall agreement of the two assays was 91.4%.",
        "Concordance of the response readings was 88% and kappa 0.71.",
        "Fat supplied 34.5% of total calories in the remission diet.",
        "治療反応の判定における 2 検査の一致率は 91.4％であった。",
    ],
)
def test_not_response_rates(extract, text):
    r = extract(text)
    assert [m["text"] for m in r["response_rates"] if m["percent"] != 56.0] == []
