"""Trained decisions over the rules' candidates (pipelines/decisions.py, trialex train).

The examples are the ones the issue tried as a new user would, written for these tests (none
comes from a test split).  They run the default pipeline, which uses models/decisions/.
"""
import json
from pathlib import Path

import pytest

from trialex.pipelines.decisions import LinearModel, load_models, rate_candidates, size_candidates
from trialex.pipelines.pipeline import Extractor, Pipeline

ROOT = Path(__file__).resolve().parents[2]
needs_models = pytest.mark.skipif(not (ROOT / "models" / "decisions" / "trial_size.json").exists(),
                                  reason="no trained models: run `trialex train`")


def sizes(result):
    return [(s["text"], s["n"], s["scope"], s.get("arm")) for s in result["trial_sizes"]]


def rates(result):
    return [(r["text"], r["percent"], r.get("numerator"), r.get("denominator"), r.get("arm"))
            for r in result["response_rates"]]


@needs_models
def test_a_japanese_total_without_cue_words(learned):
    assert sizes(learned.extract("412例が本試験に登録された。")) == [("412例", 412, "total", None)]


@needs_models
def test_assigned_to_two_drugs_is_the_total(learned):
    r = learned.extract("In total, 240 patients were assigned to tacrolimus or MMF.")
    assert sizes(r) == [("240 patients", 240, "total", None)]


@needs_models
def test_arm_sizes_of_combinations(learned):
    r = learned.extract("Patients were randomized to tacrolimus plus MMF (n = 150) or placebo plus MMF (n = 148).")
    assert sizes(r) == [("n = 150", 150, "arm", "tacrolimus + mycophenolate mofetil"),
                        ("n = 148", 148, "arm", "placebo + mycophenolate mofetil")]


@needs_models
def test_a_rate_takes_the_arm_written_beside_it(learned):
    r = learned.extract("Response was 62% in the pembrolizumab arm and 41% in the docetaxel arm.")
    assert [(x[1], x[4]) for x in rates(r)] == [(62.0, "pembrolizumab"), (41.0, "docetaxel")]


@needs_models
def test_a_japanese_pair_keeps_its_denominator(learned):
    r = learned.extract("MMF 群では 45／120例（37.5％）が寛解に至った。")
    assert rates(r) == [("37.5％", 37.5, 45, 120, "mycophenolate mofetil")]
    assert [s[1] for s in sizes(r)] == [120]


@needs_models
def test_a_flattened_package_insert_table(learned):
    text = ("投与群\u3000例数\u3000改善率(%)\n"
            "ロキソプロフェン群\u3000106\u300038.7(41/106)\n"
            "プラセボ群\u3000104\u300020.2(21/104)")
    r = learned.extract(text)
    assert [(x[1], x[2], x[3]) for x in rates(r)] == [(38.7, 41, 106), (20.2, 21, 104)]
    assert {s[1] for s in sizes(r)} == {106, 104}
    assert all(x["outcome"] == "改善" for x in r["response_rates"])


@needs_models
def test_adverse_event_shares_stay_out(learned):
    assert rates(learned.extract("Adverse events occurred in 45% of patients.")) == []


def test_without_model_files_the_rules_decide(tmp_path):
    """The fallback: no models/decisions/ → the rule path's output, unchanged."""
    text = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（P＝0.003）。Adverse events in 12%."
    rules = Extractor(decisions=False).extract(text)
    fallback = Extractor(model_dir=str(tmp_path)).extract(text)
    assert {k: v for k, v in fallback.items() if k != "meta"} == {k: v for k, v in rules.items() if k != "meta"}


def test_linear_models_score_binary_and_multiclass():
    binary = LinearModel({"kind": "response_rate", "classes": ["none", "rate"], "threshold": 0.5,
                          "weights": {"bias": [-1.0], "good": [3.0]}})
    assert binary.decide({"bias": 1.0, "good": 1.0}) == "rate"
    assert binary.decide({"bias": 1.0}) == "none"
    assert binary.proba({"bias": 1.0})[1] == pytest.approx(1 / (1 + 2.718281828 ** 1), rel=1e-6)
    multi = LinearModel({"kind": "trial_size", "classes": ["none", "total", "arm", "subset"], "threshold": 0.5,
                         "weights": {"bias": [2.0, 0.0, 0.0, 0.0], "n_eq": [0.0, 0.0, 4.0, 0.0]}})
    assert multi.decide({"bias": 1.0}) == "none"
    assert multi.decide({"bias": 1.0, "n_eq": 1.0}) == "arm"
    assert sum(multi.proba({"bias": 1.0, "n_eq": 1.0})) == pytest.approx(1.0)


def test_candidates_cover_counts_denominators_and_table_cells():
    nlp = Pipeline("ja", decisions=False)
    st = nlp("投与群\u3000例数\u3000改善率(%)\nA 群\u3000106\u300038.7(41/106)\n"
             "412例が登録され、104/185 例が寛解した。")
    size_values = [c.value for c in size_candidates(st)]
    assert 106 in size_values and 412 in size_values and 185 in size_values
    assert 104 not in size_values and 41 not in size_values  # numerators are never sizes
    rate_cands = {(st.text[c.start : c.end], c.attrs.get("denominator")) for c in rate_candidates(st)}
    assert ("38.7", 106) in rate_cands


def test_training_is_deterministic_and_writes_a_model_card(tmp_path):
    from trialex.train import train

    lines = (ROOT / "annotations" / "en.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "tr.jsonl").write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    (tmp_path / "dv.jsonl").write_text("\n".join(lines[12:18]) + "\n", encoding="utf-8")
    (tmp_path / "sets.json").write_text(
        json.dumps(
            {
                "sets": [
                    {"file": "tr.jsonl", "lang": "en", "role": "train"},
                    {"file": "dv.jsonl", "lang": "en", "role": "dev"},
                ]
            }
        )
    )
    outs = []
    for run in ("a", "b"):
        train(tmp_path / "sets.json", ROOT.parent / "shared", tmp_path / run, log=lambda *a: None)
        outs.append({p.name: p.read_bytes() for p in (tmp_path / run).iterdir()})
    assert outs[0]["trial_size.json"] == outs[1]["trial_size.json"]
    assert outs[0]["response_rate.json"] == outs[1]["response_rate.json"]
    models = load_models(tmp_path / "a")
    assert set(models) == {"trial_size", "response_rate"}
    assert models["trial_size"].meta["train_docs"] == 12 and models["trial_size"].meta["test"] is None
    assert b"dev P/R/F1" in outs[0]["MODEL_CARD.md"]


def test_document_tokens_equal_tokens_of_every_window():
    """Context.tokens (the text tokenised once) gives what tokenising each window gives, also
    for windows that cut a word, a number or a Japanese run."""
    from trialex.pipelines.features import Context, tokens

    text = ("Overall, 18 of 32 anti-TNF'naive patients (56.3%) reached remission; 1,204.5 mg·day "
            "寛解率は ＭＭＦ群で 45／120例（37.5％）、プラセボ群で 12.5% だった。")
    st = Pipeline("en", decisions=False)(text)
    ctx = Context(st)
    norm = ctx.text
    for lo in range(len(norm) + 1):
        for hi in range(lo, min(len(norm), lo + 40) + 1):
            assert ctx.tokens(lo, hi) == tokens(norm, lo, hi), (lo, hi, norm[lo:hi])


def test_the_sparse_dot_product_is_the_dense_one():
    weights = {"bias": [0.5, -0.25, 0.125, 1.0], "a": [1.5, 0.0, -2.0, 0.3], "b": [0.1, 0.2, 0.3, 0.4]}
    model = LinearModel({"kind": "trial_size", "classes": ["none", "total", "arm", "subset"], "weights": weights})
    feats = {"bias": 1.0, "unknown": 1.0, "a": 0.0, "b": 2.5}
    dense = [sum(weights[n][i] * v for n, v in feats.items() if n in weights) for i in range(4)]
    assert model.scores(feats) == pytest.approx(dense)
    assert model.scores({"unknown": 1.0}) == [0.0] * 4


@pytest.mark.parametrize("text, number, name", [
    ("Of these, 790 (75.1%) completed the trial.", "790", "share_after"),
    ("ω-3 群の 4 人（9.8％）が移行した。", "4 人", "share_after"),
    ("The majority were male (68.6%, n = 447).", "n = 447", "share_before"),
    ("A total of 44 patients (22 in each group) were included.", "22", "each_group"),
    ("解析対象は各群 40 例であった。", "40 例", "each_group"),
    ("Methods: Seventy-two survivors were randomly assigned.", "Seventy-two survivors", "sent_start"),
])
def test_size_features_of_shares_groups_and_sentence_starts(text, number, name):
    from trialex.pipelines.decisions import features
    from trialex.pipelines.features import Context

    st = Pipeline("ja" if "例" in text or "人" in text else "en", decisions=False)(text)
    ctx = Context(st)
    cands = {st.text[c.start:c.end]: c for c in size_candidates(st)}
    assert features(ctx, cands[number]).get(name) == 1.0
    others = [c for t, c in cands.items() if t != number]
    assert all(features(ctx, c).get(name) is None for c in others if name != "sent_start")


@pytest.mark.parametrize("text, pct, interval", [
    ("Improvement of 8% (0.4% - 16.2%) in the HD group.", 8.0, True),
    ("SVR improved by 65.6% [95% CI: 44.5% to 86.7%].", 65.6, True),
    ("寛解率は 42.0%（95%信頼区間 30.1～54.0）であった。", 42.0, True),
    ("Remission was reached by 42.0% (21/50) of patients.", 42.0, False),
])
def test_rate_feature_of_an_interval_after_the_percentage(text, pct, interval):
    from trialex.pipelines.decisions import features
    from trialex.pipelines.features import Context

    st = Pipeline("ja" if "率" in text else "en", decisions=False)(text)
    ctx = Context(st)
    cand = next(c for c in rate_candidates(st) if c.value == pct)
    assert (features(ctx, cand).get("interval_after") == 1.0) is interval
