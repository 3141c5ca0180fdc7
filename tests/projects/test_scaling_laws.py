"""`jlr run scaling-laws`: the power-law fit against scipy and synthetic laws (recovery, and
the bootstrap interval's coverage), the IsoFLOP vertex, the parameter count against the
model's own, a tiny run folder end to end, resume after Ctrl-C, and bad input in one line.

Whether the demo's exponent and IsoFLOP optimum come out as the report says, and how long
the demo takes, is measured by running it (`jlr run scaling-laws`), not here.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from scipy.optimize import curve_fit

from jlr import interrupt
from jlr.config import resolve_config
from jlr.errors import RunFolderError, RunInterrupted
from jlr.models.transformer import TransformerConfig, init_transformer, lm_loss, n_params
from jlr.projects import scaling_laws as project
from jlr.projects.scaling_laws.family import exact_count, non_embedding_params, parse_size
from jlr.projects.scaling_laws.fit import (
    allocation_exponent,
    bootstrap_fit,
    fit_power_law,
    fit_power_law_many,
    fit_pure_power_law,
    isoflop_optimum,
    power_law,
)
from jlr.projects.scaling_laws.training import chunk_lengths, make_window_losses
from jlr.train.checkpoint import read_checkpoint
from jlr.train.run_folder import CHECKPOINT, read_metrics

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

SIZES = np.array([3312, 12768, 25472, 56640, 150080, 447552], np.float64)  # the demo's N


def scipy_fit(n, losses, start):
    """The oracle: scipy's trust-region least squares with the same bounds, from `start`."""
    params, _ = curve_fit(
        lambda n, a, alpha, c: a * n ** (-alpha) + c,
        n,
        losses,
        p0=start,
        bounds=([0.0, 1e-3, 0.0], [np.inf, 4.0, np.inf]),
        max_nfev=20_000,
        ftol=1e-15,
        xtol=1e-15,
        gtol=1e-15,
    )
    return params


# ------------------------------------------------------------------- the fit


@pytest.mark.parametrize(
    ("a", "alpha", "c"), [(20.0, 0.3, 1.2), (3.0, 0.076, 0.0), (500.0, 0.7, 2.5), (8.0, 0.05, 0.9)]
)
def test_exact_laws_are_recovered(a, alpha, c):
    fit = fit_power_law(SIZES, power_law(SIZES, a, alpha, c))
    np.testing.assert_allclose([fit.a, fit.alpha, fit.c], [a, alpha, c], rtol=1e-6, atol=1e-9)
    assert fit.sse < 1e-20


def test_noisy_fit_is_scipys_least_squares_optimum():
    rng = np.random.default_rng(0)
    truth = (20.0, 0.3, 1.2)
    for _ in range(5):
        losses = power_law(SIZES, *truth) + rng.normal(0.0, 0.01, len(SIZES))
        ours = fit_power_law(SIZES, losses)
        theirs = scipy_fit(SIZES, losses, truth)
        theirs_sse = float(np.sum((losses - power_law(SIZES, *theirs)) ** 2))
        assert ours.sse <= theirs_sse * (1 + 1e-6)  # at least as good as scipy's optimum
        np.testing.assert_allclose([ours.a, ours.alpha, ours.c], theirs, rtol=1e-4)


def test_the_floor_is_held_at_zero_like_a_bounded_scipy_fit():
    """Losses that would need c < 0 (a pure power law minus a constant): c stays 0."""
    losses = power_law(SIZES, 3.0, 0.05, 0.0) - 0.2
    ours = fit_power_law(SIZES, losses)
    theirs = scipy_fit(SIZES, losses, (3.0, 0.05, 0.01))
    assert ours.c == 0.0
    np.testing.assert_allclose([ours.a, ours.alpha], theirs[:2], rtol=1e-4)
    # with c = 0 the law is a line in log-log, so the two-parameter fit agrees in slope
    assert ours.alpha == pytest.approx(fit_pure_power_law(SIZES, losses)[1], rel=0.05)


def test_many_fits_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(1)
    losses = power_law(SIZES, 20.0, 0.3, 1.2) + rng.normal(0.0, 0.02, (7, len(SIZES)))
    many = fit_power_law_many(SIZES, losses)
    for i, row in enumerate(losses):
        one = fit_power_law(SIZES, row)
        np.testing.assert_allclose(
            [many.a[i], many.alpha[i], many.c[i]], [one.a, one.alpha, one.c], rtol=1e-12
        )


def test_bootstrap_interval_covers_the_truth_at_about_its_level():
    """Coverage of the paired-bootstrap 90% interval for alpha over M synthetic studies.

    Each study: 6 sizes scored on 256 windows, loss = L(N) + a window's difficulty (shared
    by all sizes, sd 0.3) + noise (sd 0.2). A calibrated interval covers in 90% of studies
    (the percentile bootstrap measured ~85% at M = 100); P(X <= 27) for X ~ Bin(40, 0.85) is
    about 0.002, so >= 28 of 40 fails only for a broken interval. A too-wide interval would
    pass that, so its median width must be close to the 3.29 sd of a calibrated 90% normal
    interval, sd being the spread of the fitted alphas across studies.
    """
    truth = {"a": 20.0, "alpha": 0.3, "c": 1.2}
    clean = power_law(SIZES, **truth)[:, None]  # (6, 1)
    covered, widths, alphas = 0, [], []
    for trial in range(40):
        noise_key, window_key, boot_key = jax.random.split(jax.random.key(trial), 3)
        shared = 0.3 * np.asarray(jax.random.normal(window_key, (1, 256)))
        noise = 0.2 * np.asarray(jax.random.normal(noise_key, (len(SIZES), 256)))
        boot = bootstrap_fit(boot_key, SIZES, clean + shared + noise, n_resamples=200, level=0.9)
        low, high = boot.interval["alpha"]
        covered += low <= truth["alpha"] <= high
        widths.append(high - low)
        alphas.append(boot.fit.alpha)
    assert covered >= 28, covered
    ratio = np.median(widths) / np.std(alphas)
    assert 2.0 < ratio < 5.0, ratio


def test_isoflop_vertex_and_allocation_exponent():
    log_n = np.log(SIZES[:4])
    losses = 0.05 * (log_n - np.log(20_000.0)) ** 2 + 1.8
    optimum = isoflop_optimum(SIZES[:4], losses)
    assert optimum["n_opt"] == pytest.approx(20_000.0, rel=1e-8)
    assert optimum["loss_opt"] == pytest.approx(1.8, rel=1e-8) and optimum["inside"]
    assert isoflop_optimum(SIZES[:4], -losses)["n_opt"] is None  # opens downward
    budgets = np.array([1e10, 4e10, 1.6e11])
    assert allocation_exponent(budgets, 3.0 * budgets**0.5) == pytest.approx(0.5, rel=1e-9)
    assert allocation_exponent(budgets, [1.0, None, None]) is None


# ------------------------------------------------------------------- counting and training


@pytest.mark.parametrize("positional", ["learned", "rope"])
def test_non_embedding_count_is_the_model_count_less_its_tables(positional):
    model = TransformerConfig(
        vocab_size=37, block_size=24, n_layer=3, n_head=2, n_embd=32, positional=positional
    )
    params = init_transformer(jax.random.key(0), model)
    tables = 37 * 32 + (24 * 32 if positional == "learned" else 0)
    assert non_embedding_params(params) == n_params(params) - tables == exact_count(3, 32)


def test_chunks_cover_the_steps_with_at_most_two_lengths():
    for steps in [1, 7, 50, 97, 500, 998, 1001]:
        lengths = chunk_lengths(steps, 50)
        assert sum(lengths) == steps and max(lengths) <= 50 and len(set(lengths)) <= 2
    assert chunk_lengths(990, 50) == [45] * 22  # the largest divisor in [25, 50]: one compile
    assert chunk_lengths(998, 50) == [50] * 19 + [48]  # 998 = 2 * 499 has none


def test_isoflop_plan_takes_the_sizes_nearest_the_guess_and_d_from_c():
    """Each budget: the 4 sizes nearest N = sqrt(C / (6 r)) in log N, D = C / (6 N)."""
    config = project.Config()  # the demo: r = 80, batch 16 x block 64
    counts = {size: exact_count(*parse_size(size, 16)) for size in config.sizes}
    by_budget = {}
    for name, size, steps in config.isoflop_plan():
        budget = float(name.split("/")[1])
        by_budget.setdefault(budget, []).append(size)
        assert steps == round(budget / (6 * counts[size]) / 1024)
    for budget, sizes in by_budget.items():
        guess = np.sqrt(budget / (6 * 80.0))
        distance = {s: abs(np.log(counts[s] / guess)) for s in config.sizes}
        assert sorted(sizes, key=distance.get) == sorted(config.sizes, key=distance.get)[:4]
    assert by_budget[7.83e10] == ["1x16", "1x32", "2x32", "2x48"]


# ------------------------------------------------------------------- a tiny run

TINY = {
    "sizes": "1x8,1x16,1x32",
    "d_head": "8",
    "block_size": "16",
    "batch_size": "8",
    "tokens": "2560",  # 20 steps of 8 x 16
    "steps_per_call": "10",
    "warmup_steps": "2",
    "val_windows": "32",
    "n_resamples": "200",
    "isoflop_budgets": "1.961e8",  # = 6 N D of the main 1x32 run: that run is reused
    "isoflop_sizes": "3",
}
PYTHON_TEXT = (
    "def add(self, x):\n    return self.x + x\n\n"
    "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
) * 60


def tiny_config(**overrides):
    return resolve_config(project.Config, {}, {**TINY, **overrides})


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "snippets.py"
    path.write_text(PYTHON_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, text_file):
    out = tmp_path_factory.mktemp("run")
    config = tiny_config(text=str(text_file))
    return config, out, project.run(config, out, progress=False)


def test_run_writes_the_run_folder(tiny_run):
    config, out, result = tiny_run
    for name in ["config.json", "metrics.jsonl", CHECKPOINT, "results.json", "report.html",
                 "scaling.png", "curves.png", "isoflop.png", "alpha.png"]:  # fmt: skip
        assert (out / name).is_file(), name
    assert json.loads((out / "results.json").read_text()) == result
    rows = result["sizes"]
    assert [r["size"] for r in rows] == ["1x8", "1x16", "1x32"]
    for row in rows:
        assert row["n_params"] == exact_count(*parse_size(row["size"], 8))
        assert row["tokens"] == 2560 and row["steps"] == 20
    fit = fit_power_law([r["n_params"] for r in rows], [r["val_loss"] for r in rows])
    assert (result["alpha"], result["a"], result["c"]) == pytest.approx((fit.alpha, fit.a, fit.c))
    low, high = result["fit"]["interval"]["alpha"]
    assert low <= high and (result["alpha_low"], result["alpha_high"]) == (low, high)
    budget = result["isoflop"]["budgets"][0]
    assert [r["size"] for r in budget["runs"]] == ["1x8", "1x16", "1x32"]
    assert [r["steps"] for r in budget["runs"]] == [288, 77, 20]  # D = C / (6 N), whole steps
    checkpoint_runs = read_checkpoint(out / CHECKPOINT)[1]["runs"]
    assert checkpoint_runs["isoflop/1.96e+08/1x32"]["same_as"] == "main/1x32"
    records = read_metrics(out)
    assert {r["run"] for r in records} == set(checkpoint_runs)
    assert sum("val_loss" in r for r in records) == len(checkpoint_runs) == 6
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4
    assert "Kaplan" in report and "Hoffmann" in report and f"{result['alpha']:.4f}" in report


def test_window_losses_are_lm_loss_per_window(tiny_run):
    config, _, _ = tiny_run
    model = config.model("1x16", vocab_size=11)
    params = init_transformer(jax.random.key(3), model)
    ids = jax.random.randint(jax.random.key(4), (5, 17), 0, 11)
    one_window_loss = jax.jit(lm_loss, static_argnums=3)  # the oracle: one window at a time
    with jax.default_matmul_precision("highest"):
        per_window = make_window_losses(model)(params, ids[:, :-1], ids[:, 1:])
        oracle = [
            one_window_loss(params, ids[i : i + 1, :-1], ids[i : i + 1, 1:], model)
            for i in range(5)
        ]
    np.testing.assert_allclose(per_window, jnp.stack(oracle), rtol=1e-5)


def without_seconds(runs: dict) -> dict:
    return {name: {k: v for k, v in r.items() if k != "seconds"} for name, r in runs.items()}


def test_resume_after_an_interrupt_skips_finished_runs(tiny_run, tmp_path, monkeypatch):
    """Without the IsoFLOP runs (to keep it short): the main runs equal the tiny run's."""
    _, full_out, _ = tiny_run
    config = tiny_config(text=tiny_run[0].text, isoflop_sizes="0")
    polls = iter([False] * 4 + [True])  # two chunks per size: stop as the third size starts
    monkeypatch.setattr(interrupt, "stop_requested", lambda: next(polls, False))
    with pytest.raises(RunInterrupted) as stopped:
        project.run(config, tmp_path, progress=False)
    assert stopped.value.step == 2
    finished = read_checkpoint(tmp_path / CHECKPOINT)[1]["runs"]
    assert sorted(finished) == ["main/1x16", "main/1x8"]
    monkeypatch.undo()
    result = project.run(config, tmp_path, resume=True, progress=False)
    resumed = read_checkpoint(tmp_path / CHECKPOINT)[1]["runs"]
    full = read_checkpoint(full_out / CHECKPOINT)[1]["runs"]
    assert resumed["main/1x8"]["seconds"] == finished["main/1x8"]["seconds"]  # not retrained
    assert without_seconds(resumed) == without_seconds({n: full[n] for n in resumed})
    assert result["alpha"] == tiny_run[2]["alpha"] and result["isoflop"]["budgets"] == []


def test_resume_with_other_settings_is_refused(tiny_run):
    config, out, _ = tiny_run
    with pytest.raises(RunFolderError, match="other settings"):
        other = resolve_config(project.Config, {}, {**TINY, "text": config.text}, seed=1)
        project.run(other, out, resume=True, progress=False)


# ------------------------------------------------------------------- bad input


def cli(capsys, tmp_path, *assignments):
    argv = ["run", "scaling-laws", "--out", str(tmp_path / "out"), "--no-progress"]
    for assignment in assignments:
        argv += ["--set", assignment]
    return run_cli(capsys, *argv)


@pytest.mark.parametrize(
    ("assignments", "fragments"),
    [
        (["sizes=1x16,2y48,2x32"], ["'2y48' is not LxD"]),
        (["sizes=1x16,1x24,2x32"], ["'1x24'", "multiple of d_head=16"]),
        (["sizes=1x16,1x32,1x16"], ["repeats a size"]),
        (["sizes=1x16,1x32"], ["at least 3 sizes"]),
        (["tokens=5000"], ["tokens=5000 makes 4 steps", "1024 tokens", "at least 10"]),
        (["isoflop_budgets=1e9"], ["isoflop_budgets", "steps", "raise that budget"]),
        (["isoflop_sizes=2"], ["isoflop_sizes=2", "3 to 6"]),
        (["isoflop_budgets=1e11,1e11"], ["isoflop_budgets repeats a budget"]),
        (["lr=0"], ["lr=0.0", "out of range"]),
    ],
)
def test_bad_settings(capsys, tmp_path, assignments, fragments):
    code, _, err = cli(capsys, tmp_path, *assignments)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "out").exists(), "nothing is written for a refused config"


def test_a_missing_text_file(capsys, tmp_path):
    code, _, err = cli(capsys, tmp_path, f"text={tmp_path / 'absent.txt'}")
    assert_one_line_error(code, err, "no such file")


def test_too_many_validation_windows(capsys, tmp_path, text_file):
    settings = [f"{k}={v}" for k, v in TINY.items()]
    code, _, err = cli(capsys, tmp_path, *settings, f"text={text_file}", "val_windows=500")
    assert_one_line_error(code, err, "val_windows=500", "non-overlapping windows")
