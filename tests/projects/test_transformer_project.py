"""`jlr run transformer` end to end on a tiny config: the run folder (samples, attention PNG
and page, report), the reported validation loss recomputed from the checkpoint, exact resume
after an interrupt, and every bad input of issue 13 as one line with exit code 2. With
tokenizer=bpe (issue 14): merges learned on the training split and saved, bits per character
recomputed window by window from the checkpoint, and a uniform model's units in closed form.

Whether the demo preset's samples look like Python, and how long it takes, is measured by
running it (`make demo`), not here.
"""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from run_folder_helpers import checkpoint_arrays, without_timing

from jlr import interrupt
from jlr.config import resolve_config
from jlr.data.errors import DataError
from jlr.data.splits import text_split
from jlr.errors import RunInterrupted
from jlr.models.transformer import init_transformer, lm_loss
from jlr.projects import transformer as project
from jlr.projects.transformer.data import (
    BPE_FILE,
    bpe_data,
    char_data,
    load_data,
    validation_windows,
)
from jlr.text.bpe import load_bpe, train_bpe
from jlr.train.run_folder import CHECKPOINT, read_metrics

TINY = {
    "n_layer": "1",
    "n_head": "2",
    "n_embd": "16",
    "block_size": "16",
    "batch_size": "4",
    "steps": "8",
    "steps_per_call": "2",
    "eval_every": "4",
    "eval_batches": "2",
    "checkpoint_every": "4",
    "warmup_steps": "2",
    "sample_chars": "24",
    "temperatures": "0.5,1.0",
    "attention_chars": "12",
}
PYTHON_TEXT = (
    "def add(self, x):\n    return self.x + x\n\n"
    "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
) * 20


def tiny_config(**overrides):
    return resolve_config(project.Config, {}, {**TINY, **overrides})


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "snippets.py"
    path.write_text(PYTHON_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, text_file):
    """(config, run folder, result) of a tiny run on a small Python file."""
    out = tmp_path_factory.mktemp("run")
    config = tiny_config(text=str(text_file))
    return config, out, project.run(config, out, progress=False)


def test_run_writes_the_whole_run_folder(tiny_run):
    config, out, result = tiny_run
    for name in [
        "config.json", "metrics.jsonl", CHECKPOINT, "results.json", "report.html",
        "loss.png", "attention.png", "attention.html", "samples.txt",
    ]:  # fmt: skip
        assert (out / name).is_file(), name
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["n_embd"] == 16 and saved["model"]["vocab_size"] == len(set(PYTHON_TEXT))
    assert saved["data"]["n_train"] + saved["data"]["n_val"] == len(PYTHON_TEXT)
    assert json.loads((out / "results.json").read_text()) == result
    assert result["perplexity"] == pytest.approx(math.exp(result["val_loss"]), rel=1e-12)
    assert len(result["attention_text"]) == config.attention_chars
    assert result["attention_text"] in PYTHON_TEXT[int(0.9 * len(PYTHON_TEXT)) :]  # val text
    assert list(result["samples"]) == ["0.5", "1"]
    for sample in result["samples"].values():
        assert len(sample) == 1 + config.sample_chars and sample.startswith("\n")
        assert set(sample) <= set(PYTHON_TEXT)
    records = read_metrics(out)
    evaluated = [r for r in records if "val_loss" in r]
    assert [r["step"] for r in evaluated] == [4, 8]
    best = min(evaluated, key=lambda r: r["val_loss"])  # what nanoGPT's best checkpoint reports
    assert (result["best_val_loss"], result["best_val_step"]) == (best["val_loss"], best["step"])
    assert result["best_val_loss"] <= result["val_loss"] + 1e-6
    assert all(math.isfinite(v) for r in records for v in r.values())
    report = (out / "report.html").read_text()
    assert "href='attention.html'" in report
    assert report.count("data:image/png;base64,") == 2  # loss curves and the attention grid
    assert "temperature 0.5" in report and f"{result['perplexity']:.3f}" in report


def checkpoint_params(out, model):
    arrays = checkpoint_arrays(out / CHECKPOINT)
    shapes = jax.eval_shape(lambda: init_transformer(jax.random.key(0), model))
    return jax.tree_util.tree_map_with_path(
        lambda path, _: jnp.asarray(arrays[".params" + jax.tree_util.keystr(path)]), shapes
    )


def test_reported_val_loss_is_the_checkpoints_loss_on_the_validation_windows(tiny_run):
    config, out, result = tiny_run
    data = char_data(config.text, config.block_size)
    model = config.model(data.vocab.size)
    params = checkpoint_params(out, model)
    x, y = validation_windows(data.val, config.block_size, config.eval_batches * config.batch_size)
    with jax.default_matmul_precision("highest"):
        loss = float(lm_loss(params, jnp.asarray(x), jnp.asarray(y), model))
    assert result["val_loss"] == pytest.approx(loss, rel=1e-4)
    assert read_metrics(out)[-1]["val_loss"] == pytest.approx(loss, rel=1e-4)


def test_resume_after_an_interrupt_equals_the_uninterrupted_run(tiny_run, tmp_path, monkeypatch):
    config, full_out, _ = tiny_run
    polls = iter([False, False, True])  # stop at the third chunk boundary: step 4
    monkeypatch.setattr(interrupt, "stop_requested", lambda: next(polls, False))
    with pytest.raises(RunInterrupted) as stopped:
        project.run(config, tmp_path, progress=False)
    assert stopped.value.step == 4
    monkeypatch.undo()
    result = project.run(config, tmp_path, resume=True, progress=False)
    full, resumed = (
        checkpoint_arrays(full_out / CHECKPOINT),
        checkpoint_arrays(tmp_path / CHECKPOINT),
    )
    assert full.keys() == resumed.keys()
    for name in full:
        np.testing.assert_array_equal(full[name], resumed[name], err_msg=name)
    assert without_timing(read_metrics(tmp_path)) == without_timing(read_metrics(full_out))
    assert result == json.loads((full_out / "results.json").read_text())


def test_char_results_give_bits_per_char_and_it_is_bits_per_token(tiny_run):
    config, out, result = tiny_run
    whole = result["val_text"]
    n_val = json.loads((out / "config.json").read_text())["data"]["n_val"]
    assert result["tokenizer"] == "char" and not (out / BPE_FILE).exists()
    assert whole["n_tokens"] == whole["n_chars"] == n_val - 1  # all but the first character
    assert whole["bits_per_char"] == pytest.approx(whole["nats_per_token"] / math.log(2), rel=1e-12)
    assert result["val_bits_per_char"] == whole["bits_per_char"]
    assert "bits per character" in (out / "report.html").read_text()


# ------------------------------------------------------------------- BPE tokens


@pytest.fixture(scope="module")
def bpe_run(tmp_path_factory, text_file):
    out = tmp_path_factory.mktemp("bpe_run")
    config = tiny_config(text=str(text_file), tokenizer="bpe", bpe_vocab="280")
    return config, out, project.run(config, out, progress=False)


def test_bpe_merges_are_learned_on_the_training_split_and_saved(bpe_run):
    config, out, result = bpe_run
    train_text, val_text = text_split(PYTHON_TEXT, train_fraction=0.9)
    saved = load_bpe(out / BPE_FILE)
    assert saved == train_bpe(train_text, 280) and saved.vocab_size == 280
    data = bpe_data(config.text, config.block_size, 280)
    assert data.vocab.bpe == saved and data.vocab.decode(data.val) == val_text
    described = json.loads((out / "config.json").read_text())
    assert described["model"]["vocab_size"] == 280 and described["data"]["tokenizer"] == "bpe"
    assert described["data"]["n_val"] == len(data.val) < len(val_text)  # tokens hold chars
    assert result["tokenizer"] == "bpe" and list(result["samples"]) == ["0.5", "1"]
    for sample in result["samples"].values():
        assert sample.startswith("\n") and len(sample) <= 1 + config.sample_chars


def test_bpe_bits_per_char_recomputed_window_by_window(bpe_run):
    """The whole validation text, scored one window of block_size targets at a time by
    lm_loss (the last window shorter, no padding), from the checkpoint's parameters."""
    config, out, result = bpe_run
    data = bpe_data(config.text, config.block_size, 280)
    model = config.model(data.vocab.size)
    params = checkpoint_params(out, model)
    ids, block, total = jnp.asarray(data.val), config.block_size, 0.0
    with jax.default_matmul_precision("highest"):
        for start in range(0, len(data.val) - 1, block):
            x, y = ids[start : start + block], ids[start + 1 : start + block + 1]
            x = x[: len(y)]
            total += float(lm_loss(params, x[None], y[None], model)) * len(y)
    first = data.vocab.decode(data.val[:1])  # the first token has no context: not scored
    n_chars = len(data.val_text) - len(first)
    whole = result["val_text"]
    assert (whole["n_tokens"], whole["n_chars"]) == (len(data.val) - 1, n_chars)
    assert whole["nats_per_token"] == pytest.approx(total / (len(data.val) - 1), rel=1e-4)
    assert result["val_bits_per_char"] == pytest.approx(total / n_chars / math.log(2), rel=1e-4)
    assert whole["chars_per_token"] > 1.5  # the merges join characters


@pytest.mark.parametrize("tokenizer", ["char", "bpe"])
def test_a_uniform_model_scores_log2_vocab_bits_per_token(tokenizer, text_file, tmp_path):
    """Zero embeddings make every logit 0: bits/token = log2(V) exactly, and bits/char =
    log2(V) n_tokens / n_chars, the same text counted in either tokenizer's tokens."""
    config = tiny_config(text=str(text_file), tokenizer=tokenizer, bpe_vocab="280")
    data = load_data(config, tmp_path, resume=False)
    model = config.model(data.vocab.size)
    params = init_transformer(jax.random.key(0), model)
    params["embed"]["table"] = jnp.zeros_like(params["embed"]["table"])
    whole = project.whole_val_text(model, data, params, config.batch_size)
    n_tokens, n_chars = len(data.val) - 1, len(data.vocab.decode(data.val[1:]))
    vocab = data.vocab.size
    assert whole["bits_per_token"] == pytest.approx(math.log2(vocab), rel=1e-5)
    assert whole["bits_per_char"] == pytest.approx(math.log2(vocab) * n_tokens / n_chars, rel=1e-5)
    assert whole["ppl_token"] == pytest.approx(vocab, rel=1e-4)


def test_a_resumed_bpe_run_reads_its_merges_and_refuses_a_corrupt_file(bpe_run, tmp_path):
    config, out, _ = bpe_run
    (tmp_path / BPE_FILE).write_bytes((out / BPE_FILE).read_bytes())
    assert load_data(config, tmp_path, resume=True).vocab.bpe == load_bpe(out / BPE_FILE)
    (tmp_path / BPE_FILE).write_text('{"format": "jlr-bpe", "merges": ["a"]}')
    with pytest.raises(DataError, match="not a BPE saved by jlr.text.save_bpe") as error:
        load_data(config, tmp_path, resume=True)
    assert "\n" not in str(error.value)


def test_the_default_corpus_is_the_standard_library():
    data = char_data("", 64)
    assert data.source.startswith("the Python standard library")
    assert len(data.train) == pytest.approx(9 * len(data.val), rel=1e-4)
    assert "def " in data.val_text and "return" in data.val_text


# ------------------------------------------------------------------- bad input


def cli(capsys, tmp_path, *assignments):
    argv = ["run", "transformer", "--out", str(tmp_path / "out"), "--no-progress"]
    for assignment in assignments:
        argv += ["--set", assignment]
    return run_cli(capsys, *argv)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"", ["the file is empty"]),
        (b"print(1)\x00\x01\x02", ["NUL byte", "binary"]),
        ("café = 1\n".encode("latin-1"), ["not UTF-8", "byte 0xe9"]),
        (b"x = 1\n" * 5, ["30 characters", "block_size + 1 = 17"]),
    ],
    ids=["empty", "binary", "latin1", "shorter_than_a_block"],
)
def test_bad_text_files(capsys, tmp_path, content, fragments):
    path = tmp_path / "corpus.txt"
    path.write_bytes(content)
    code, _, err = cli(capsys, tmp_path, f"text={path}", "block_size=16")
    assert_one_line_error(code, err, *fragments)


def test_a_missing_text_file(capsys, tmp_path):
    code, _, err = cli(capsys, tmp_path, f"text={tmp_path / 'absent.txt'}")
    assert_one_line_error(code, err, "no such file")


@pytest.mark.parametrize(
    ("assignments", "fragments"),
    [
        (["n_embd=30", "n_head=4"], ["n_embd=30 is not divisible by n_head=4"]),
        (["n_embd=12", "n_head=4", "positional=rope"], ["rope", "odd"]),
        (["top_p=0"], ["top_p=0.0", "(0.0, 1.0]"]),
        (["top_p=1.5"], ["top_p=1.5", "(0.0, 1.0]"]),
        (["temperatures=0.8,0"], ["temperatures=0.0", "(0.0, 100.0]"]),
        (["temperatures=-1"], ["temperatures=-1.0"]),
        (["top_k=0"], ["top_k=0"]),
        (["tokenizer=bpe", "bpe_vocab=100"], ["bpe_vocab=100", "base alphabet of 256 bytes"]),
        (["tokenizer=words"], ["tokenizer='words'", "char, bpe"]),
    ],
)
def test_bad_settings(capsys, tmp_path, assignments, fragments):
    code, _, err = cli(capsys, tmp_path, *assignments)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "out").exists(), "nothing is written for a refused config"


def test_a_prompt_outside_the_vocabulary_names_its_characters(capsys, tmp_path, text_file):
    code, _, err = cli(capsys, tmp_path, f"text={text_file}", "prompt=def f(é): return ü")
    assert_one_line_error(code, err, "prompt", "'é', 'ü'", "vocabulary")
    assert not (tmp_path / "out" / CHECKPOINT).exists(), "no training started"
