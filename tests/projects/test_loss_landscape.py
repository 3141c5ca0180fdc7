"""`jlr run loss-landscape` end to end on tiny configs: the run folder, the edge-of-stability
band (and the failure when it is missed), a solution taken from a `digits-mlp` run, and bad
input as one line.

The demo preset's minutes are measured by running the project, not here. The vmapped surface
against a pointwise loop is tests/landscape/test_directions.py's.
"""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from run_folder_helpers import checkpoint_arrays

from jlr.config import resolve_config
from jlr.data.digits import load_digits
from jlr.projects import digits_mlp, loss_landscape
from jlr.projects.loss_landscape.models import load_params_from_run
from jlr.train.checkpoint import save_checkpoint
from jlr.train.run_folder import CHECKPOINT
from jlr.train.state import TrainState

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

TINY = {
    "n_examples": "128",
    "hidden": "8,8",  # 40-8-8-10: 490 parameters, so the exact Hessian is formed
    "steps": "40",
    "snapshot_every": "10",
    "grid": "5",
    "n_alphas": "5",
    "chunk_size": "8",
    "top_k": "3",
    "lanczos_iters": "20",
    "slq_probes": "2",
    "slq_iters": "10",
    "trace_probes": "4",
    "eos_examples": "256",  # seeds 0..4 at this size: plateau 1.016-1.029 x 2/lr
    "eos_steps": "1500",
    "compare_depth": "2",
    "compare_width": "8",
    "compare_steps": "20",
    "large_batch": "128",
}
FIGURES = [
    "interpolation.png",
    "surface_contour.png",
    "surface_3d.png",
    "trajectory.png",
    "hessian_spectrum.png",
    "edge_of_stability.png",
    "comparisons.png",
]


def tiny_config(**overrides):
    return resolve_config(loss_landscape.Config, {}, {**TINY, **overrides})


def cli_sets(settings: dict[str, str]) -> list[str]:
    """["--set", "key=value", ...] for the CLI."""
    return [part for key, value in settings.items() for part in ("--set", f"{key}={value}")]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("landscape")
    config = tiny_config()
    return config, out, loss_landscape.run(config, out, progress=False)


def test_run_writes_every_figure_and_the_raw_grids(tiny_run):
    config, out, result = tiny_run
    for name in ["config.json", CHECKPOINT, "landscape.npz", "results.json", "report.html"]:
        assert (out / name).is_file(), name
    for name in FIGURES:
        assert (out / name).stat().st_size > 5_000, name
    assert json.loads((out / "results.json").read_text()) == result
    assert json.loads((out / "config.json").read_text())["config"]["grid"] == 5
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == len(FIGURES)
    assert "residual" in report and "large batch" in report and "2/lr" in report
    with np.load(out / "landscape.npz") as stored:
        assert stored["surface/losses"].shape == (5, 5)
        assert stored["trajectory/coords"].shape == (40 // 10 + 1, 2)
        assert stored["interpolation/init_to_solution"].shape == (5,)
        np.testing.assert_allclose(stored["surface/losses"].min(), result["surface_min"])
        # the centre of the surface is the solution itself
        np.testing.assert_allclose(stored["surface/losses"][2, 2], result["final_loss"], rtol=1e-5)
        exact = stored["spectrum/exact"]
        assert exact.shape == (result["n_params"],) == (490,)
    # Lanczos against eigvalsh of the full Hessian; Hutchinson's trace against its sum
    np.testing.assert_allclose(result["top_eigenvalues"], exact[::-1][:3], rtol=1e-3)
    assert abs(result["trace_hutchinson"] - exact.sum()) < 6 * result["trace_standard_error"]


def test_edge_of_stability_plateau_lies_in_the_band(tiny_run):
    """The ratio recomputed from the stored sharpness path, against the stated band."""
    config, out, result = tiny_run
    low, high = loss_landscape.EOS_BAND
    with np.load(out / "landscape.npz") as stored:
        for lr in config.eos_lrs:
            sharpness = stored[f"eos/{lr:g}/sharpness"]  # (eos_steps / eos_every + 1,)
            assert sharpness.shape == (config.eos_steps // config.eos_every + 1,)
            last_third = sharpness[-round(len(sharpness) / 3) :]
            ratio = last_third.mean() / (2 / lr)
            assert low <= ratio <= high, (lr, ratio)
            assert sharpness[0] < 0.8 * 2 / lr  # it starts below the band: it rises to it
            assert result["edge_of_stability"][f"{lr:g}"]["ratio"] == pytest.approx(ratio, 1e-4)


def test_solution_from_a_digits_mlp_run_and_a_missed_edge_fails(tmp_path, capsys):
    """A digits-mlp checkpoint is the solution (its loss recomputed with numpy), and a GD run
    too short to reach 2/lr makes the run exit 1 after writing its report."""
    source = tmp_path / "mlp"
    mlp_config = resolve_config(
        digits_mlp.Config, {}, {"hidden": "8,8", "steps": "10", "steps_per_call": "5"}
    )
    digits_mlp.run(mlp_config, source, progress=False)
    out = tmp_path / "landscape"
    settings = {
        **TINY,
        "data": "digits",
        "from_run": str(source),
        "eos_steps": "40",
        "eos_lrs": "0.4",
        "compare": "false",
        "grid": "3",
    }
    code, _, err = run_cli(capsys, "run", "loss-landscape", "--out", str(out), *cli_sets(settings))
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "edge of stability not reached" in err and "Traceback" not in err
    result = json.loads((out / "results.json").read_text())
    arrays = checkpoint_arrays(source / CHECKPOINT)
    x = load_digits(test_fraction=0.2, seed=0).x_train[:128].reshape(128, 64)  # raw pixels
    y = load_digits(test_fraction=0.2, seed=0).y_train[:128]
    h = x.astype(np.float64)
    for i in range(3):
        h = h @ arrays[f".params[{i}]['w']"] + arrays[f".params[{i}]['b']"]
        h = np.maximum(h, 0.0) if i < 2 else h
    log_probs = h - h.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    assert result["final_loss"] == pytest.approx(-log_probs[np.arange(128), y].mean(), rel=1e-4)
    assert not (out / "trajectory.png").exists() and not (out / "comparisons.png").exists()
    assert "fresh initialization" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("grid=2", "grid=2 is out of range"),
        (f"grid={loss_landscape.MAX_GRID + 1}", "allowed range is [3, 401]"),
        ("model=rnn", "model='rnn' is not allowed"),
    ],
)
def test_bad_settings_are_one_line(tmp_path, capsys, setting, fragment):
    code, _, err = run_cli(
        capsys, "run", "loss-landscape", "--out", str(tmp_path / "r"), "--set", setting
    )
    assert_one_line_error(code, err, fragment)


def test_from_run_without_checkpoint_or_with_other_shapes_is_one_line(tiny_run, tmp_path, capsys):
    _, source, _ = tiny_run
    empty = tmp_path / "empty"
    empty.mkdir()
    settings = cli_sets({**TINY, "from_run": str(empty)})
    code, _, err = run_cli(capsys, "run", "loss-landscape", "--out", str(tmp_path / "a"), *settings)
    assert_one_line_error(code, err, "no checkpoint.npz", str(empty))
    settings = cli_sets({**TINY, "hidden": "16,8", "from_run": str(source)})
    code, _, err = run_cli(capsys, "run", "loss-landscape", "--out", str(tmp_path / "b"), *settings)
    assert_one_line_error(code, err, ".params[0]['b'] has shape (8,)", "expects (16,)")


def test_a_multi_seed_checkpoint_gives_its_first_seed(tmp_path):
    """A `cnn` run stores params with a leading (n_seeds,) axis: seed 0 is taken."""
    template = {"convs": [{"w": np.zeros((5, 1, 4), np.float32), "b": np.zeros(4, np.float32)}]}
    stored = jax.tree.map(lambda leaf: np.stack([leaf + 1.0, leaf + 2.0]), template)  # 2 seeds
    state = TrainState(stored, {}, {}, jax.random.key(0), np.int32(3))
    save_checkpoint(tmp_path / CHECKPOINT, state, {"step": 3})
    loaded = load_params_from_run(str(tmp_path), template)
    np.testing.assert_array_equal(loaded["convs"][0]["w"], np.ones((5, 1, 4)))
    np.testing.assert_array_equal(loaded["convs"][0]["b"], np.ones(4))
