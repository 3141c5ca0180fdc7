"""optimizer-study end to end: the run folder, diverged runs in the table, bad input, resume."""

import json

import numpy as np
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
        f"{task}/{opt}"
        for task in ("quadratic", "mnist1d-mlp", "digits-cnn")
        for opt in ("momentum", "adam")
    }
    cnn = saved["sweeps"]["digits-cnn/adam"]
    assert cnn["steps"] == [0, 3, 6]
    assert np.array(cnn["curves"]["test_accuracy"]).shape == (2, 2, 3)  # (lrs, seeds, evals)
    assert len(saved["table"]) == 6 and result["runs"] == 24.0
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4
    assert "± " in report and "diverged runs" in report


def test_diverged_runs_are_recorded_not_raised(tmp_path):
    """SGD on the quadratic (lambda_max = 1) diverges for lr > 2: lr = 50 overflows to NaN."""
    config = tiny_config(tasks="quadratic", optimizers="sgd,momentum", lrs="0.1,50", steps="40")
    result = optimizer_study.run(config, tmp_path, progress=False)
    assert result["diverged_runs"] == 4.0  # both seeds at lr 50, for both optimizers
    saved = json.loads((tmp_path / "results.json").read_text())
    row = saved["table"][0]
    assert row["best_lr"] == 0.1 and row["diverged_runs"] == 2
    assert np.isfinite(row["train_loss"]["mean"])
    final = [curve[-1] for curve in saved["sweeps"]["quadratic/sgd"]["curves"]["train_loss"][1]]
    assert final == [None, None]  # NaN is stored as JSON null
    assert "2 / 4" in (tmp_path / "report.html").read_text()


def test_a_sweep_where_every_rate_diverges_reports_it(tmp_path):
    config = tiny_config(tasks="quadratic", optimizers="sgd", lrs="50", steps="40")
    result = optimizer_study.run(config, tmp_path, progress=False)
    assert result["diverged_runs"] == 2.0
    assert "all diverged" in (tmp_path / "report.html").read_text()


def test_resume_skips_finished_sweeps(tmp_path, monkeypatch):
    config = tiny_config(tasks="quadratic", optimizers="sgd", steps="4")
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
