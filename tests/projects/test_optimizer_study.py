"""optimizer-study end to end: the run folder, diverged runs in the table, bad input, resume."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.cli import main
from jlr.config import resolve_config
from jlr.errors import RunFolderError
from jlr.projects import optimizer_study

TINY = {  # every task, tiny models, few steps: 2 rates x 2 seeds = 4 runs a sweep
    "optimizers": "momentum,adam",
    "lrs": "0.01,0.1",
    "seeds": "2",
    "steps": "6",
    "mlp_steps": "12",
    "eval_every": "3",
    "batch_size": "8",
    "quadratic_dim": "4",
    "mlp_hidden": "8",
    "cnn_channels": "2,4",
}


def tiny_config(**overrides):
    return resolve_config(optimizer_study.Config, {}, {**TINY, **overrides})


def test_tiny_study_writes_the_whole_run_folder(tmp_path):
    result = optimizer_study.run(tiny_config(), tmp_path, progress=False)
    for name in [
        "config.json",
        "checkpoint.npz",
        "results.json",
        "report.html",
        "best_train_loss.png",
        "best_test_accuracy.png",
        "lr_sensitivity_train_loss.png",
        "lr_sensitivity_test_accuracy.png",
    ]:
        assert (tmp_path / name).is_file(), name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["summary"] == pytest.approx(result)
    assert set(saved["sweeps"]) == {
        f"{task}/{opt}/{schedule}"
        for task in ("quadratic", "mnist1d-mlp", "digits-cnn")
        for opt in ("momentum", "adam")
        for schedule in ("constant", "warmup-cosine")
    }
    cnn = saved["sweeps"]["digits-cnn/adam/warmup-cosine"]
    assert cnn["steps"] == [0, 3, 6]
    assert np.array(cnn["curves"]["test_accuracy"]).shape == (2, 2, 3)  # (lrs, seeds, evals)
    mlp = saved["sweeps"]["mnist1d-mlp/adam/constant"]
    assert mlp["steps"] == [0, 6, 12]  # mlp_steps, evaluated as often as the other tasks
    assert len(saved["table"]) == 12 and result["runs"] == 48.0
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 5  # 4 + the tuning-budget figure
    assert "± " in report and "diverged runs" in report and "warmup-cosine" in report
    headings = [heading for heading, _text in saved["analysis"]["paragraphs"]]
    assert "Task: mnist1d-mlp" in headings and "Published observations" in headings
    assert "Analysis (generated from the numbers below)" in report


def test_diverged_runs_are_recorded_not_raised(tmp_path):
    """SGD on the quadratic (lambda_max = 1) diverges for lr > 2: lr = 50 overflows to NaN."""
    config = tiny_config(
        tasks="quadratic", optimizers="sgd,momentum", schedules="constant", lrs="0.1,50", steps="40"
    )
    result = optimizer_study.run(config, tmp_path, progress=False)
    assert result["diverged_runs"] == 4.0  # both seeds at lr 50, for both optimizers
    saved = json.loads((tmp_path / "results.json").read_text())
    row = saved["table"][0]
    assert row["best_lr"] == 0.1 and row["diverged_runs"] == 2
    assert np.isfinite(row["train_loss"]["mean"])
    sgd = saved["sweeps"]["quadratic/sgd/constant"]
    final = [curve[-1] for curve in sgd["curves"]["train_loss"][1]]
    assert final == [None, None]  # NaN is stored as JSON null
    report = (tmp_path / "report.html").read_text()
    assert "2 / 4" in report
    assert "sgd 2 of 4 (from lr = 50)" in report  # the analysis counts them in words


def test_a_sweep_where_every_rate_diverges_reports_it(tmp_path):
    config = tiny_config(
        tasks="quadratic", optimizers="sgd", schedules="constant", lrs="50", steps="40"
    )
    result = optimizer_study.run(config, tmp_path, progress=False)
    assert result["diverged_runs"] == 2.0
    report = (tmp_path / "report.html").read_text()
    assert "all diverged" in report and "every run of every optimizer diverged" in report


def test_resume_skips_finished_sweeps(tmp_path, monkeypatch):
    config = tiny_config(tasks="quadratic", optimizers="sgd", steps="4")  # both schedules
    first = optimizer_study.run(config, tmp_path, progress=False)

    def must_not_train(*args, **kwargs):
        raise AssertionError("a finished sweep was trained again")

    monkeypatch.setattr(optimizer_study, "sweep_runs", must_not_train)
    again = optimizer_study.run(config, tmp_path, resume=True, progress=False)
    assert again["runs"] == first["runs"]
    with pytest.raises(RunFolderError, match="another config"):
        optimizer_study.run(
            tiny_config(tasks="quadratic", optimizers="sgd", steps="5"), tmp_path, resume=True
        )


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("optimizers=sgd,lion", "unknown name 'lion'"),
        ("tasks=quadratic,imagenet", "unknown name 'imagenet'"),
        ("schedules=constant,cyclic", "unknown name 'cyclic'"),
        ("warmup_fraction=1.5", "warmup_fraction=1.5 is out of range"),
        ("mlp_steps=0", "mlp_steps=0 is out of range"),
        ("lrs=", "lrs is empty"),
        ("lrs=0.1,-0.01", "lrs=-0.01 is out of range"),
        ("lrs=0", "lrs=0.0 is out of range"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(tmp_path, capsys, assignment, fragment):
    out_dir = tmp_path / "run"
    code = main(["run", "optimizer-study", "--out", str(out_dir), "--set", assignment])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    assert not out_dir.exists()  # rejected before anything was written


def test_warmup_cosine_follows_optax_with_a_traced_peak_rate():
    """The scheduled optimizer, built from a traced lr inside jit, steps as optax's
    sgd(momentum) with warmup_cosine_decay_schedule(0, lr, W = 0.2 T, T)."""
    config = tiny_config(warmup_fraction="0.2")
    make = optimizer_study.optimizer_with_schedule("momentum", "warmup-cosine", 10, config)
    reference = optax.sgd(optax.warmup_cosine_decay_schedule(0.0, 0.5, 2, 10), momentum=0.9)
    update = jax.jit(lambda lr, grads, state: make(lr).update(grads, state))
    params = {"x": jnp.array([1.0, -2.0, 3.0])}
    state, ref_state = make(0.5).init(params), reference.init(params)
    for _ in range(12):  # past the end of the cosine: the rate stays 0
        grads = {"x": params["x"] ** 2}
        updates, state = update(jnp.float32(0.5), grads, state)
        expected, ref_state = reference.update(grads, ref_state)
        np.testing.assert_allclose(updates["x"], expected["x"], rtol=1e-5, atol=1e-7)
        params = {"x": params["x"] + updates["x"]}


def test_the_demo_mlp_budget_trains_past_60_percent(tmp_path):
    """The demo preset's MNIST-1D budget (mlp_steps, batch size, model) takes the MLP past 60%
    test accuracy at a rate tuned on train loss: here nesterov and the three grid rates
    around its demo best (the full demo grid: see the report's summary)."""
    config = resolve_config(
        optimizer_study.Config,
        optimizer_study.PRESETS["demo"],
        {"tasks": "mnist1d-mlp", "optimizers": "nesterov", "lrs": "0.01,0.03,0.1"},
    )
    result = optimizer_study.run(config, tmp_path, progress=False)
    (accuracy,) = [v for k, v in result.items() if k.startswith("mnist1d-mlp best test accuracy")]
    assert accuracy >= 0.60
