"""`jlr run alignment` end to end on a tiny config (the run folder, results.json's numbers
checked for consistency), the synthetic true score against a count by hand, the preference
file reader, and bad input as one line with exit code 2.

Whether the demo preset's DPO raises the true score at a bounded KL is measured by running
it (`jlr run alignment`), not here.
"""

from __future__ import annotations

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli

from jlr.config import resolve_config
from jlr.projects import alignment as project
from jlr.projects.alignment.likelihood import equal_loss_temperature
from jlr.projects.alignment.task import read_preferences, target_mask, true_score
from jlr.text.char_vocab import CharVocab

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

TINY = {
    "block_size": "16",
    "n_layer": "1",
    "n_head": "2",
    "n_embd": "16",
    "batch_size": "8",
    "pretrain_steps": "20",
    "prompt_chars": "4",
    "completion_chars": "6",
    "n_pairs": "16",
    "reward_dim": "4",
    "reward_steps": "10",
    "dpo_steps": "4",
    "dpo_batch": "8",
    "rl_steps": "2",
    "rl_batch": "4",
    "eval_prompts": "8",
    "eval_every": "2",
    "limit_samples": "2",
}
PYTHON_TEXT = (
    "def add(self, x):\n    return self.x + x\n\n"
    "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
) * 20


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "snippets.py"
    path.write_text(PYTHON_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, text_file):
    out = tmp_path_factory.mktemp("run")
    config = resolve_config(project.Config, {}, {**TINY, "text": str(text_file)})
    return config, out, project.run(config, out, progress=False)


def test_run_writes_the_run_folder_and_consistent_numbers(tiny_run):
    config, out, result = tiny_run
    for name in ["config.json", "results.json", "report.html", "tuning.png", "limits.png"]:
        assert (out / name).is_file(), name
    assert json.loads((out / "results.json").read_text()) == result
    assert result["ref_perplexity"] == pytest.approx(math.exp(result["ref_val_loss"]), rel=1e-12)
    before, after = result["dpo_before"], result["dpo_after"]
    assert before["step"] == 0 and after["step"] == config.dpo_steps
    assert before["kl"] == pytest.approx(0.0, abs=1e-5)  # the policy starts as the reference
    for name in ("dpo", "with_kl", "without_kl"):  # every run is scored on the same samples
        assert result["curves"][name][0] == before
        assert [p["step"] for p in result["curves"][name]][-1] > 0
    for point in [p for curve in result["curves"].values() for p in curve]:
        assert 0.0 <= point["true_score"] <= 1.0 and point["kl"] >= -1e-5
        assert 0.0 <= point["distinct_2"] <= 1.0 and math.isfinite(point["reward"])
    models = result["equal_perplexity_models"]
    assert [m["tau"] for m in models][:2] == [1.0, config.sharp_tau]
    sharp, flat = models[1], models[2]
    if flat["tau"] > 1.0:  # a tiny model may be under-confident: then no flatter model matches
        assert flat["val_loss"] == pytest.approx(sharp["val_loss"], rel=1e-3)
    decodings = {d["decoding"]: d for d in result["decodings"]}
    assert len({d["val_loss"] for d in decodings.values()}) == 1  # one model, one likelihood
    n_new = 1 + 3 * config.block_size - (1 + config.prompt_chars)
    assert all(len(result["samples"][name]) == n_new for name in decodings)
    assert set(result["samples"]["reference"]) <= set(PYTHON_TEXT)
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3 and "REINFORCE, no KL" in report


def test_equal_loss_temperature_solves_a_known_loss_curve():
    """L(tau) = (log tau - log 1.1)^2 is symmetric in log tau about 1.1, so the flat model
    matching tau_sharp = 0.8 is 1.1^2 / 0.8."""
    loss_at = lambda tau: (math.log(tau) - math.log(1.1)) ** 2
    assert equal_loss_temperature(loss_at, 0.8) == pytest.approx(1.1**2 / 0.8, rel=1e-6)
    assert equal_loss_temperature(lambda tau: (tau - 0.5) ** 2, 0.7) == 1.0  # under-confident


def test_true_score_is_the_fraction_of_target_characters():
    vocab = CharVocab.from_text(PYTHON_TEXT)
    texts = ["\ndef add", "\nreturn ", "\nxxxxxxx"]
    ids = jnp.asarray(np.stack([vocab.encode(t) for t in texts]))
    mask = jnp.asarray([[0, 1, 1, 1, 1, 1, 1, 1]] * 3, jnp.float32)
    by_hand = [sum(c in "aeiou" for c in t[1:]) / 7 for t in texts]  # e, a / e, u / none
    np.testing.assert_allclose(
        true_score(ids, mask, target_mask(vocab, "aeiou")), by_hand, rtol=1e-6
    )


def test_a_preference_file_becomes_padded_pairs_with_completion_masks(tmp_path):
    vocab = CharVocab.from_text(PYTHON_TEXT)
    path = tmp_path / "pairs.jsonl"
    lines = [
        {"prompt": "def", "chosen": " add", "rejected": "x"},
        {"prompt": "", "chosen": "self", "rejected": "return x"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    pairs = read_preferences(str(path), vocab, block_size=16)
    assert pairs.chosen.shape == (2, 9)  # the longest: "\n" + "" + "return x"
    decoded = vocab.decode(np.asarray(pairs.chosen[0, :8]))
    assert decoded == "\ndef add"
    np.testing.assert_array_equal(pairs.chosen_mask[0], [0, 0, 0, 0, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(pairs.rejected_mask[0], [0, 0, 0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(pairs.rejected_mask[1], [0, 1, 1, 1, 1, 1, 1, 1, 1])


# ------------------------------------------------------------------- bad input


def cli(capsys, tmp_path, text_file, *assignments):
    argv = ["run", "alignment", "--out", str(tmp_path / "out"), "--no-progress"]
    for assignment in [f"text={text_file}", *assignments]:
        argv += ["--set", assignment]
    return run_cli(capsys, *argv)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('{"prompt": "x", "chosen": "a"}\n', ["line 1", "no 'rejected' field"]),
        ('{"prompt": "x", "chosen": "a", "rejected": "s"}\nnot json\n', ["line 2", "not JSON"]),
        ('["x", "a", "b"]\n', ["line 1", "not an object"]),
        ('{"prompt": "x", "chosen": 3, "rejected": "s"}\n', ["'chosen' is int"]),
        ('{"prompt": "x", "chosen": "é", "rejected": "s"}\n', ["outside the", "'é'"]),
        ('{"prompt": "x", "chosen": "' + "a" * 80 + '", "rejected": "s"}\n', ["block_size=64"]),
        ("\n\n", ["no pairs"]),
    ],
    ids=[
        "missing_field",
        "not_json",
        "not_an_object",
        "not_a_string",
        "unknown_char",
        "long",
        "empty",
    ],  # fmt: skip
)
def test_bad_preference_files(capsys, tmp_path, text_file, content, fragments):
    path = tmp_path / "prefs.jsonl"
    path.write_text(content, encoding="utf-8")
    code, _, err = cli(capsys, tmp_path, text_file, f"preferences={path}")
    assert_one_line_error(code, err, *fragments)


def test_a_missing_preference_file(capsys, tmp_path, text_file):
    code, _, err = cli(capsys, tmp_path, text_file, f"preferences={tmp_path / 'absent.jsonl'}")
    assert_one_line_error(code, err, "no such file")


@pytest.mark.parametrize(
    ("assignments", "fragments"),
    [
        (["block_size=16", "prompt_chars=10", "completion_chars=10"], ["exceeds block_size=16"]),
        (["target=ü"], ["target='ü'", "vocabulary"]),
        (["dpo_beta=0"], ["dpo_beta=0.0", "out of range"]),
    ],
)
def test_bad_settings(capsys, tmp_path, text_file, assignments, fragments):
    code, _, err = cli(capsys, tmp_path, text_file, *assignments)
    assert_one_line_error(code, err, *fragments)
