"""Project `optimizer-study`: six optimizers x a learning-rate grid x seeds, on three tasks.

SGD, heavy-ball momentum, Nesterov, RMSProp, Adam and AdamW (`jlr.optim.make_optimizer`)
train
- a quadratic with a chosen condition number kappa (exact gradients),
- an MLP on MNIST-1D, and
- a small CNN (`jlr.models.cnn`) on scikit-learn's 8x8 digits (minibatch gradients).
For each (task, optimizer) the R = n_lrs * n_seeds runs train at once: one run's step,
vmapped over the runs, scanned over `eval_every` steps inside one jit (`jlr.train.sweep`).
A run is *diverged* when its loss became NaN/Inf or ended above 10x its initial value; it is
masked out of the statistics and counted in the table, never a crash. The best learning
rate of an optimizer is the one with the lowest mean final train loss among the rates at
which no seed diverged (tuning on training loss: the study compares optimization).

Writes results.json (every curve of every run), PNG figures and report.html; after each
sweep, checkpoint.npz holds the finished sweeps so `--resume` skips them.

The package: this module (Config, PRESETS, run), `tasks` (the three tasks as
`jlr.train.Task`s) and `report` (statistics over seeds, figures, report.html).
"""

from __future__ import annotations

import functools
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.config import bounds, config_to_dict
from jlr.errors import ConfigError, RunFolderError
from jlr.optim.by_name import OPTIMIZER_NAMES, make_optimizer
from jlr.projects.optimizer_study.report import (
    sweep_from_json,
    sweep_to_json,
    write_study_report,
)
from jlr.projects.optimizer_study.tasks import (
    TASK_NAMES,
    digits_cnn_task,
    mnist1d_mlp_task,
    quadratic_task,
)
from jlr.train.checkpoint import load_checkpoint, save_checkpoint
from jlr.train.run_folder import CHECKPOINT, CONFIG, write_json
from jlr.train.sweep import Task, make_sweep, make_sweep_evaluate, run_grid, task_batch_rows

DESCRIPTION = "6 optimizers x lrs x seeds, vmapped"
DIVERGED_FACTOR = 10.0  # a final loss above 10x the initial loss counts as diverged


def _check_names(field_name: str, values: tuple[str, ...], valid: tuple[str, ...]) -> None:
    for value in values:
        if value not in valid:
            raise ConfigError(
                f"{field_name}: unknown name {value!r}; choose from: {', '.join(valid)}"
            )
    if len(set(values)) != len(values):
        raise ConfigError(f"{field_name}={','.join(values)} repeats a name; list each once")


@dataclass(frozen=True)
class Config:
    seed: int = field(default=0, metadata=bounds(0, 1_000_000))
    tasks: tuple[str, ...] = TASK_NAMES
    optimizers: tuple[str, ...] = OPTIMIZER_NAMES
    lrs: tuple[float, ...] = field(
        default=(1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0),
        metadata=bounds(0.0, 100.0, low_open=True),
    )
    seeds: int = field(default=3, metadata=bounds(1, 64))
    steps: int = field(default=300, metadata=bounds(1, 1_000_000))
    eval_every: int = field(default=30, metadata=bounds(1, 1_000_000))
    batch_size: int = field(default=32, metadata=bounds(1, 1024))
    momentum: float = field(default=0.9, metadata=bounds(0.0, 0.999))
    weight_decay: float = field(default=1e-2, metadata=bounds(0.0, 1.0))
    condition_number: float = field(default=100.0, metadata=bounds(1.0, 1e8))
    quadratic_dim: int = field(default=20, metadata=bounds(2, 4096))
    mlp_hidden: tuple[int, ...] = field(default=(64, 64), metadata=bounds(1, 4096))
    cnn_channels: tuple[int, ...] = field(default=(8, 16), metadata=bounds(1, 256))

    def __post_init__(self):
        """Checks `validate` cannot express: names drawn from a list, exactly two channels."""
        _check_names("tasks", self.tasks, TASK_NAMES)
        _check_names("optimizers", self.optimizers, OPTIMIZER_NAMES)
        if len(set(self.lrs)) != len(self.lrs):
            raise ConfigError("lrs repeats a learning rate; list each once")
        if len(self.cnn_channels) != 2:
            raise ConfigError(f"cnn_channels={self.cnn_channels!r}: give two sizes, e.g. 8,16")


PRESETS = {
    "demo": {},
    "full": {
        "lrs": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0),
        "seeds": 5,
        "steps": 3000,
        "eval_every": 100,
    },
}


def build_task(name: str, config: Config, key: jax.Array) -> Task:
    if name == "quadratic":
        return quadratic_task(key, config.quadratic_dim, config.condition_number)
    if name == "mnist1d-mlp":
        return mnist1d_mlp_task(config.mlp_hidden)
    return digits_cnn_task(config.cnn_channels)


def init_seed_params(task: Task, init_key: jax.Array, n_seeds: int):
    """Initial parameters of each seed, stacked: leaves (n_seeds, ...). One compile per task."""
    init = jax.jit(task.init_params)
    per_seed = [init(seed_key) for seed_key in jax.random.split(init_key, n_seeds)]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *per_seed)


def chunk_bounds(steps: int, every: int) -> list[tuple[int, int]]:
    """[(0, every), (every, 2 every), ..., (.., steps)]: the stretches between evaluations."""
    return [(start, min(start + every, steps)) for start in range(0, steps, every)]


def sweep_runs(task: Task, optimizer: str, seed_params, seed_rows, config: Config, evaluate):
    """Train the n_lrs * n_seeds runs of one (task, optimizer) at once; the sweep's record.

    seed_params: leaves (n_seeds, ...); seed_rows: (n_seeds, steps, batch_size) int32.
    Curves are (n_lrs, n_seeds, n_evals) numpy arrays, evaluated at `record["steps"]`.
    """
    n_lrs, n_seeds = len(config.lrs), config.seeds
    lr_index, seed_index = run_grid(n_lrs, n_seeds)  # (R,), (R,)
    lrs = jnp.asarray(config.lrs, jnp.float32)[lr_index]  # (R,)
    optimizer_fn = functools.partial(
        make_optimizer, optimizer, momentum=config.momentum, weight_decay=config.weight_decay
    )
    sweep = make_sweep(task, optimizer_fn)
    start = time.perf_counter()
    states = sweep.init(jax.tree.map(lambda leaf: leaf[seed_index], seed_params), lrs)
    chunks = chunk_bounds(config.steps, config.eval_every)
    run_rows = [
        jnp.asarray(seed_rows[np.asarray(seed_index), a:b].swapaxes(0, 1)) for a, b in chunks
    ]
    compiled = {}  # chunk length -> compiled train function (ahead of time, to time compiling)
    for rows in run_rows:  # rows: (chunk, R, batch_size)
        if rows.shape[0] not in compiled:
            compiled[rows.shape[0]] = sweep.train.lower(states, lrs, rows, task.data).compile()
    compile_seconds = time.perf_counter() - start
    metrics = [evaluate(states.params, task.data)]
    for rows in run_rows:
        states, _losses = compiled[rows.shape[0]](states, lrs, rows, task.data)
        metrics.append(evaluate(states.params, task.data))
    curves = {
        name: np.stack([np.asarray(m[name]) for m in metrics], axis=-1).reshape(n_lrs, n_seeds, -1)
        for name in metrics[0]
    }  # each (n_lrs, n_seeds, n_evals)
    flags = np.asarray(states.diverged).reshape(n_lrs, n_seeds)
    return {
        "task": task.name,
        "optimizer": optimizer,
        "lrs": list(config.lrs),
        "steps": [0, *(b for _, b in chunks)],
        "curves": curves,
        "diverged": diverged_runs(flags, curves["train_loss"]),
        "compile_seconds": compile_seconds,
        "train_seconds": time.perf_counter() - start - compile_seconds,
    }


def diverged_runs(flags: np.ndarray, train_loss: np.ndarray) -> np.ndarray:
    """(n_lrs, n_seeds) bool: a NaN/Inf minibatch loss (`flags`), a non-finite evaluated
    loss, or a final loss above DIVERGED_FACTOR times the initial one.  train_loss:
    (n_lrs, n_seeds, n_evals). The comparison is written so that NaN counts as diverged."""
    blew_up = ~(train_loss[..., -1] <= DIVERGED_FACTOR * train_loss[..., 0])
    return flags | ~np.all(np.isfinite(train_loss), axis=-1) | blew_up


def load_finished_sweeps(out_dir: Path, config: Config) -> dict[str, dict]:
    """The sweeps a previous run of the same config finished (from checkpoint.npz)."""
    _, metadata = load_checkpoint(out_dir / CHECKPOINT, {})
    if metadata.get("config") != config_to_dict(config):
        raise RunFolderError(
            f"{out_dir} holds a study with another config; resume it with the same settings"
        )
    return {key: sweep_from_json(sweep) for key, sweep in metadata["sweeps"].items()}


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Run every (task, optimizer) sweep into `out_dir`; returns summary numbers."""
    out_dir = Path(out_dir)
    write_json(
        out_dir / CONFIG,
        {
            "project": "optimizer-study",
            "config": config_to_dict(config),
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    sweeps = load_finished_sweeps(out_dir, config) if resume else {}
    task_key, init_key = jax.random.split(jax.random.key(config.seed))
    start = time.perf_counter()
    for task_name in config.tasks:
        todo = [name for name in config.optimizers if f"{task_name}/{name}" not in sweeps]
        if not todo:
            continue
        task = build_task(task_name, config, task_key)
        seed_params = init_seed_params(task, init_key, config.seeds)
        seed_rows = np.stack(  # data order of seed s: jlr.data.batch_rows with seed 1000*seed+s
            [
                task_batch_rows(
                    task, config.steps, seed=1000 * config.seed + s, batch_size=config.batch_size
                )
                for s in range(config.seeds)
            ]
        )  # (n_seeds, steps, batch_size)
        evaluate = make_sweep_evaluate(task)
        for optimizer in todo:
            record = sweep_runs(task, optimizer, seed_params, seed_rows, config, evaluate)
            sweeps[f"{task_name}/{optimizer}"] = record
            save_checkpoint(
                out_dir / CHECKPOINT,
                {},
                {
                    "config": config_to_dict(config),
                    "sweeps": {key: sweep_to_json(s) for key, s in sweeps.items()},
                },
            )
            if progress:
                print(progress_line(record), flush=True)
    wall_seconds = time.perf_counter() - start
    ordered = {f"{t}/{o}": sweeps[f"{t}/{o}"] for t in config.tasks for o in config.optimizers}
    return write_study_report(out_dir, config_to_dict(config), ordered, wall_seconds)


def progress_line(record: dict) -> str:
    n_runs = record["diverged"].size
    return (
        f"{record['task']:>12} {record['optimizer']:<9} {n_runs} runs, "
        f"{int(record['diverged'].sum())} diverged, compile {record['compile_seconds']:.1f} s, "
        f"train {record['train_seconds']:.1f} s"
    )
