"""vision-ablation end to end on a tiny config, its statistics against scipy, its generated
analysis against the numbers it quotes, resume, and bad input (one line, exit code 2)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from scipy import stats

from jlr import interrupt
from jlr.config import resolve_config
from jlr.errors import ConfigError, RunFolderError, RunInterrupted
from jlr.projects import cnn, vision_ablation
from jlr.projects.vision_ablation import (
    Setting,
    make_loss_fn,
    make_seeds_train_step,
    resolve_defaults,
    seed_batches,
    setting_spec,
)
from jlr.projects.vision_ablation.report import analysis_text, compare_settings
from jlr.projects.vision_ablation.stats import holm_reject, paired_comparison
from jlr.train.state import TrainState

TINY = {
    "data": "digits",
    "ablations": "bn,shift",
    "n_seeds": "2",
    "channels": "4,8",
    "steps": "20",
    "eval_every": "5",
    "batch_size": "16",
}


def tiny_config(**overrides):
    return resolve_config(vision_ablation.Config, {}, {**TINY, **overrides})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation")
    result = vision_ablation.run(tiny_config(), out, progress=False)
    return out, result, json.loads((out / "results.json").read_text())


# ---------------------------------------------------------------------------- statistics


def test_paired_comparison_matches_scipy():
    rng = np.random.default_rng(0)
    baseline = rng.normal(0.9, 0.01, 7)
    ablation = baseline + rng.normal(0.01, 0.005, 7)
    c = paired_comparison(ablation, baseline, alpha=0.1)
    oracle = stats.ttest_rel(ablation, baseline)
    interval = oracle.confidence_interval(confidence_level=0.9)
    np.testing.assert_allclose([c["t"], c["p"]], [oracle.statistic, oracle.pvalue], rtol=1e-12)
    np.testing.assert_allclose([c["ci_low"], c["ci_high"]], interval, rtol=1e-12)
    np.testing.assert_allclose(c["diff"], np.mean(ablation - baseline), rtol=1e-12)
    np.testing.assert_allclose(c["ablation_std"], np.std(ablation, ddof=1), rtol=1e-12)
    assert c["df"] == 6 and c["significant"] == (oracle.pvalue < 0.1)
    # the interval excludes zero exactly when the test rejects at the same level
    assert (c["ci_low"] > 0 or c["ci_high"] < 0) == c["significant"]


def test_paired_comparison_of_constant_differences():
    """s_d = 0, where scipy divides 0 by 0: a constant shift is certain, none is nothing."""
    base = np.array([0.5, 0.6, 0.7])
    shifted = paired_comparison(base + 0.1, base)
    assert shifted["p"] == 0.0 and shifted["t"] == np.inf and shifted["significant"]
    same = paired_comparison(base, base)
    assert same["p"] == 1.0 and same["t"] == 0.0 and not same["significant"]
    noisy = np.array([0.1, 0.7, 0.9])
    rounded = paired_comparison((noisy + 0.3) - 0.3, noisy)  # differences ~1e-16: rounding
    assert rounded["p"] == 1.0 and not rounded["significant"]
    with pytest.raises(ValueError, match="n_seeds >= 2"):
        paired_comparison([0.5], [0.4])


def test_holm_step_down_by_hand():
    """Sorted p: 0.005 <= 0.05/4, 0.01 <= 0.05/3, then 0.03 > 0.05/2 stops (0.04 untested)."""
    assert holm_reject([0.01, 0.04, 0.03, 0.005], alpha=0.05) == [True, False, False, True]
    assert holm_reject([0.2, 0.3], alpha=0.05) == [False, False]
    # Holm rejects everything Bonferroni (p <= alpha / k) rejects, and never more than
    # the uncorrected test
    p = np.random.default_rng(1).uniform(0, 0.06, 20)
    holm = np.array(holm_reject(p, 0.05))
    assert np.all(holm[p <= 0.05 / 20]) and not np.any(holm[p > 0.05])


# ------------------------------------------------------------------------------ analysis


def synthetic_records(n_seeds=6):
    """A baseline and four ablations whose test and train accuracies move in the four ways
    (both up, up and down, both down) or not at all ("shift": noise)."""
    rng = np.random.default_rng(0)
    base_test, base_train = rng.normal(0.90, 0.01, n_seeds), rng.normal(0.97, 0.005, n_seeds)

    def record(name, test_change, train_change):
        test = base_test + test_change + rng.normal(0, 0.002, n_seeds)
        train = base_train + train_change + rng.normal(0, 0.002, n_seeds)
        return {
            "name": name,
            "description": vision_ablation.ABLATIONS.get(name, "the baseline"),
            "final": {
                "test_accuracy": test.tolist(),
                "test_loss": (1.0 - test).tolist(),
                "train_accuracy": train.tolist(),
                "train_loss": (1.0 - train).tolist(),
            },
        }

    return [
        record("baseline", 0.0, 0.0),
        record("bn", 0.03, 0.02),
        record("dropout", 0.02, -0.02),
        record("depth", -0.02, -0.01),
        record("shift", rng.normal(0, 0.01, n_seeds), 0.0),
    ]


def check_sentences(analysis: dict, comparisons: dict, alpha: float) -> None:
    """Each ablation's text states the direction, the numbers and the verdict its own
    comparison holds, and reads the mechanism only from two significant changes; the
    summary lists exactly the significant ablations."""
    readings = {  # (test accuracy up?, train accuracy up?) -> the words that must appear
        (True, True): "Both rose",
        (True, False): "signature of a regularizer",
        (False, False): "Both fell",
        (False, True): "consistent with overfitting",
    }
    for name, c in comparisons.items():
        text, acc, train = analysis["ablations"][name], c["test_accuracy"], c["train_accuracy"]
        verb = "raised" if acc["diff"] > 0 else "lowered" if acc["diff"] < 0 else "did not change"
        assert f"({name}) {verb} the mean test accuracy" in text
        assert f"{100 * acc['diff']:+.2f} points" in text
        assert f"{100 * acc['baseline_mean']:.2f}% to {100 * acc['ablation_mean']:.2f}%" in text
        assert f"{100 * train['baseline_mean']:.2f}% to {100 * train['ablation_mean']:.2f}%" in text
        assert f"paired t({acc['df']})" in text
        verdict = "This is significant" if acc["significant"] else "This is not significant"
        assert f"{verdict} at alpha = {alpha:g}" in text
        if acc["significant"]:
            holm = "and it survives" if c["holm_significant"] else "but it does not survive"
            assert holm in text
        assert f"{c['test_loss']['diff']:+.4f}" in text
        expected = readings[(acc["diff"] > 0, train["diff"] > 0)]
        read = acc["significant"] and train["significant"]
        assert [words for words in readings.values() if words in text] == ([expected] * read)
    listed = [n for n, c in comparisons.items() if c["test_accuracy"]["significant"]]
    for name in comparisons:
        assert (f" {name} (" in analysis["summary"]) == (name in listed), analysis["summary"]


def test_analysis_follows_the_numbers_of_synthetic_records():
    records = synthetic_records()
    comparisons = compare_settings(records, alpha=0.05)
    for name in ("bn", "dropout", "depth"):
        assert comparisons[name]["test_accuracy"]["significant"], name
        assert comparisons[name]["train_accuracy"]["significant"], name
    assert not comparisons["shift"]["test_accuracy"]["significant"]
    analysis = analysis_text(records, comparisons, alpha=0.05)
    check_sentences(analysis, comparisons, 0.05)
    assert "Both rose" in analysis["ablations"]["bn"]
    assert "regularizer" in analysis["ablations"]["dropout"]
    assert (
        "lowered" in analysis["ablations"]["depth"]
        and "Both fell" in analysis["ablations"]["depth"]
    )
    assert "3 of the 4 ablations" in analysis["summary"]
    # the same records with their roles swapped flip every sign and word
    swapped = [
        {**records[1], "name": "baseline"},
        {**records[0], "name": "bn", "description": "batch norm"},
    ]
    flipped = compare_settings(swapped, alpha=0.05)
    np.testing.assert_allclose(
        flipped["bn"]["test_accuracy"]["diff"], -comparisons["bn"]["test_accuracy"]["diff"]
    )
    assert "lowered" in analysis_text(swapped, flipped, 0.05)["ablations"]["bn"]


# ------------------------------------------------------------------------ the training


@pytest.mark.slow
def test_seeds_share_initial_weights_and_draw_their_own_batches(key):
    config = resolve_defaults(tiny_config())
    base_spec = setting_spec(config, Setting("baseline"), (8, 8, 1))
    bn_spec = setting_spec(config, Setting("bn", norm="batch"), (8, 8, 1))
    base_params, _ = cnn.init_models(key, base_spec, 2)
    bn_params, _ = cnn.init_models(key, bn_spec, 2)
    for name in ("convs", "head"):  # paired by seed: the same starting weights
        jax.tree.map(np.testing.assert_array_equal, base_params[name], bn_params[name])
    assert not np.array_equal(base_params["head"]["w"][0], base_params["head"]["w"][1])
    data = {"x": jnp.arange(10.0)[:, None], "y": jnp.arange(10)}
    batch = seed_batches(2)(data, jnp.array([3, 1, 4, 0, 2, 9]))
    np.testing.assert_array_equal(batch["y"], [[3, 1, 4], [0, 2, 9]])


@pytest.mark.slow
def test_train_step_uses_each_key_once_and_seeds_differ(key):
    from jlr.optim import adamw

    config = resolve_defaults(tiny_config())
    setting = Setting("shift", shift=1, drop_prob=0.5)
    spec = setting_spec(config, setting, (8, 8, 1))
    init_key, data_key, train_key = jax.random.split(key, 3)
    params, model_state = cnn.init_models(init_key, spec, 2)
    optimizer = adamw(1e-2, weight_decay=0.0)
    state = TrainState(
        params, model_state, jax.vmap(optimizer.init)(params), jax.random.split(train_key, 2),
        jnp.zeros((), jnp.int32),
    )  # fmt: skip
    batch = {
        "x": jnp.broadcast_to(jax.random.normal(data_key, (1, 4, 8, 8, 1)), (2, 4, 8, 8, 1)),
        "y": jnp.zeros((2, 4), jnp.int32),
    }
    step = jax.jit(make_seeds_train_step(make_loss_fn(spec, setting, "zero"), optimizer))
    twins = jax.tree.map(lambda p: jnp.stack([p[0], p[0]]), params)
    with jax.debug_key_reuse(True):  # both calls checked, and one compile serves them
        new, metrics = step(state, batch)
        # the same weights and batch in both seeds, but each seed's own dropout and shifts
        stepped, _ = step(
            state._replace(params=twins, opt_state=jax.vmap(optimizer.init)(twins)), batch
        )
    assert int(new.step) == 1 and bool(metrics["finite"])
    assert not np.array_equal(stepped.params["head"]["w"][0], stepped.params["head"]["w"][1])


# ------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_tiny_run_writes_tables_analysis_and_json(tiny_run):
    out, result, saved = tiny_run
    for name in ["config.json", "results.json", "report.html", "checkpoint.npz",
                 "test_accuracy.png", "test_loss.png", "differences.png"]:  # fmt: skip
        assert (out / name).is_file(), name
    for setting in ("baseline", "bn", "shift"):
        assert (out / setting / "metrics.jsonl").is_file()
        assert (out / setting / "checkpoint.npz").is_file()
    names = [s["name"] for s in saved["settings"]]
    assert names == ["baseline", "bn", "shift"]
    for record in saved["settings"]:
        final, curves = record["final"], record["curves"]
        assert len(final["test_accuracy"]) == 2 and len(curves["test_accuracy"]) == 2
        assert curves["step"] == [5, 10, 15, 20]
        # the final evaluation is the last point of each seed's curve
        np.testing.assert_allclose([c[-1] for c in curves["test_accuracy"]],
                                   final["test_accuracy"], rtol=1e-6)  # fmt: skip
    # the statistics in the JSON are scipy's paired test on the per-seed numbers in the JSON
    base = saved["settings"][0]["final"]["test_accuracy"]
    for record in saved["settings"][1:]:
        c = saved["comparisons"][record["name"]]["test_accuracy"]
        differences = np.subtract(record["final"]["test_accuracy"], base)  # (n_seeds,)
        if np.ptp(differences) > 1e-9:
            oracle = stats.ttest_rel(record["final"]["test_accuracy"], base)
            np.testing.assert_allclose(c["p"], oracle.pvalue, rtol=1e-9)
        else:  # every seed changed by the same count of test images: the test's limit
            assert c["p"] == (1.0 if abs(differences[0]) < 1e-9 else 0.0)
        np.testing.assert_allclose(result[f"{record['name']}_accuracy_change"], c["diff"])
    check_sentences(saved["analysis"], saved["comparisons"], saved["alpha"])
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3
    assert report.count("95% CI") >= 2 and "paired t-test" in report
    for sentence in saved["analysis"]["ablations"].values():
        assert sentence.split(" (")[0] in report


@pytest.mark.slow
def test_resume_after_an_interrupt_gives_the_same_results(tiny_run, tmp_path, monkeypatch):
    """Stop in the middle of the second setting, resume: the baseline is not retrained, the
    interrupted setting continues from its checkpoint, and every number is the same."""
    import jlr.train.loop

    real_append = jlr.train.loop.append_metrics

    def append_then_stop(out_dir, records):
        real_append(out_dir, records)
        if out_dir.name == "bn" and records[-1]["step"] == 10:
            interrupt.request_stop()

    monkeypatch.setattr(jlr.train.loop, "append_metrics", append_then_stop)
    try:
        with pytest.raises(RunInterrupted):
            vision_ablation.run(tiny_config(), tmp_path, progress=False)
    finally:
        interrupt.clear_stop()
    calls = []
    real_train = vision_ablation.train_setting

    def counted(setting, *args, **kwargs):
        calls.append((setting.name, kwargs["resume"]))
        return real_train(setting, *args, **kwargs)

    monkeypatch.setattr(vision_ablation, "train_setting", counted)
    vision_ablation.run(tiny_config(), tmp_path, resume=True, progress=False)
    assert calls == [("bn", True), ("shift", False)]
    resumed = json.loads((tmp_path / "results.json").read_text())
    _, _, uninterrupted = tiny_run
    for a, b in zip(resumed["settings"], uninterrupted["settings"], strict=True):
        assert a["final"] == b["final"] and a["curves"] == b["curves"], a["name"]


@pytest.mark.slow
def test_resume_refuses_another_config(tiny_run):
    out, _, _ = tiny_run
    before = (out / "config.json").read_bytes()
    with pytest.raises(RunFolderError, match="other settings"):
        vision_ablation.run(tiny_config(n_seeds="3"), out, resume=True, progress=False)
    assert (out / "config.json").read_bytes() == before, "a refused resume writes nothing"


# -------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("assignment", "fragments"),
    [
        ("ablations=bn,batchnorm", ("unknown ablation 'batchnorm'", "choose from")),
        ("ablations=flip", ("flip is not offered for data=mnist1d", "mirrored digit")),
        ("ablations=bn,bn", ("repeats a name",)),
        ("ablations=", ("ablations is empty",)),
        ("n_seeds=1", ("n_seeds=1 is out of range",)),
    ],
)
def test_bad_ablation_settings_are_one_line_with_exit_code_2(capsys, tmp_path, assignment,
                                                             fragments):  # fmt: skip
    code, _, err = run_cli(
        capsys, "run", "vision-ablation", "--set", assignment, "--out", str(tmp_path)
    )
    assert_one_line_error(code, err, *fragments)
    assert not any(tmp_path.iterdir())


def test_too_many_seeds_for_the_training_set_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="n_seeds x batch_size"):
        vision_ablation.run(tiny_config(n_seeds="32", batch_size="64"), tmp_path, progress=False)


def test_flip_is_accepted_where_mirror_images_keep_their_class():
    config = resolve_config(vision_ablation.Config, {}, {"data": "cifar10", "ablations": "flip"})
    assert [s.name for s in vision_ablation.make_settings(resolve_defaults(config))] == [
        "baseline",
        "flip",
    ]
