"""Effect estimates: the spec's examples in both languages, and what is not an effect."""
import pytest

from trialex.pipelines.effects import find_effects, tie_p_values
from trialex.pipelines.normalize import normalize


def effects(text):
    n = normalize(text)
    out = []
    for e in find_effects(n.text):
        s, t = n.to_orig(e["start"], e["end"])
        out.append(dict(e, start=s, end=t, text=text[s:t]))
    return out


@pytest.mark.parametrize(
    "text,span,measure,value,low,high,level",
    [
        ("HR 0.72 (95% CI 0.58–0.89)", "HR 0.72 (95% CI 0.58–0.89)", "HR", 0.72, 0.58, 0.89, 95),
        ("OR, 1.45; 95% CI, 1.02 to 2.06", "OR, 1.45; 95% CI, 1.02 to 2.06", "OR", 1.45, 1.02, 2.06, 95),
        ("RR 0.8 [0.6, 1.1]", "RR 0.8 [0.6, 1.1]", "RR", 0.8, 0.6, 1.1, 95),
        (
            "ハザード比 0.72（95%信頼区間：0.58～0.89）",
            "ハザード比 0.72（95%信頼区間：0.58～0.89）",
            "HR",
            0.72,
            0.58,
            0.89,
            95,
        ),
        ("オッズ比 1.45（95％CI 1.02-2.06）", "オッズ比 1.45（95％CI 1.02-2.06）", "OR", 1.45, 1.02, 2.06, 95),
        (
            "ｵｯｽﾞ比は１．４５（９５％ＣＩ：１．０２～２．０６）",
            "ｵｯｽﾞ比は１．４５（９５％ＣＩ：１．０２～２．０６）",
            "OR",
            1.45,
            1.02,
            2.06,
            95,
        ),
        ("the odds ratio was 2·1 (1·3–3·4)", "odds ratio was 2·1 (1·3–3·4)", "OR", 2.1, 1.3, 3.4, 95),
        (
            "mean difference −2.3 (95% CI −4.1 to −0.5)",
            "mean difference −2.3 (95% CI −4.1 to −0.5)",
            "MD",
            -2.3,
            -4.1,
            -0.5,
            95,
        ),
        (
            "risk difference 12.5% (90% CI 3.1 to 21.9)",
            "risk difference 12.5% (90% CI 3.1 to 21.9)",
            "RD",
            12.5,
            3.1,
            21.9,
            90,
        ),
        ("SMD 0.41 (95% CI 0.12 to 0.70)", "SMD 0.41 (95% CI 0.12 to 0.70)", "SMD", 0.41, 0.12, 0.70, 95),
        (
            "incidence rate ratio 0.55 (95% CI 0.40-0.76)",
            "incidence rate ratio 0.55 (95% CI 0.40-0.76)",
            "IRR",
            0.55,
            0.40,
            0.76,
            95,
        ),
        (
            "hazard ratio (HR) of 0.65 (95% confidence interval [CI], 0.51-0.83; P<0.001)",
            "hazard ratio (HR) of 0.65 (95% confidence interval [CI], 0.51-0.83",
            "HR",
            0.65,
            0.51,
            0.83,
            95,
        ),
    ],
)
def test_estimate_and_interval(text, span, measure, value, low, high, level):
    (e,) = effects(text)
    assert (e["text"], e["measure"], e["value"], e["ci_low"], e["ci_high"], e["ci_level"]) == (
        span,
        measure,
        value,
        low,
        high,
        level,
    )


def test_estimate_without_interval_spans_the_estimate():
    (e,) = effects("The adjusted HR was 0.81 in the per-protocol set.")
    assert e["text"] == "adjusted HR was 0.81" and "ci_low" not in e


@pytest.mark.parametrize(
    "text",
    [
        "patients received 100 or 200 mg daily",  # "or" is no odds ratio
        "We calculated HR and OR for each outcome.",
        "response 45% (95% CI 38–52)",  # the CI of one group's rate
        "r = 0.45 (95% CI 0.2-0.6)",  # a correlation
        "OR, -0.2",  # a ratio is never negative
    ],
)
def test_not_effects(text):
    assert effects(text) == []


def test_p_value_written_after_the_interval_is_tied():
    text = "HR 0.72 (95% CI 0.58-0.89; P = 0.002) and OR 1.2 (95% CI 0.9-1.6). Later P = 0.4."
    found = effects(text)
    pvals = [
        {"start": text.index("P = 0.002"), "end": text.index("P = 0.002") + 9},
        {"start": text.index("P = 0.4"), "end": text.index("P = 0.4") + 7},
    ]
    # tie on the normalised text: here normalisation keeps offsets
    tie_p_values(found, pvals, text)
    assert found[0]["p_value"] == 0 and "p_value" not in found[1]


@pytest.mark.parametrize(
    "text,span,measure,value,low,high",
    [
        ("RR 0.66 CI 95%: 0.43 to 1.03; infection", "RR 0.66 CI 95%: 0.43 to 1.03", "RR", 0.66, 0.43, 1.03),
        (
            "odds ratio [OR] 2.98 [95% CI 2.67–3.32], P < 0.001",
            "odds ratio [OR] 2.98 [95% CI 2.67–3.32]",
            "OR",
            2.98,
            2.67,
            3.32,
        ),
        (
            "(difference: 0.6 beats per minute; 95% CI −3.9 to 5.1)",
            "difference: 0.6 beats per minute; 95% CI −3.9 to 5.1",
            "MD",
            0.6,
            -3.9,
            5.1,
        ),
        (
            "体重は増加した（群間差 1.9kg、95%CI 0.8～3.0、P＝0.002）",
            "群間差 1.9kg、95%CI 0.8～3.0",
            "MD",
            1.9,
            0.8,
            3.0,
        ),
        (
            "群間差は 1.2 ポイント（95％信頼区間 −2.1～4.6）と",
            "群間差は 1.2 ポイント（95％信頼区間 −2.1～4.6）",
            "RD",
            1.2,
            -2.1,
            4.6,
        ),
        (
            "死亡のハザード比 0.54、95％信頼区間 0.32～0.92、P＝0.01",
            "ハザード比 0.54、95％信頼区間 0.32～0.92",
            "HR",
            0.54,
            0.32,
            0.92,
        ),
    ],
)
def test_units_labels_and_japanese_commas(text, span, measure, value, low, high):
    (e,) = effects(text)
    assert (e["text"], e["measure"], e["value"], e["ci_low"], e["ci_high"]) == (span, measure, value, low, high)


def test_money_and_covariates():
    (e,) = effects("costs were higher (mean difference £4,489, p < 0.001)")
    assert (e["text"], e["value"]) == ("mean difference £4,489", 4489.0)
    assert effects("CRP は予測せず（1 SD あたりのハザード比 0.89、95%CI 0.75～1.06）") == []
