"""Arms group a result's mentions: one entry per arm, merged across sentences."""
from trialex.pipelines.arms import build_arms

TEXT = ("MMF 群 185 例とプラセボ群 180 例を比較した。MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った"
        "（P＝0.003）。プラセボ群では 50 例（27.8%）であった。")


def at(s, nth=0, **kw):
    i = -1
    for _ in range(nth + 1):
        i = TEXT.index(s, i + 1)
    return dict(start=i, end=i + len(s), text=s, **kw)


RESULT = {
    "drugs": [at("MMF", 0, name="mycophenolate mofetil"), at("MMF", 1, name="mycophenolate mofetil")],
    "doses": [],
    "trial_sizes": [at("185 例", 0, n=185, scope="arm", arm="mycophenolate mofetil"),
                    at("180 例", 0, n=180, scope="arm", arm="placebo"),
                    at("185 例", 1, n=185, scope="arm", arm="mycophenolate mofetil")],
    "response_rates": [at("56.2%", percent=56.2, numerator=104, denominator=185, outcome="完全寛解",
                          arm="mycophenolate mofetil"),
                       at("27.8%", percent=27.8, outcome="完全寛解", arm="placebo")],
    "p_values": [at("P＝0.003", operator="=", value=0.003)],
    "effects": [],
}


def test_one_arm_per_name_merged_across_sentences():
    arms = build_arms(RESULT, TEXT)
    assert [a["label"] for a in arms] == ["MMF 群", "プラセボ群"]
    mmf, placebo = arms
    assert mmf["drugs"] == [0, 1] and mmf["n"] == 0 and placebo["n"] == 1
    assert mmf["results"] == [{"outcome": "完全寛解", "response_rate": 0}]
    assert placebo["results"] == [{"outcome": "完全寛解", "response_rate": 1}]
    assert mmf["p_values"] == [0] and "p_values" not in placebo  # the P is in MMF's result sentence


def test_a_single_group_study_gets_one_arm():
    result = {"drugs": [at("MMF", 0, name="mycophenolate mofetil")], "doses": [],
              "trial_sizes": [at("185 例", 0, n=185, scope="total")],
              "response_rates": [at("56.2%", percent=56.2, outcome="完全寛解")], "p_values": [], "effects": []}
    (arm,) = build_arms(result, TEXT)
    assert arm["label"] == "all participants" and arm["n"] == 0 and arm["drugs"] == [0]


def test_no_arms_without_results_or_arm_names():
    assert build_arms({"drugs": [], "trial_sizes": [], "response_rates": []}, "nothing here") == []
