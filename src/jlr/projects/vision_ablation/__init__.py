"""Project `vision-ablation`: one-factor-at-a-time ablations of a small CNN, over seeds.

    jlr run vision-ablation [--set data=mnist1d|digits|mnist|cifar10] [--set ablations=bn,wd]

A plain baseline CNN (`jlr.models.cnn.conv_net`: conv blocks with max pooling, no norm, no
dropout, no weight decay, no augmentation, trained with Adam and a cosine schedule) and one
setting per ablation, each the baseline with ONE thing changed:

    bn       batch norm after every conv            ln     layer norm after every conv
    dropout  dropout before the classifier          depth  two convs per block instead of one
    wd       AdamW's decoupled weight decay         l2     an L2 penalty in the loss (Adam)
    shift    random shifts of the input (`jlr.data.augment`)
    flip     random left-right flips: CIFAR-10 only (a mirrored digit is not a digit)

Every setting trains `n_seeds` models at once, vmapped over a leading seed axis of params,
model state, optimizer state, PRNG keys AND minibatches: each seed draws its own batches
(one step reads n_seeds x batch_size distinct rows of the epoch's permutation, seed i the
i-th block). Seed i of every setting starts from the same weights (where the architecture
allows: all but `depth`), sees the same batches and draws the same dropout and augmentation
keys, so the settings pair by seed and `stats.paired_comparison` tests the per-seed
differences. The report (`report`) gives a table per ablation, the curves, and an analysis
whose every sentence is generated from the measured numbers; results.json holds them all.

The default data set is MNIST-1D: there the plain baseline ends near 92% after the demo's
1000 steps, with room for each change to show, while the same CNN on 8x8 digits is near its
ceiling (the cnn project's target is 98.5%) on a 360-image test set, where one image is 0.28
points, so most effects would be a test image or two.

Each setting is a `jlr.train.fit` run in its own subfolder (metrics, checkpoint); the run
folder's checkpoint.npz records the finished settings, so `--resume` skips them and resumes
the interrupted one from its checkpoint. The package: this module (Config, PRESETS,
training, run), `stats` (the paired test, Holm's correction) and `report` (tables, figures,
the generated analysis, results.json, report.html).
"""

from __future__ import annotations

import dataclasses
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.config import bounds, choices, config_to_dict
from jlr.data.augment import FILLS, augment
from jlr.errors import ConfigError, RunFolderError
from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net, layer_shapes, n_params
from jlr.nn.losses import softmax_cross_entropy
from jlr.nn.regularization import l2_penalty
from jlr.optim import adamw
from jlr.optim.schedules import cosine_decay
from jlr.projects import cnn
from jlr.projects.vision_ablation.report import write_ablation_report
from jlr.train import fit, keep_last_good, make_train_step
from jlr.train.checkpoint import load_checkpoint, save_checkpoint
from jlr.train.run_folder import CHECKPOINT, CONFIG, read_metrics, write_json
from jlr.train.state import TrainState
from jlr.train.step import gather_rows

DESCRIPTION = "one-factor ablations of a CNN (norms, dropout, decay, depth, augmentation)"
DATASETS = ("mnist1d", "digits", "mnist", "cifar10")
FLIP_DATA = ("cifar10",)  # data sets whose classes survive a left-right mirror
ABLATIONS = {
    "bn": "batch norm",
    "ln": "layer norm",
    "dropout": "dropout",
    "wd": "AdamW's decoupled weight decay",
    "l2": "an L2 penalty in the loss",
    "depth": "a second conv per block",
    "shift": "random shifts",
    "flip": "random left-right flips",
}
DEFAULT_ABLATIONS = ("bn", "ln", "dropout", "wd", "l2", "depth", "shift")


def _check_ablations(ablations: tuple[str, ...], data: str) -> None:
    for name in ablations:
        if name not in ABLATIONS:
            raise ConfigError(
                f"ablations: unknown ablation {name!r}; choose from: {', '.join(ABLATIONS)}"
            )
    if len(set(ablations)) != len(ablations):
        raise ConfigError(f"ablations={','.join(ablations)} repeats a name; list each once")
    if "flip" in ablations and data not in FLIP_DATA:
        raise ConfigError(
            f"ablations: flip is not offered for data={data}: a mirrored digit (or MNIST-1D "
            "signal) is no longer its class, so flips would teach a false invariance; "
            f"use flip with data={' or '.join(FLIP_DATA)}"
        )


@dataclass(frozen=True)
class Config:
    """None means the data set's default, from DATASET_DEFAULTS."""

    data: str = field(default="mnist1d", metadata=choices(*DATASETS))
    data_dir: str = ""  # mnist / cifar10 files; "" searches the default folders
    test_fraction: float = field(default=0.2, metadata=bounds(0.05, 0.5))
    ablations: tuple[str, ...] = DEFAULT_ABLATIONS
    seed: int = field(default=0, metadata=bounds(0, 1_000_000))
    n_seeds: int = field(default=5, metadata=bounds(2, 32))
    alpha: float = field(default=0.05, metadata=bounds(0.0, 0.5, low_open=True))
    # the baseline
    channels: tuple[int, ...] | None = field(default=None, metadata=bounds(1, 1024))
    kernel: int | None = field(default=None, metadata=bounds(1, 15))
    head: str = field(default="auto", metadata=choices("auto", "gap", "flatten"))
    lr: float | None = field(default=None, metadata=bounds(0.0, 10.0, low_open=True))
    batch_size: int | None = field(default=None, metadata=bounds(1, 50_000))
    steps: int | None = field(default=None, metadata=bounds(1, 10_000_000))
    # the ablations' strengths
    drop_prob: float = field(default=0.3, metadata=bounds(0.0, 0.95))
    weight_decay: float = field(default=0.1, metadata=bounds(0.0, 10.0))
    l2: float = field(default=1e-3, metadata=bounds(0.0, 10.0))
    shift: int | None = field(default=None, metadata=bounds(1, 8))
    # the inputs are standardized, so a zero fill is the mean value, not the background
    shift_fill: str = field(default="edge", metadata=choices(*FILLS))
    # bookkeeping (None: steps // 20 and eval_every, one compiled chunk length)
    eval_every: int | None = field(default=None, metadata=bounds(1))
    steps_per_call: int | None = field(default=None, metadata=bounds(1, 10_000))

    def __post_init__(self):
        _check_ablations(self.ablations, self.data)


DATASET_DEFAULTS: dict[str, dict] = {
    "mnist1d": dict(channels=(32, 32, 32), kernel=5, head="flatten", lr=3e-3, batch_size=64,
                    steps=1000, shift=3),
    "digits": dict(channels=(16, 32), kernel=3, head="gap", lr=3e-3, batch_size=32, steps=600,
                   shift=1),
    "mnist": dict(channels=(32, 64), kernel=3, head="gap", lr=2e-3, batch_size=64, steps=1000,
                  shift=2),
    "cifar10": dict(channels=(32, 64, 128), kernel=3, head="gap", lr=2e-3, batch_size=64,
                    steps=2000, shift=2),
}  # fmt: skip

PRESETS = {"demo": {}, "full": {"n_seeds": 10, "steps": 3000}}


def resolve_defaults(config: Config) -> Config:
    """The config with every None / "auto" replaced by the data set's default."""
    defaults = DATASET_DEFAULTS[config.data]
    filled = {k: v for k, v in defaults.items() if getattr(config, k) in (None, "auto")}
    config = dataclasses.replace(config, **filled)
    eval_every = config.eval_every or max(config.steps // 20, 1)
    return dataclasses.replace(
        config, eval_every=eval_every, steps_per_call=config.steps_per_call or eval_every
    )


@dataclass(frozen=True)
class Setting:
    """One trained configuration: the baseline, or the baseline with one ablation applied."""

    name: str
    norm: str = "none"
    drop_prob: float = 0.0
    weight_decay: float = 0.0  # decoupled, AdamW
    l2: float = 0.0  # coefficient of ||theta||^2 / 2 in the loss
    convs_per_block: int = 1
    shift: int = 0
    flip: bool = False


def make_settings(config: Config) -> list[Setting]:
    """[baseline, one Setting per ablation, in config.ablations order]; config resolved."""
    changes = {
        "bn": {"norm": "batch"},
        "ln": {"norm": "layer"},
        "dropout": {"drop_prob": config.drop_prob},
        "wd": {"weight_decay": config.weight_decay},
        "l2": {"l2": config.l2},
        "depth": {"convs_per_block": 2},
        "shift": {"shift": config.shift},
        "flip": {"flip": True},
    }
    return [Setting("baseline")] + [Setting(name, **changes[name]) for name in config.ablations]


def describe(setting: Setting) -> str:
    """The setting's one change, in words, with its strength."""
    return {
        "baseline": "the baseline",
        "bn": "batch norm after every conv",
        "ln": "layer norm after every conv",
        "dropout": f"dropout (drop_prob {setting.drop_prob:g}) before the classifier",
        "wd": f"AdamW's decoupled weight decay ({setting.weight_decay:g})",
        "l2": f"an L2 penalty ({setting.l2:g} ||theta||^2 / 2) in the loss",
        "depth": "a second conv in every block",
        "shift": f"random shifts of up to {setting.shift} positions",
        "flip": "random left-right flips",
    }[setting.name]


def setting_spec(config: Config, setting: Setting, input_shape: tuple[int, ...]) -> ConvNetSpec:
    return ConvNetSpec(
        input_shape=input_shape,
        channels=config.channels,
        convs_per_block=setting.convs_per_block,
        kernel=config.kernel,
        norm=setting.norm,
        pool="max",
        head=config.head,
        drop_prob=setting.drop_prob,
    )


def check_spec(spec: ConvNetSpec) -> None:
    try:
        layer_shapes(spec)
    except ValueError as error:
        raise ConfigError(
            f"channels={spec.channels} with max pooling does not fit a {spec.input_shape} "
            f"input ({error}); use fewer blocks"
        ) from None


# ------------------------------------------------------------------------------ training


def make_loss_fn(spec: ConvNetSpec, setting: Setting, fill: str):
    """One model's loss: (params, model_state, batch, key) -> (loss, (aux, new_model_state)).

    loss = mean cross-entropy on the augmented batch [+ l2 ||theta||^2 / 2]; aux holds the
    cross-entropy alone ("data_loss") and the batch accuracy.
    """

    def loss_fn(params, model_state, batch, key):
        augment_key, dropout_key = jax.random.split(key)
        x = augment(augment_key, batch["x"], max_shift=setting.shift, flip=setting.flip, fill=fill)
        logits, new_state = conv_net(params, model_state, x, spec, train=True, key=dropout_key)
        data_loss = jnp.mean(softmax_cross_entropy(logits, batch["y"]))
        loss = data_loss + setting.l2 * l2_penalty(params) if setting.l2 else data_loss
        accuracy = jnp.mean(jnp.argmax(logits, axis=-1) == batch["y"])
        return loss, ({"accuracy": accuracy, "data_loss": data_loss}, new_state)

    return loss_fn


def make_seeds_train_step(loss_fn, optimizer):
    """`make_train_step(loss_fn, optimizer, has_state=True)` vmapped over seeds, each seed
    with its own minibatch: params, model_state, opt_state, the key (n_seeds,) and every
    batch leaf carry a leading seed axis; the step counter is shared. Metrics are means over
    the seeds; a non-finite step in any seed stops all of them (the loop names the step)."""
    one_step = make_train_step(loss_fn, optimizer, has_state=True)

    def train_step(state: TrainState, batch):
        def one_model(params, model_state, opt_state, key, model_batch):
            new, metrics = one_step(
                TrainState(params, model_state, opt_state, key, state.step), model_batch
            )
            return (new.params, new.model_state, new.opt_state), metrics

        (params, model_state, opt_state), metrics = jax.vmap(one_model)(
            state.params, state.model_state, state.opt_state, state.key, batch
        )
        finite = jnp.all(metrics.pop("finite"))
        stepped = TrainState(params, model_state, opt_state, state.key, state.step + 1)
        stepped = keep_last_good(finite, stepped, state)  # one bad model: none moves
        return stepped, {**{k: jnp.mean(v) for k, v in metrics.items()}, "finite": finite}

    return train_step


def seed_batches(n_seeds: int):
    """batch_from_indices for `fit`: a step's n_seeds * B rows -> leaves (n_seeds, B, ...)."""

    def batch_from_indices(data, rows):
        return gather_rows(data, rows.reshape(n_seeds, -1))  # rows: (n_seeds B,) -> (n_seeds, B)

    return batch_from_indices


def train_setting(
    setting: Setting, config: Config, data, out_dir: Path, *, resume: bool, progress: bool
) -> dict:
    """Train config.n_seeds models of `setting` into out_dir; their per-seed record."""
    spec = setting_spec(config, setting, data.x_train.shape[1:])
    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    # dropout holds no weights: one compiled init serves every setting of an architecture
    weights_spec = dataclasses.replace(spec, drop_prob=0.0)
    params, model_state = cnn.init_models(init_key, weights_spec, config.n_seeds)
    optimizer = adamw(cosine_decay(config.lr, config.steps), weight_decay=setting.weight_decay)
    state = TrainState(
        params,
        model_state,
        jax.vmap(optimizer.init)(params),
        jax.random.split(train_key, config.n_seeds),  # one key per seed: (n_seeds,)
        jnp.zeros((), jnp.int32),
    )
    test_per_seed = cnn.make_evaluate_per_model(spec, data.x_test, data.y_test)

    def evaluate(params, model_state):
        losses, accuracies = test_per_seed(params, model_state)  # (n_seeds,) each
        per_seed = {f"test_loss_seed{i}": v for i, v in enumerate(losses)}
        per_seed |= {f"test_accuracy_seed{i}": v for i, v in enumerate(accuracies)}
        return {"test_loss": jnp.mean(losses), "test_accuracy": jnp.mean(accuracies), **per_seed}

    started = time.perf_counter()
    state = fit(
        state,
        make_seeds_train_step(make_loss_fn(spec, setting, config.shift_fill), optimizer),
        train_data={"x": data.x_train, "y": data.y_train},
        batch_size=config.n_seeds * config.batch_size,
        total_steps=config.steps,
        data_seed=config.seed,
        out_dir=out_dir,
        evaluate=evaluate,
        eval_every=config.eval_every,
        checkpoint_every=config.eval_every * 5,
        steps_per_call=config.steps_per_call,
        resume=resume,
        progress=progress,
        batch_from_indices=seed_batches(config.n_seeds),
    )
    train_per_seed = cnn.make_evaluate_per_model(spec, data.x_train, data.y_train)
    final = {}
    splits = {"test": (test_per_seed, data.y_test), "train": (train_per_seed, data.y_train)}
    for split, (evaluate_split, y) in splits.items():
        losses, accuracies = evaluate_split(state.params, state.model_state)  # (n_seeds,) each
        correct = np.rint(np.asarray(accuracies, np.float64) * len(y))  # exact counts
        final[f"{split}_loss"] = np.asarray(losses, np.float64).tolist()
        final[f"{split}_accuracy"] = (correct / len(y)).tolist()
    return {
        "name": setting.name,
        "description": describe(setting),
        "setting": dataclasses.asdict(setting),
        "n_params": n_params(jax.eval_shape(lambda: init_conv_net(jax.random.key(0), spec))[0]),
        "final": final,  # each (n_seeds,); accuracies are exact fractions correct / n
        "curves": seed_curves(read_metrics(out_dir), config.n_seeds),
        "seconds": time.perf_counter() - started,
    }


def seed_curves(records: list[dict], n_seeds: int) -> dict[str, list]:
    """{"step": [n_evals], "test_loss", "test_accuracy": [n_seeds][n_evals]} from metrics."""
    evaluated = [r for r in records if "test_accuracy_seed0" in r]
    curves = {"step": [r["step"] for r in evaluated]}
    for metric in ("test_loss", "test_accuracy"):
        curves[metric] = [[r[f"{metric}_seed{i}"] for r in evaluated] for i in range(n_seeds)]
    return curves


# ---------------------------------------------------------------------------------- run


def _save_progress(out_dir: Path, config: Config, finished: dict, total_steps: int) -> None:
    """The run folder's checkpoint: no arrays, the config and every finished setting."""
    metadata = {
        "config": config_to_dict(config),
        "finished": finished,
        "step": len(finished) * config.steps,
        "total_steps": total_steps,
    }
    save_checkpoint(out_dir / CHECKPOINT, {}, metadata)


def _load_progress(out_dir: Path, config: Config) -> dict:
    _, metadata = load_checkpoint(out_dir / CHECKPOINT, {})
    if metadata.get("config") != config_to_dict(config):
        raise RunFolderError(
            f"{out_dir} holds an ablation run with other settings; resume it with the same ones"
        )
    return metadata["finished"]


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train the baseline and every ablation over seeds into `out_dir`; write the report."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    given, config = config, resolve_defaults(config)
    settings = make_settings(config)
    data, data_note = cnn.load_data(
        cnn.Config(data=config.data, data_dir=config.data_dir, test_fraction=config.test_fraction)
    )
    if config.n_seeds * config.batch_size > len(data.x_train):
        raise ConfigError(
            f"n_seeds x batch_size = {config.n_seeds * config.batch_size} exceeds the "
            f"{len(data.x_train)} training examples (each seed draws its own batches); "
            "lower n_seeds or batch_size"
        )
    for setting in settings:
        check_spec(setting_spec(config, setting, data.x_train.shape[1:]))
    finished = _load_progress(out_dir, config) if resume else {}  # before anything is written
    write_json(
        out_dir / CONFIG,
        {
            "project": "vision-ablation",
            "config": config_to_dict(given),
            "resolved": config_to_dict(config),
            "data": {"name": config.data, "n_train": len(data.x_train), "n_test": len(data.x_test),
                     "note": data_note},
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )  # fmt: skip
    total_steps = len(settings) * config.steps
    _save_progress(out_dir, config, finished, total_steps)
    started = time.perf_counter()
    for setting in settings:
        if setting.name in finished:
            continue
        setting_dir = out_dir / setting.name
        if progress:
            print(f"{setting.name} ({len(finished) + 1} of {len(settings)}): {describe(setting)}")
        finished[setting.name] = train_setting(
            setting,
            config,
            data,
            setting_dir,
            resume=resume and (setting_dir / CHECKPOINT).is_file(),
            progress=progress,
        )
        _save_progress(out_dir, config, finished, total_steps)
        if progress:
            accuracy = np.mean(finished[setting.name]["final"]["test_accuracy"])
            print(f"{setting.name:>9}: test accuracy {accuracy:.4f} (mean of {config.n_seeds})")
    records = [finished[setting.name] for setting in settings]
    return write_ablation_report(
        out_dir, config, records, data_note, wall_seconds=time.perf_counter() - started
    )
