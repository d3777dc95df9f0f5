import pytest

from tests.helpers import texts


@pytest.mark.parametrize(
    "text, span, n",
    [
        ("対象は 370 例であった。", "370 例", 370),
        ("140 例の症例が登録された。", "140 例", 140),
        ("71 例が MMF 群に割り付けられた。", "71 例", 71),
        ("41 例の症例を解析した。", "41 例", 41),
        ("227例を対象とした", "227例", 227),
        ("618症例が登録された", "618症例", 618),
        ("A survey was completed by 141 physicians.", "141 physicians", 141),
        ("A total of 140 patients were enrolled.", "140 patients", 140),
        ("randomized to MMF (n = 185) or IVC", "n = 185", 185),
        ("Twenty-eight patients were randomized.", "Twenty-eight patients", 28),
        ("MMF 群では 185 例中 104 例（56.2%）が寛解した。", "185 例", 185),
        ("complete remission in 16 of 71 patients", "71 patients", 71),
        ("remission was reached by 73/116 [62.9%]", "116", 116),
        ("ｎ＝１８５の患者", "ｎ＝１８５", 185),
    ],
)
def test_sizes(extract, text, span, n):
    r = extract(text)
    assert [(m["text"], m["n"]) for m in r["trial_sizes"]] == [(span, n)]


@pytest.mark.parametrize(
    "text",
    [
        "3 例が死亡した。",
        "4 例で2倍化を認めた。",
        "56 例が治療反応を得た。",
        "127例が完遂された。",
        "クラスIII：12 例、クラスIV：30 例であった。",
        "4試験、8 施設で実施された。",
        "Three patients died during follow-up.",
        "12 patients (10%) had nausea.",
        "patients aged 65 years or older",
        "MMF 3,000mg/日",
    ],
)
def test_not_sizes(extract, text):
    assert extract(text)["trial_sizes"] == []


def test_numerator_is_not_a_size(extract):
    r = extract("MMF 群では 185 例中 104 例（56.2%）が完全寛解した。")
    assert texts(r, "trial_sizes") == ["185 例"]


def test_arm_sizes_carry_their_arm(extract):
    r = extract("Patients were randomized to MMF (n = 185) or placebo (n = 182).")
    arms = [(m["n"], m["scope"], m.get("arm")) for m in r["trial_sizes"]]
    assert arms == [(185, "arm", "mycophenolate mofetil"), (182, "arm", "placebo")]


def test_total_scope(extract):
    r = extract("A total of 370 patients were randomized to MMF or IV cyclophosphamide.")
    assert [(m["n"], m["scope"]) for m in r["trial_sizes"]] == [(370, "total")]
