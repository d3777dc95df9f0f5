"""The scorer follows the spec's rules: overlap + key value, one output per gold, ignores."""

import hashlib
import json

import pytest

from trialex.evaluation import attach_texts, score

TEXT = "MMF 群では 185 例中 104 例（56.2%）が寛解（P＝0.003）。ステロイド併用。1 日 3,000mg"


def gold(**kinds):
    rec = {"id": "d1", "lang": "ja", "text": TEXT, "drug": [], "dose": [], "trial_size": [],
           "response_rate": [], "p_value": [], "ignore": []}
    rec.update(kinds)
    return rec


def result(**kinds):
    out = {"drugs": [], "doses": [], "trial_sizes": [], "response_rates": [], "p_values": []}
    out.update(kinds)
    return out


def span(s):
    i = TEXT.index(s)
    return {"start": i, "end": i + len(s), "text": s}


def test_exact_match_counts_once():
    g = gold(p_value=[dict(span("P＝0.003"), operator="=", value=0.003)])
    r = result(p_values=[dict(span("P＝0.003"), operator="=", value=0.003)] * 2)
    k = score([g], [r]).kinds["p_value"]
    assert (k.tp, k.fp, k.fn) == (1, 1, 0)


def test_overlap_is_enough_but_values_must_agree():
    g = gold(trial_size=[dict(span("185 例"), n=185, scope="arm")])
    partial = dict(span("185"), n=185, scope="arm")
    wrong = dict(span("185 例"), n=186, scope="arm")
    assert score([g], [result(trial_sizes=[partial])]).kinds["trial_size"].tp == 1
    k = score([g], [result(trial_sizes=[wrong])]).kinds["trial_size"]
    assert (k.tp, k.fp, k.fn) == (0, 1, 1)


def test_dose_tolerance_and_basis():
    g = gold(dose=[dict(span("1 日 3,000mg"), min=3000, max=3000, unit="mg/day")])
    close = dict(span("1 日 3,000mg"), normalized={"min": 3020, "max": 3020, "unit": "mg/day"})
    no_basis = dict(span("1 日 3,000mg"), normalized={"min": 3000, "max": 3000, "unit": "mg"})
    assert score([g], [result(doses=[close])]).kinds["dose"].tp == 1
    assert score([g], [result(doses=[no_basis])]).kinds["dose"].tp == 0


def test_response_rate_tolerance():
    g = gold(response_rate=[dict(span("56.2%"), percent=56.2)])
    assert score([g], [result(response_rates=[dict(span("56.2%"), percent=56.25)])]).kinds["response_rate"].tp == 1
    assert score([g], [result(response_rates=[dict(span("56.2%"), percent=56.4)])]).kinds["response_rate"].tp == 0


def test_classes_thresholds_and_ignores_are_neutral():
    g = gold(ignore=[dict(span("ステロイド"), kind="drug")])
    r = result(drugs=[dict(span("ステロイド"), name="steroid")],
               p_values=[dict(span("P＝0.003"), operator="<", value=0.05, threshold=True)])
    report = score([g], [r])
    assert report.kinds["drug"].fp == 0 and report.kinds["p_value"].fp == 0
    r2 = result(drugs=[dict(span("MMF"), name="mycophenolate mofetil", **{"class": True})])
    assert score([gold()], [r2]).kinds["drug"].fp == 0


def test_macro_f1_averages_the_five_kinds():
    g = gold(drug=[dict(span("MMF"), name="mycophenolate mofetil")])
    report = score([g], [result()])
    assert report.kinds["drug"].f1 == 0.0
    assert report.macro_f1 == pytest.approx(4 / 5)  # empty kinds score 1.0


def test_errors_list_misses_and_false_positives():
    g = gold(drug=[dict(span("MMF"), name="mycophenolate mofetil")])
    r = result(drugs=[dict(span("MMF"), name="azathioprine")])
    errors = score([g], [r]).errors
    assert {(e["error"], e["kind"], e["span"]) for e in errors} == {("FP", "drug", "MMF"), ("FN", "drug", "MMF")}


def test_stand_off_gold_gets_its_text_and_checks_the_hash(tmp_path):
    corpus = tmp_path / "corpora" / "demo"
    corpus.mkdir(parents=True)
    (corpus / "abstracts.jsonl").write_text(
        json.dumps({"id": "A1", "text": TEXT}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    sha = hashlib.sha256(TEXT.encode()).hexdigest()
    [g] = attach_texts([{"id": "A1", "source": "demo", "text_sha256": sha}], tmp_path)
    assert g["text"] == TEXT
    with pytest.raises(ValueError):
        attach_texts([{"id": "A1", "source": "demo", "text_sha256": "0" * 64}], tmp_path)


def test_effects_are_scored_when_the_gold_has_them_and_stay_out_of_the_macro():
    text = "HR 0.72 (95% CI 0.58-0.89)"
    g = {
        "id": "e",
        "text": text,
        "drug": [],
        "dose": [],
        "trial_size": [],
        "response_rate": [],
        "p_value": [],
        "effect": [{"start": 0, "end": len(text), "measure": "HR", "value": 0.72, "ci_low": 0.58, "ci_high": 0.89}],
    }
    good = {"effects": [{"start": 0, "end": 7, "measure": "HR", "value": 0.72, "ci_low": 0.581, "ci_high": 0.89}]}
    bad_ci = {"effects": [{"start": 0, "end": 7, "measure": "HR", "value": 0.72, "ci_low": 0.50, "ci_high": 0.89}]}
    assert score([g], [good]).kinds["effect"].tp == 1
    report = score([g], [bad_ci])
    assert (report.kinds["effect"].fp, report.kinds["effect"].fn) == (1, 1)
    assert report.macro_f1 == 1.0  # the five kinds are empty, so perfect
    assert "effect" not in score([gold()], [result()]).kinds  # gold without the kind: not scored


def test_scope_and_arm_of_found_sizes_are_counted():
    g = gold(
        trial_size=[
            dict(span("185 例"), n=185, scope="arm", arm="mycophenolate mofetil"),
            dict(span("104 例"), n=104, scope="total"),
        ]
    )
    r = result(
        trial_sizes=[
            dict(span("185 例"), n=185, scope="arm", arm="mycophenolate mofetil + prednisolone"),
            dict(span("104 例"), n=104, scope="arm", arm="prednisolone"),
        ]
    )
    report = score([g], [r])
    assert report.roles == {"found": 2, "scope": 1, "arm": 1, "both": 1}
    assert report.as_dict()["trial_size_roles"] == {"found": 2, "scope": 0.5, "arm": 0.5, "both": 0.5}


@pytest.mark.parametrize(
    "g, o, agree",
    [
        ("placebo", "placebo + mycophenolate mofetil", True),
        ("placebo", "mycophenolate mofetil", False),
        ("Control", "control", True),
        (None, None, True),
        ("control", None, False),
        (None, "placebo", False),
        ("peginterferon alfa-2a", "peginterferon alfa-2b", False),
    ],
)
def test_arm_names_agree_on_a_contiguous_run_of_words(g, o, agree):
    from trialex.evaluation import arm_agrees

    assert arm_agrees(g, o) is agree
