"""digits-mlp end to end: the run folder it writes, and the accuracy it promises."""

import json

import numpy as np
import pytest

from jlr.config import resolve_config
from jlr.data.digits import load_digits
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
    # the reported accuracy, recomputed in numpy from the checkpoint's weights
    data = load_digits(test_fraction=config.test_fraction, seed=0)
    x_test = data.x_test.reshape(len(data.x_test), -1).astype(np.float64)  # (n_test, 64)
    with np.load(tmp_path / "checkpoint.npz") as stored:
        w0, b0, w1, b1 = (stored[f".params[{i}]['{n}']"] for i in (0, 1) for n in ("w", "b"))
    logits = np.maximum(x_test @ w0 + b0, 0.0) @ w1 + b1  # (n_test, 10)
    recomputed = np.mean(np.argmax(logits, axis=1) == data.y_test)
    assert result["test_accuracy"] == pytest.approx(recomputed, abs=1.5 / len(x_test))


@pytest.mark.slow
def test_default_preset_reaches_97_percent(tmp_path):
    config = resolve_config(digits_mlp.Config, digits_mlp.PRESETS["demo"])
    result = digits_mlp.run(config, tmp_path, progress=False)
    assert result["test_accuracy"] >= 0.97, result
