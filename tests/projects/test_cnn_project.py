"""`jlr run cnn` end to end on tiny configs: the run folder, exact resume, the data readers'
layouts (MNIST with and without its train files, CIFAR-10 batches), and bad input as one line.

The accuracy targets (digits >= 98.5%, MNIST-1D >= 94% over 3 seeds, MNIST >= 98%) take
minutes each on a 2-core CPU, so they are measured by running the project, not here.
"""

from __future__ import annotations

import gzip
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli
from run_folder_helpers import checkpoint_arrays, without_timing

from jlr import interrupt
from jlr.config import resolve_config
from jlr.data.cifar10 import TEST_BATCH, TRAIN_BATCHES
from jlr.data.errors import DataError
from jlr.errors import RunInterrupted
from jlr.models.cnn import conv_net
from jlr.projects import cnn
from jlr.train.run_folder import CHECKPOINT, read_metrics

TINY = {
    "channels": "3",
    "convs_per_block": "1",
    "d_hidden": "0",
    "batch_size": "16",
    "steps": "8",
    "eval_every": "4",
    "checkpoint_every": "4",
    "steps_per_call": "2",
}


def tiny_config(**overrides):
    return resolve_config(cnn.Config, {}, {**TINY, **overrides})


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A 2-seed digits run, batch norm on: (config, run folder, result)."""
    out = tmp_path_factory.mktemp("digits")
    config = tiny_config(n_seeds="2", norm="batch")
    return config, out, cnn.run(config, out, progress=False)


def test_run_writes_the_whole_run_folder(digits_run):
    config, out, result = digits_run
    for name in ["config.json", "metrics.jsonl", CHECKPOINT, "results.json", "report.html"]:
        assert (out / name).is_file(), name
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["norm"] == "batch" and saved["config"]["lr"] is None  # as given
    assert saved["resolved"]["lr"] == cnn.DATASET_DEFAULTS["digits"]["lr"]  # as run
    assert saved["data"]["n_train"] + saved["data"]["n_test"] == 1797
    assert json.loads((out / "results.json").read_text()) == result
    assert len(result["test_accuracy_per_seed"]) == 2
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2
    assert "max pool 0" in report and "(1, 10)" in report  # the layer table
    steps = [r["step"] for r in read_metrics(out) if "test_accuracy" in r]
    assert steps == [4, 8]


def test_reported_accuracy_is_each_seeds_plain_forward_pass(digits_run):
    """The evaluation (chunks of EVAL_CHUNK, padding, vmap over seeds) against one plain
    eval-mode forward pass per seed over the whole test set, from the checkpoint's arrays."""
    config, out, result = digits_run
    config = cnn.resolve_defaults(config)
    data, _ = cnn.load_data(config)
    spec = cnn.model_spec(config, data.x_train.shape[1:])
    arrays = checkpoint_arrays(out / CHECKPOINT)
    shapes = jax.eval_shape(lambda: cnn.init_models(jax.random.key(0), spec, config.n_seeds))

    def stored(prefix, seed):  # the checkpoint's entry of one leaf, for one seed
        return lambda path, _: jnp.asarray(arrays[prefix + jax.tree_util.keystr(path)][seed])

    for seed, reported in enumerate(result["test_accuracy_per_seed"]):
        params = jax.tree_util.tree_map_with_path(stored(".params", seed), shapes[0])
        model_state = jax.tree_util.tree_map_with_path(stored(".model_state", seed), shapes[1])
        logits, _ = conv_net(params, model_state, jnp.asarray(data.x_test), spec)
        accuracy = float(np.mean(np.argmax(logits, axis=-1) == data.y_test))
        assert reported == pytest.approx(accuracy, abs=0.5 / len(data.y_test))
    running_var = arrays[".model_state['norms'][0]['var']"]
    assert running_var.shape == (2, 3) and not np.allclose(running_var, 1.0)  # it was trained


def test_resume_after_an_interrupt_equals_the_uninterrupted_run(digits_run, tmp_path, monkeypatch):
    config, full_out, _ = digits_run
    polls = iter([False, False, True])  # stop at the third chunk boundary: step 4
    monkeypatch.setattr(interrupt, "stop_requested", lambda: next(polls, False))
    with pytest.raises(RunInterrupted) as stopped:
        cnn.run(config, tmp_path, progress=False)
    assert stopped.value.step == 4
    monkeypatch.undo()
    result = cnn.run(config, tmp_path, resume=True, progress=False)
    full, resumed = (
        checkpoint_arrays(full_out / CHECKPOINT),
        checkpoint_arrays(tmp_path / CHECKPOINT),
    )
    assert full.keys() == resumed.keys()
    for name in full:
        np.testing.assert_array_equal(full[name], resumed[name], err_msg=name)
    assert without_timing(read_metrics(tmp_path)) == without_timing(read_metrics(full_out))
    assert result == json.loads((full_out / "results.json").read_text())


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def write_mnist(folder, prefix, n, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 2051)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10, 2049)


def test_mnist_with_only_the_test_files_is_split_and_says_so(tmp_path):
    write_mnist(tmp_path, "t10k", 50)
    data, note = cnn.load_mnist_split(str(tmp_path), test_fraction=0.2)
    assert (len(data.x_train), len(data.x_test)) == (40, 10)
    assert data.x_train.shape[1:] == (28, 28)
    assert np.bincount(data.y_test).tolist() == [1] * 10  # stratified
    assert "Only MNIST's test set (50 images" in note and "40 training and 10 held-out" in note


def test_mnist_with_its_train_files_holds_out_the_test_set(tmp_path):
    write_mnist(tmp_path, "train", 30)
    write_mnist(tmp_path, "t10k", 20, seed=1)
    data, note = cnn.load_mnist_split(str(tmp_path), test_fraction=0.2)
    assert (len(data.x_train), len(data.x_test)) == (30, 20)
    assert "Only" not in note


def test_a_tiny_mnist_run_reports_the_split(tmp_path):
    write_mnist(tmp_path / "mnist", "t10k", 80)
    config = tiny_config(data="mnist", data_dir=str(tmp_path / "mnist"), steps="2", shift="1")
    cnn.run(config, tmp_path / "run", progress=False)
    assert "held-out images" in (tmp_path / "run" / "report.html").read_text()


def write_cifar(folder, n=12, corrupt=None, skip=()):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        if name in skip:
            continue
        records = rng.integers(0, 256, (n, 3073), dtype=np.uint8)
        records[:, 0] = np.arange(n) % 10
        data = records.tobytes()
        (folder / name).write_bytes(data[:-7] if name == corrupt else data)


def test_a_tiny_cifar10_run_with_flips_and_shifts(tmp_path):
    write_cifar(tmp_path / "cifar")
    config = tiny_config(data="cifar10", data_dir=str(tmp_path / "cifar"), steps="2")
    assert cnn.resolve_defaults(config).flip
    result = cnn.run(config, tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (saved["data"]["n_train"], saved["data"]["n_test"]) == (60, 12)
    assert 0.0 <= result["test_accuracy"] <= 1.0


# ---- bad input: one line, exit code 2 -------------------------------------------------


def cli(capsys, tmp_path, *settings):
    argv = ["run", "cnn", "--out", str(tmp_path / "run"), "--no-progress"]
    return run_cli(capsys, *argv, *[arg for s in settings for arg in ("--set", s)])


def test_unknown_data_set(capsys, tmp_path):
    code, _, err = cli(capsys, tmp_path, "data=svhn")
    assert_one_line_error(code, err, "data='svhn'", "digits, mnist1d, mnist, cifar10")


def test_mnist_not_found_says_where_to_put_which_files(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cnn, "SHARED_DATA", tmp_path / "no-shared")
    monkeypatch.setenv("JLR_CACHE", str(tmp_path / "cache"))
    code, _, err = cli(capsys, tmp_path, "data=mnist")
    names = [f"{stem}.gz" for stem in cnn.MNIST_FILES]
    assert_one_line_error(
        code, err, "MNIST not found in", str(tmp_path / "cache" / "mnist"), *names
    )
    (tmp_path / "empty").mkdir()
    code, _, err = cli(capsys, tmp_path, "data=mnist", f"data_dir={tmp_path / 'empty'}")
    assert_one_line_error(code, err, f"MNIST not found in {tmp_path / 'empty'}", *names)


def test_mnist_images_without_labels(capsys, tmp_path):
    write_mnist(tmp_path / "mnist", "t10k", 20)
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    code, _, err = cli(capsys, tmp_path, "data=mnist", f"data_dir={tmp_path / 'mnist'}")
    assert_one_line_error(code, err, "lacks t10k-labels-idx1-ubyte.gz")


def test_data_dir_that_does_not_exist(capsys, tmp_path):
    code, _, err = cli(capsys, tmp_path, "data=cifar10", f"data_dir={tmp_path / 'nowhere'}")
    assert_one_line_error(code, err, "no such folder")


@pytest.mark.parametrize(
    ("skip", "corrupt", "fragments"),
    [
        (("data_batch_3.bin", TEST_BATCH), None, ["lacks data_batch_3.bin, test_batch.bin"]),
        ((), "data_batch_2.bin", ["data_batch_2.bin", "not a whole number", "re-download"]),
        ((*TRAIN_BATCHES, TEST_BATCH), None, ["CIFAR-10 not found in"]),
    ],
    ids=["missing", "truncated", "empty"],
)
def test_cifar10_folder_with_missing_or_corrupt_batches(capsys, tmp_path, skip, corrupt, fragments):
    write_cifar(tmp_path / "cifar", skip=skip, corrupt=corrupt)
    code, _, err = cli(capsys, tmp_path, "data=cifar10", f"data_dir={tmp_path / 'cifar'}")
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "run" / CHECKPOINT).exists()


def test_an_architecture_too_deep_for_the_input(capsys, tmp_path):
    code, _, err = cli(capsys, tmp_path, "channels=4,4,4,4")  # 8 -> 4 -> 2 -> 1 -> no window
    assert_one_line_error(code, err, "channels=(4, 4, 4, 4)", "does not fit")


def test_data_errors_are_data_errors():
    with pytest.raises(DataError, match="no such folder"):
        cnn.load_mnist_split("/nonexistent/jlr-mnist", test_fraction=0.2)
