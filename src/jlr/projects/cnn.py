"""Project `cnn`: a configurable CNN (`jlr.models.cnn.conv_net`) on four image data sets.

    jlr run cnn --set data=digits|mnist1d|mnist|cifar10 [--data-dir FOLDER]

digits    scikit-learn's 8x8 digits, stratified 80/20 split             target >= 98.5%
mnist1d   MNIST-1D (Greydanus 2020), its 4000/1000 split, 1-D convs     target >= 94%, 3 seeds
mnist     real MNIST from IDX files; with only the 10k test files, a    target >= 98%
          stratified 80/20 split of them (the report says so)
cifar10   CIFAR-10 binary batches, 50000/10000                          a small CPU budget

Every architecture and training setting left at None ("auto" for the string ones) takes the
data set's default from `DATASET_DEFAULTS`, tuned so that the targets are met in minutes on a
2-core CPU; the resolved settings are written to config.json. `n_seeds` models are trained at
once (vmapped over a leading seed axis of params, model state and optimizer state, sharing
the minibatches) and the report gives their mean and spread. Batch norm's running averages
are the model state (`TrainState.model_state`): checkpointed and resumed with the weights.
"""

from __future__ import annotations

import dataclasses
import html
import platform
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.config import bounds, choices, config_to_dict
from jlr.data.augment import augment
from jlr.data.cache import cache_root
from jlr.data.cifar10 import FOLDER, TARBALL, TEST_BATCH, TRAIN_BATCHES, load_cifar10
from jlr.data.dataset import Dataset
from jlr.data.digits import load_digits
from jlr.data.errors import DataError
from jlr.data.idx import load_mnist
from jlr.data.mnist1d import load_mnist1d
from jlr.data.splits import stratified_split
from jlr.errors import ConfigError
from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net, layer_shapes, n_params
from jlr.nn.losses import softmax_cross_entropy
from jlr.optim import adamw
from jlr.optim.schedules import cosine_decay
from jlr.train import fit, keep_last_good, make_train_step
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import CONFIG, read_metrics, write_json
from jlr.train.state import TrainState
from jlr.viz.curves import plot_metric_curves

DESCRIPTION = "a CNN on digits, MNIST-1D, MNIST or CIFAR-10 (--set data=...)"
DATASETS = ("digits", "mnist1d", "mnist", "cifar10")
REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # beside a clone of the repo, if present
MNIST_FILES = tuple(
    f"{prefix}-{kind}"
    for prefix in ("train", "t10k")
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
)
EVAL_CHUNK = 250  # test examples per evaluation call: bounds the im2col buffers


@dataclass(frozen=True)
class Config:
    """None (or "auto") means the data set's default, from DATASET_DEFAULTS."""

    data: str = field(default="digits", metadata=choices(*DATASETS))
    data_dir: str = ""  # mnist / cifar10 files; "" searches the default folders
    seed: int = field(default=0, metadata=bounds(0))
    n_seeds: int | None = field(default=None, metadata=bounds(1, 16))
    channels: tuple[int, ...] | None = field(default=None, metadata=bounds(1, 1024))
    convs_per_block: int | None = field(default=None, metadata=bounds(1, 8))
    kernel: int | None = field(default=None, metadata=bounds(1, 15))
    stride: int | None = field(default=None, metadata=bounds(1, 4))
    norm: str = field(default="auto", metadata=choices("auto", "none", "batch", "layer"))
    pool: str = field(default="auto", metadata=choices("auto", "none", "max", "avg"))
    head: str = field(default="auto", metadata=choices("auto", "gap", "flatten"))
    d_hidden: int | None = field(default=None, metadata=bounds(0, 8192))
    drop_prob: float | None = field(default=None, metadata=bounds(0.0, 0.95))
    shift: int | None = field(default=None, metadata=bounds(0, 8))  # random shifts, in pixels
    flip: bool | None = None  # random horizontal flips
    lr: float | None = field(default=None, metadata=bounds(0.0, 10.0, low_open=True))
    weight_decay: float | None = field(default=None, metadata=bounds(0.0, 1.0))
    batch_size: int | None = field(default=None, metadata=bounds(1, 50_000))
    steps: int | None = field(default=None, metadata=bounds(1, 10_000_000))
    schedule: str = field(default="cosine", metadata=choices("constant", "cosine"))
    eval_every: int | None = field(default=None, metadata=bounds(1))
    checkpoint_every: int | None = field(default=None, metadata=bounds(1))
    steps_per_call: int = field(default=50, metadata=bounds(1, 10_000))
    test_fraction: float = field(default=0.2, metadata=bounds(0.05, 0.5))


DATASET_DEFAULTS: dict[str, dict] = {
    "digits": dict(
        n_seeds=1, channels=(32, 64), convs_per_block=2, kernel=3, stride=1, norm="batch",
        pool="max", head="gap", d_hidden=0, drop_prob=0.0, shift=0, flip=False,
        lr=3e-3, weight_decay=1e-4, batch_size=64, steps=1000,
    ),
    "mnist1d": dict(
        n_seeds=3, channels=(32, 32, 32), convs_per_block=1, kernel=5, stride=1, norm="batch",
        pool="max", head="gap", d_hidden=0, drop_prob=0.0, shift=0, flip=False,
        lr=3e-3, weight_decay=1e-4, batch_size=100, steps=2000,
    ),
    "mnist": dict(
        n_seeds=1, channels=(16, 32), convs_per_block=1, kernel=3, stride=1, norm="none",
        pool="max", head="flatten", d_hidden=128, drop_prob=0.25, shift=1,
        flip=False, lr=2e-3, weight_decay=1e-4, batch_size=128, steps=1500,
    ),
    "cifar10": dict(
        n_seeds=1, channels=(16, 32, 64), convs_per_block=1, kernel=3, stride=1, norm="batch",
        pool="max", head="gap", d_hidden=0, drop_prob=0.0, shift=2, flip=True,
        lr=3e-3, weight_decay=1e-4, batch_size=128, steps=2000,
    ),
}  # fmt: skip

PRESETS = {"demo": {}, "full": {"n_seeds": 3}}


def resolve_defaults(config: Config) -> Config:
    """The config with every None / "auto" replaced by the data set's default."""
    defaults = DATASET_DEFAULTS[config.data]
    filled = {
        key: value for key, value in defaults.items() if getattr(config, key) in (None, "auto")
    }
    config = dataclasses.replace(config, **filled)
    steps = config.steps
    return dataclasses.replace(
        config,
        eval_every=config.eval_every or max(steps // 10, 1),
        checkpoint_every=config.checkpoint_every or max(steps // 5, 1),
    )


def model_spec(config: Config, input_shape: tuple[int, ...]) -> ConvNetSpec:
    """The architecture a resolved config asks for; ConfigError if it does not fit the input."""
    spec = ConvNetSpec(
        input_shape=input_shape,
        channels=config.channels,
        convs_per_block=config.convs_per_block,
        kernel=config.kernel,
        stride=config.stride,
        norm=config.norm,
        pool=config.pool,
        head=config.head,
        d_hidden=config.d_hidden,
        drop_prob=config.drop_prob,
    )
    try:
        layer_shapes(spec)
    except ValueError as error:
        raise ConfigError(
            f"channels={config.channels} with stride {config.stride} and {config.pool} pooling "
            f"does not fit a {input_shape} input ({error}); use fewer blocks or pool=none"
        ) from None
    return spec


# ---------------------------------------------------------------------------------- data


def _first_dir(data_dir: str, candidates: list[Path], what: str) -> Path:
    if data_dir:
        folder = Path(data_dir).expanduser()
        if not folder.is_dir():
            raise DataError(f"data_dir={data_dir}: no such folder; give the folder with {what}")
        return folder
    return next((c for c in candidates if c.is_dir()), candidates[-1])


def _has(folder: Path, stem: str) -> bool:
    return (folder / f"{stem}.gz").is_file() or (folder / stem).is_file()


def load_mnist_split(data_dir: str, test_fraction: float) -> tuple[Dataset, str]:
    """MNIST images (n, 28, 28) and labels, with a sentence on where they came from.

    With the train files, train on the 60,000 and hold out the 10,000 test images. With the
    t10k files alone, split those 10,000 (stratified, seed 0) into train and held-out parts.
    """
    folder = _first_dir(data_dir, [SHARED_DATA / "mnist", cache_root() / "mnist"], "MNIST")
    train_files, test_files = MNIST_FILES[:2], MNIST_FILES[2:]
    if all(_has(folder, stem) for stem in train_files):
        x_train, y_train = load_mnist(folder, split="train")
        x_test, y_test = load_mnist(folder, split="test")
        return Dataset(x_train, y_train, x_test, y_test), f"MNIST from {folder}: 60,000/10,000"
    if not any(_has(folder, stem) for stem in MNIST_FILES):
        raise DataError(
            f"MNIST not found in {folder}: put {', '.join(s + '.gz' for s in MNIST_FILES)} there "
            "(the two t10k files alone are enough: they are split), or pass "
            "--data-dir FOLDER"
        )
    missing = [f"{stem}.gz" for stem in test_files if not _has(folder, stem)]
    if missing:
        raise DataError(f"MNIST in {folder} lacks {', '.join(missing)}; put it there")
    x, y = load_mnist(folder, split="test")
    train_idx, test_idx = stratified_split(y, test_fraction=test_fraction, seed=0)
    note = (
        f"Only MNIST's test set ({len(y):,} images, no train files) was found in {folder}; it "
        f"is split, stratified with seed 0, into {len(train_idx):,} training and "
        f"{len(test_idx):,} held-out images. The accuracy is on those held-out images, not on "
        f"the official test set, after training on {len(train_idx):,} images instead of the "
        "usual 60,000."
    )
    return Dataset(x[train_idx], y[train_idx], x[test_idx], y[test_idx]), note


def load_cifar10_checked(data_dir: str) -> tuple[Dataset, str]:
    """CIFAR-10 from data_dir (default: the cache folder), naming any missing batch files."""
    candidates = [SHARED_DATA / "cifar10", cache_root() / "cifar10"]
    folder = _first_dir(data_dir, candidates, f"{TARBALL} or {FOLDER}/")
    for batches in (folder / FOLDER, folder):
        present = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if (batches / name).is_file()]
        if present and len(present) < len(TRAIN_BATCHES) + 1 and not (folder / TARBALL).is_file():
            absent = sorted({*TRAIN_BATCHES, TEST_BATCH} - set(present))
            raise DataError(
                f"CIFAR-10 in {batches} lacks {', '.join(absent)}; put all six batch files "
                f"there, or {TARBALL} in {folder}"
            )
    return load_cifar10(folder), f"CIFAR-10 from {folder}: 50,000/10,000"


def standardize(data: Dataset) -> Dataset:
    """(x - mean) / std per channel, both from the training images: x (n, *spatial, c)."""
    axes = tuple(range(data.x_train.ndim - 1))
    mean, std = data.x_train.mean(axis=axes), data.x_train.std(axis=axes) + 1e-6
    return data._replace(x_train=(data.x_train - mean) / std, x_test=(data.x_test - mean) / std)


def load_data(config: Config) -> tuple[Dataset, str]:
    """The data set, channels last (x: (n, *spatial, c), standardized), and its description."""
    if config.data == "digits":
        data = load_digits(test_fraction=config.test_fraction, seed=0)
        note = f"scikit-learn digits, stratified split (test_fraction {config.test_fraction})"
    elif config.data == "mnist1d":
        data, note = load_mnist1d(), "MNIST-1D (mnist1d's generator, 5000 samples, seed 42)"
    elif config.data == "mnist":
        data, note = load_mnist_split(config.data_dir, config.test_fraction)
    else:
        data, note = load_cifar10_checked(config.data_dir)
    if data.x_train.ndim in (2, 3):  # grey images (n, h, w) or signals (n, width)
        data = data._replace(x_train=data.x_train[..., None], x_test=data.x_test[..., None])
    return standardize(data), note


# -------------------------------------------------------------------- train and eval


def make_loss_fn(spec: ConvNetSpec, shift: int, flip: bool):
    """One model's loss: (params, model_state, batch, key) -> (loss, (aux, new_model_state)).

    The batch is augmented first (`jlr.data.augment`): random shifts of up to `shift`
    positions, the border filled with edge values (after standardization 0 is no longer the
    background), and random left-right flips if `flip`.
    """

    def loss_fn(params, model_state, batch, key):
        augment_key, dropout_key = jax.random.split(key)
        x = augment(augment_key, batch["x"], max_shift=shift, flip=flip, fill="edge")
        logits, new_state = conv_net(params, model_state, x, spec, train=True, key=dropout_key)
        loss = jnp.mean(softmax_cross_entropy(logits, batch["y"]))
        accuracy = jnp.mean(jnp.argmax(logits, axis=-1) == batch["y"])
        return loss, ({"accuracy": accuracy}, new_state)

    return loss_fn


def make_seeds_train_step(loss_fn, optimizer, n_seeds: int):
    """The train step of `make_train_step(loss_fn, optimizer, has_state=True)`, vmapped over
    n_seeds models: params, model_state and opt_state carry a leading (n_seeds,) axis; the
    step counter and root key are shared, model i drawing from fold_in(split(key)[i], step).
    Every model sees the same batch. Metrics are means over the models; a non-finite step in
    any model stops all of them (the loop reports the step)."""
    one_step = make_train_step(loss_fn, optimizer, has_state=True)

    def train_step(state: TrainState, batch):
        def one_model(params, model_state, opt_state, key):
            new, metrics = one_step(
                TrainState(params, model_state, opt_state, key, state.step), batch
            )
            return (new.params, new.model_state, new.opt_state), metrics

        keys = jax.random.split(state.key, n_seeds)
        (params, model_state, opt_state), metrics = jax.vmap(one_model)(
            state.params, state.model_state, state.opt_state, keys
        )
        finite = jnp.all(metrics.pop("finite"))
        stepped = TrainState(params, model_state, opt_state, state.key, state.step + 1)
        stepped = keep_last_good(finite, stepped, state)  # one bad model: none moves
        metrics = {name: jnp.mean(value) for name, value in metrics.items()}
        return stepped, {**metrics, "finite": finite}

    return train_step


def make_evaluate_per_model(spec: ConvNetSpec, x_test: np.ndarray, y_test: np.ndarray):
    """jit(vmap) over models: (params, model_state) with a leading (n_seeds,) axis ->
    (test_loss (n_seeds,), test_accuracy (n_seeds,)), in eval mode, EVAL_CHUNK rows a call."""
    n_test = len(x_test)
    n_chunks = -(-n_test // EVAL_CHUNK)
    pad = n_chunks * EVAL_CHUNK - n_test
    x = jnp.asarray(np.concatenate([x_test, np.zeros((pad, *x_test.shape[1:]), x_test.dtype)]))
    x = x.reshape(n_chunks, EVAL_CHUNK, *x_test.shape[1:])  # (n_chunks, chunk, *input)
    y = jnp.asarray(np.concatenate([y_test, np.zeros(pad, y_test.dtype)])).reshape(n_chunks, -1)
    valid = (jnp.arange(n_chunks * EVAL_CHUNK) < n_test).reshape(n_chunks, -1)

    def one_model(params, model_state):
        def chunk(rows):
            x_chunk, y_chunk, valid_chunk = rows
            logits, _ = conv_net(params, model_state, x_chunk, spec)  # (chunk, n_classes)
            loss = jnp.sum(softmax_cross_entropy(logits, y_chunk) * valid_chunk)
            correct = jnp.sum((jnp.argmax(logits, axis=-1) == y_chunk) * valid_chunk)
            return loss, correct

        losses, correct = jax.lax.map(chunk, (x, y, valid))  # (n_chunks,) each
        return jnp.sum(losses) / n_test, jnp.sum(correct) / n_test

    return jax.jit(jax.vmap(one_model))


@partial(jax.jit, static_argnums=(1, 2))
def init_models(key: jax.Array, spec: ConvNetSpec, n_seeds: int):
    """(params, model_state) of n_seeds models, each leaf with a leading (n_seeds,) axis."""
    return jax.vmap(lambda k: init_conv_net(k, spec))(jax.random.split(key, n_seeds))


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train config.n_seeds CNNs into `out_dir`; returns the final test metrics."""
    out_dir = Path(out_dir)
    given, config = config, resolve_defaults(config)
    data, data_note = load_data(config)
    spec = model_spec(config, data.x_train.shape[1:])
    write_json(
        out_dir / CONFIG,
        {
            "project": "cnn",
            "config": config_to_dict(given),
            "resolved": config_to_dict(config),
            "data": {"name": config.data, "n_train": len(data.x_train), "n_test": len(data.x_test),
                     "note": data_note},
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )  # fmt: skip
    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    params, model_state = init_models(init_key, spec, config.n_seeds)
    lr = cosine_decay(config.lr, config.steps) if config.schedule == "cosine" else config.lr
    optimizer = adamw(lr, weight_decay=config.weight_decay)
    state = TrainState(
        params, model_state, jax.vmap(optimizer.init)(params), train_key, jnp.zeros((), jnp.int32)
    )
    per_model = make_evaluate_per_model(spec, data.x_test, data.y_test)

    def evaluate(params, model_state):
        losses, accuracies = per_model(params, model_state)
        return {"test_loss": jnp.mean(losses), "test_accuracy": jnp.mean(accuracies)}

    loss_fn = make_loss_fn(spec, config.shift, config.flip)
    state = fit(
        state,
        make_seeds_train_step(loss_fn, optimizer, config.n_seeds),
        train_data={"x": data.x_train, "y": data.y_train},
        batch_size=config.batch_size,
        total_steps=config.steps,
        data_seed=config.seed,
        out_dir=out_dir,
        evaluate=evaluate,
        eval_every=config.eval_every,
        checkpoint_every=config.checkpoint_every,
        steps_per_call=config.steps_per_call,
        resume=resume,
        progress=progress,
    )
    losses, accuracies = (
        np.asarray(a, np.float64) for a in per_model(state.params, state.model_state)
    )
    final = {
        "test_accuracy": float(accuracies.mean()),
        "test_accuracy_std": float(accuracies.std()),
        "test_loss": float(losses.mean()),
        "test_accuracy_per_seed": [float(a) for a in accuracies],
    }
    write_json(out_dir / "results.json", final)
    write_run_report(out_dir, config, spec, final, data_note)
    return final


def write_run_report(
    out_dir: Path, config: Config, spec: ConvNetSpec, final: dict, note: str
) -> Path:
    records = read_metrics(out_dir)
    figures = {
        "loss.png": save_figure(
            plot_metric_curves(
                records, ["train_loss", "test_loss"], title="Loss", ylabel="cross-entropy",
                log_y=True,
            ),
            out_dir / "loss.png",
        ),
        "accuracy.png": save_figure(
            plot_metric_curves(
                records, ["train_accuracy", "test_accuracy"], title="Accuracy", ylabel="accuracy"
            ),
            out_dir / "accuracy.png",
        ),
    }  # fmt: skip
    throughput = [r["steps_per_sec"] for r in records[1:]] or [0.0]
    accuracies = final["test_accuracy_per_seed"]
    summary = {
        "data": config.data,
        f"test accuracy (mean of {len(accuracies)} seeds)": final["test_accuracy"],
        "test accuracy std over seeds": final["test_accuracy_std"],
        "test accuracy per seed": ", ".join(f"{a:.4f}" for a in accuracies),
        "test loss": final["test_loss"],
        "parameters per model": n_params(
            jax.eval_shape(lambda: init_conv_net(jax.random.key(0), spec))[0]
        ),
        "steps": config.steps,
        "training seconds": records[-1]["elapsed"] if records else 0.0,
        "median steps/s": sorted(throughput)[len(throughput) // 2],
    }
    layers = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(shape))}</td></tr>"
        for name, shape in layer_shapes(spec)
    )
    notes = (
        f"<p>{html.escape(note)}</p><h2>Layers</h2>"
        f"<table><tr><th>layer</th><th>output shape (batch 1)</th></tr>{layers}</table>"
    )
    return write_report(
        out_dir,
        title=f"cnn: a CNN on {config.data}",
        summary=summary,
        config=config_to_dict(config),
        figures=figures,
        notes=notes,
    )
