"""digits-mlp end to end: the run folder it writes, and the accuracy it promises."""

import json

import pytest

from jlr.config import resolve_config
from jlr.projects import digits_mlp


def test_tiny_run_writes_the_whole_run_folder(tmp_path):
    config = resolve_config(
        digits_mlp.Config,
        {},
        {"hidden": "16", "steps": "20", "eval_every": "10", "steps_per_call": "5"},
    )
    result = digits_mlp.run(config, tmp_path, progress=False)
    for name in [
        "config.json",
        "metrics.jsonl",
        "checkpoint.npz",
        "results.json",
        "report.html",
        "loss.png",
        "accuracy.png",
    ]:
        assert (tmp_path / name).is_file(), name
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["config"]["hidden"] == [16]
    assert saved["data"]["n_train"] + saved["data"]["n_test"] == 1797
    assert json.loads((tmp_path / "results.json").read_text()) == result
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2
    assert 0.0 <= result["test_accuracy"] <= 1.0


@pytest.mark.slow
def test_default_preset_reaches_97_percent(tmp_path):
    config = resolve_config(digits_mlp.Config, digits_mlp.PRESETS["demo"])
    result = digits_mlp.run(config, tmp_path, progress=False)
    assert result["test_accuracy"] >= 0.97, result
