"""The optimizer study's analysis: its statistics against scipy and brute force, and its text
and verdicts on synthetic sweeps whose winner, divergence and claims are known."""

import itertools

import numpy as np
import pytest
from scipy import stats

from jlr.projects.optimizer_study.analysis import (
    expected_best_of_k,
    good_lrs,
    paired_t_test,
    range_decades,
)
from jlr.projects.optimizer_study.writeup import analysis_html, write_analysis

LRS = [1e-3, 1e-2, 1e-1, 1.0]


def make_record(task, optimizer, final, *, schedule="constant", initial=2.0, accuracy=None):
    """A sweep record with curves [initial, final]; NaN in `final` marks a diverged run.

    final, accuracy: (n_lrs, n_seeds)."""
    final = np.asarray(final, np.float64)
    curves = {"train_loss": np.stack([np.full_like(final, initial), final], axis=-1)}
    if accuracy is not None:
        accuracy = np.asarray(accuracy, np.float64)
        curves["test_accuracy"] = np.stack([np.full_like(accuracy, 0.1), accuracy], axis=-1)
    return {
        "task": task,
        "optimizer": optimizer,
        "schedule": schedule,
        "lrs": LRS,
        "steps": [0, 100],
        "curves": curves,
        "diverged": ~np.isfinite(final),
    }


def noisy(means, rng, spread=0.01, n_seeds=5):
    """(n_lrs, n_seeds): each rate's mean times lognormal seed noise of `spread` (log)."""
    means = np.asarray(means, np.float64)[:, None]
    return means * np.exp(spread * rng.standard_normal((len(means), n_seeds)))


def sweeps_of(*records):
    return {f"{r['task']}/{r['optimizer']}/{r['schedule']}": r for r in records}


def text_of(analysis):
    return " ".join(text for _heading, text in analysis["paragraphs"])


def test_paired_t_test_matches_scipy():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 12):
        a, b = rng.normal(size=n), rng.normal(0.5, 1.0, size=n)
        ours = paired_t_test(a, b)
        reference = stats.ttest_rel(a, b)
        np.testing.assert_allclose(ours["t"], reference.statistic, rtol=1e-10)
        np.testing.assert_allclose(ours["p"], reference.pvalue, rtol=1e-8)
        assert ours["df"] == n - 1
    assert paired_t_test([1.0], [2.0]) is None
    assert paired_t_test([1.0, 2.0], [1.0, 2.0])["p"] == 1.0  # identical pairs
    assert paired_t_test([1.0, 2.0], [0.0, 1.0])["p"] == 0.0  # a constant gap


def test_expected_best_of_k_matches_every_subset():
    values = np.random.default_rng(1).exponential(size=7)
    for k in range(1, 8):
        brute = np.mean([min(c) for c in itertools.combinations(values, k)])
        np.testing.assert_allclose(expected_best_of_k(values, k), brute, rtol=1e-12)


def test_good_range_keeps_half_of_the_log_decrease():
    # initial 1.0, best 1e-4: 4 decades of decrease; good needs final <= 10^-2 (2 decades)
    final = [[3e-2] * 2, [5e-3] * 2, [1e-4] * 2, [np.nan, 1e-4]]  # lr 1 diverged on a seed
    record = make_record("quadratic", "sgd", final, initial=1.0)
    np.testing.assert_array_equal(good_lrs(record), [False, True, True, False])
    assert range_decades(LRS, good_lrs(record)) == pytest.approx(1.0)
    assert range_decades(LRS, np.zeros(4, bool)) is None


def winner_study(gap: float):
    """adam beats sgd by `gap` (a factor on the loss); sgd diverges at lr 1 on 2 seeds."""
    rng = np.random.default_rng(2)
    sgd = noisy([1.0, 0.6, 0.5, 0.5], rng)
    sgd[3, :2] = np.nan
    adam = noisy([0.5 / gap, 0.5 / gap * 1.1, 1.2, 1.9], rng)
    return sweeps_of(make_record("mlp", "sgd", sgd), make_record("mlp", "adam", adam))


def test_the_text_names_the_winner_its_rate_and_the_divergences():
    analysis = write_analysis(winner_study(gap=2.0))
    text = text_of(analysis)
    assert "On mlp, adam wins: adam (constant, lr = 0.001)" in text
    assert "against sgd (constant, lr = 0.1)" in text
    assert "sgd 2 of 20 (from lr = 1)" in text and "no run of adam diverged" in text
    assert "< 0.05: the gap is larger than the seed-to-seed variation" in text
    assert "good learning rates of adam (constant): 0.001 to 0.01, 1.0 decades" in text
    numbers = analysis["numbers"]["tasks"]["mlp"]
    assert numbers["ranking"] == ["adam", "sgd"] and numbers["winner_test"]["p"] < 1e-4
    assert "<h3>Task: mlp</h3>" in analysis_html(analysis)


def test_a_gap_within_seed_noise_is_reported_as_not_separated():
    rng = np.random.default_rng(3)
    records = [make_record("mlp", name, noisy([0.5, 0.5, 0.5, 0.5], rng, spread=0.3, n_seeds=3))
               for name in ("sgd", "adam")]  # fmt: skip
    text = text_of(write_analysis(sweeps_of(*records)))
    assert "these 3 seeds do not separate the two" in text
    assert "2 degrees of freedom" in text and f"{stats.t.isf(0.025, 2):.1f} standard errors" in text


def test_losses_at_the_float_floor_tie():
    floor_runs = [[1e-3, 1e-3], [1e-15, 2e-16], [1e-14, 1e-16], [1e-13, 1e-13]]
    records = [make_record("quadratic", name, floor_runs) for name in ("momentum", "nesterov")]
    text = text_of(write_analysis(sweeps_of(*records)))
    assert "momentum and nesterov reach the float32 floor" in text
    assert "they tie for first, and there is no difference to test" in text


def claims_study(generalizing: str):
    """Two classifiers on one task: `generalizing` ('sgd' or 'adam') has the higher test
    accuracy while adam reaches the lower train loss; adam's only good rate is 0.001, so
    one random draw favours sgd (good everywhere) and the whole grid favours adam."""
    rng = np.random.default_rng(4)
    high, low = noisy([0.9] * 4, rng, 0.001), noisy([0.7] * 4, rng, 0.001)
    sgd_acc, adam_acc = (high, low) if generalizing == "sgd" else (low, high)
    return [
        make_record("mlp", "sgd", noisy([0.3, 0.3, 0.3, 0.3], rng), accuracy=sgd_acc),
        make_record("mlp", "adam", noisy([0.1, 1.9, 1.9, 1.9], rng), accuracy=adam_acc),
    ]


@pytest.mark.parametrize(("generalizing", "verdict"), [("sgd", "agrees"), ("adam", "disagrees")])
def test_the_generalization_claim_follows_the_accuracies(generalizing, verdict):
    analysis = write_analysis(sweeps_of(*claims_study(generalizing)))
    claims = {claim["source"].split(",")[0]: claim for claim in analysis["claims"]}
    assert claims["Wilson et al. 2017"]["verdict"] == verdict
    assert claims["Choi et al. 2019"]["verdict"] == "agrees"  # 1 draw: sgd; all 4: adam
    assert analysis["numbers"]["tasks"]["mlp"]["budget"]["winner"] == [["sgd"], ["sgd"], ["adam"]]
    assert claims["Polyak 1964"]["verdict"] == "not evaluated"  # no quadratic
    assert f"This study {verdict}" in text_of(analysis)


def test_schedule_and_ill_conditioning_claims():
    rng = np.random.default_rng(5)
    records = [  # constant: adam's good range 1 rate, momentum's 3 rates
        make_record("quadratic", "adam", noisy([1.0, 1e-6, 1.0, 1.0], rng)),
        make_record("quadratic", "momentum", noisy([1e-6, 1e-6, 1e-6, 1.0], rng)),
        make_record("quadratic", "sgd", noisy([1.0, 0.1, 1e-3, 1.0], rng)),
    ]
    records += [  # warmup-cosine: 1e7 x lower, so adam and momentum reach the floor, 4e-12
        make_record("quadratic", r["optimizer"], r["curves"]["train_loss"][..., -1] / 1e7,
                    schedule="warmup-cosine")
        for r in records
    ]  # fmt: skip
    analysis = write_analysis(sweeps_of(*records))
    verdicts = {claim["source"].split(" (")[0]: claim["verdict"] for claim in analysis["claims"]}
    assert verdicts["Polyak 1964"] == "agrees"
    assert verdicts["a common practitioners' observation"] == "agrees"
    assert verdicts["Loshchilov & Hutter 2017"] == "agrees"
    text = text_of(analysis)
    assert "Adam's good rates span 0.0 decades and momentum's 2.0" in text
    budget = analysis["numbers"]["tasks"]["quadratic"]["budget"]
    assert budget["winner"][-1] == ["adam", "momentum"]  # tied at the floor
    assert budget["winner"][0] == ["momentum"]
    assert "lower tuned final train loss in 3 of 3 (task, optimizer) pairs" in text
