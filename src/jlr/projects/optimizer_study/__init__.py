"""Project `optimizer-study`: six optimizers x two schedules x a learning-rate grid x seeds,
on three tasks, ending in an analysis written from the measured numbers.

SGD, heavy-ball momentum, Nesterov, RMSProp, Adam and AdamW (`jlr.optim.make_optimizer`)
train
- a quadratic with a chosen condition number kappa (exact gradients),
- an MLP on MNIST-1D (`mlp_steps` steps: it needs ~20 epochs to train), and
- a small CNN (`jlr.models.cnn`) on scikit-learn's 8x8 digits (minibatch gradients),
each with a constant learning rate and with linear warmup + cosine decay to 0
(`jlr.optim.warmup_cosine_decay`, peak = the grid's rate, warmup = `warmup_fraction` of
the steps). For each (task, optimizer, schedule) the R = n_lrs * n_seeds runs train at
once: one run's step, vmapped over the runs, scanned between evaluations inside one jit
(`jlr.train.sweep`). A run is *diverged* when its loss became NaN/Inf or ended above 10x
its initial value; it is masked out of the statistics and counted in the table, never a
crash. The best learning rate of a sweep is the one with the lowest mean final train loss
among the rates at which no seed diverged (tuning on training loss: the study compares
optimization).

Writes results.json (every curve of every run, and the analysis: its text and the numbers
it is built from), PNG figures and report.html; after each sweep, checkpoint.npz holds the
finished sweeps so `--resume` skips them.

The package: this module (Config, PRESETS, train_sweeps, run), `tasks` (the three tasks
as `jlr.train.Task`s), `analysis` (winners, good learning-rate ranges, divergence, paired
t-tests over seeds, best-of-k tuning budgets), `claims` (published observations checked on
the numbers), `writeup` (the analysis in words) and `report` (figures, report.html).
"""

from __future__ import annotations

import functools
import platform
import time
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.config import bounds, config_to_dict
from jlr.errors import ConfigError, RunFolderError
from jlr.optim.by_name import OPTIMIZER_NAMES, make_optimizer
from jlr.optim.schedules import warmup_cosine_decay
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

DESCRIPTION = "6 optimizers x 2 schedules x lrs x seeds, vmapped, with a generated analysis"
SCHEDULE_NAMES = ("constant", "warmup-cosine")
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
    schedules: tuple[str, ...] = SCHEDULE_NAMES
    warmup_fraction: float = field(default=0.1, metadata=bounds(0.0, 0.9))
    steps: int = field(default=300, metadata=bounds(1, 1_000_000))  # quadratic, digits-cnn
    mlp_steps: int = field(default=3000, metadata=bounds(1, 1_000_000))  # mnist1d-mlp
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
        _check_names("schedules", self.schedules, SCHEDULE_NAMES)
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
        "mlp_steps": 10000,
        "eval_every": 100,
    },
}


def build_task(name: str, config: Config, key: jax.Array) -> Task:
    if name == "quadratic":
        return quadratic_task(key, config.quadratic_dim, config.condition_number)
    if name == "mnist1d-mlp":
        return mnist1d_mlp_task(config.mlp_hidden)
    return digits_cnn_task(config.cnn_channels)


def task_steps(name: str, config: Config) -> int:
    """Optimizer steps of one task's runs: `mlp_steps` for the MLP, `steps` for the others."""
    return config.mlp_steps if name == "mnist1d-mlp" else config.steps


def task_eval_every(name: str, config: Config) -> int:
    """Steps between evaluations: every task is evaluated as often as `steps / eval_every`,
    so the MLP's longer runs are evaluated every eval_every * mlp_steps / steps steps."""
    return max(1, round(config.eval_every * task_steps(name, config) / config.steps))


def sweep_key(task: str, optimizer: str, schedule: str) -> str:
    return f"{task}/{optimizer}/{schedule}"


def optimizer_with_schedule(optimizer: str, schedule: str, n_steps: int, config: Config):
    """lr -> the optimizer, its rate constant or warmup + cosine with peak lr (lr traced).

    warmup-cosine: lr_t rises linearly from 0 to lr over W = int(warmup_fraction n_steps)
    steps, then falls as a half cosine to 0 at step n_steps (`warmup_cosine_decay`).
    """
    build = functools.partial(
        make_optimizer, optimizer, momentum=config.momentum, weight_decay=config.weight_decay
    )
    if schedule == "constant":
        return build
    warmup = int(config.warmup_fraction * n_steps)

    def scheduled(lr: jax.Array):
        return build(warmup_cosine_decay(0.0, lr, warmup, max(n_steps, warmup + 1)))

    return scheduled


def init_seed_params(task: Task, init_key: jax.Array, n_seeds: int):
    """Initial parameters of each seed, stacked: leaves (n_seeds, ...). One compile per task."""
    init = jax.jit(task.init_params)
    per_seed = [init(seed_key) for seed_key in jax.random.split(init_key, n_seeds)]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *per_seed)


def chunk_bounds(steps: int, every: int) -> list[tuple[int, int]]:
    """[(0, every), (every, 2 every), ..., (.., steps)]: the stretches between evaluations."""
    return [(start, min(start + every, steps)) for start in range(0, steps, every)]


def sweep_runs(
    task: Task,
    optimizer: str,
    seed_params,
    seed_rows,
    config: Config,
    evaluate,
    schedule: str = "constant",
):
    """Train the n_lrs * n_seeds runs of one (task, optimizer, schedule) at once; its record.

    seed_params: leaves (n_seeds, ...); seed_rows: (n_seeds, n_steps, batch_size) int32.
    Curves are (n_lrs, n_seeds, n_evals) numpy arrays, evaluated at `record["steps"]`.
    """
    n_lrs, n_seeds, n_steps = len(config.lrs), config.seeds, seed_rows.shape[1]
    lr_index, seed_index = run_grid(n_lrs, n_seeds)  # (R,), (R,)
    lrs = jnp.asarray(config.lrs, jnp.float32)[lr_index]  # (R,)
    sweep = make_sweep(task, optimizer_with_schedule(optimizer, schedule, n_steps, config))
    start = time.perf_counter()
    states = sweep.init(jax.tree.map(lambda leaf: leaf[seed_index], seed_params), lrs)
    chunks = chunk_bounds(n_steps, task_eval_every(task.name, config))
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
        "schedule": schedule,
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


def train_sweeps(config: Config, done: Container[str] = ()) -> Iterator[tuple[str, dict]]:
    """Train every (task, optimizer, schedule) sweep whose key is not in `done`, one at a
    time: yields (key, record). Nothing is written; `run` checkpoints after each one, and a
    lesson can take `dict(train_sweeps(config))` straight to `writeup.write_analysis`."""
    task_key, init_key = jax.random.split(jax.random.key(config.seed))
    for task_name in config.tasks:
        todo = [
            (optimizer, schedule)
            for optimizer in config.optimizers
            for schedule in config.schedules
            if sweep_key(task_name, optimizer, schedule) not in done
        ]
        if not todo:
            continue
        task = build_task(task_name, config, task_key)
        seed_params = init_seed_params(task, init_key, config.seeds)
        n_steps = task_steps(task_name, config)
        seed_rows = np.stack(  # data order of seed s: jlr.data.batch_rows with seed 1000*seed+s
            [
                task_batch_rows(
                    task, n_steps, seed=1000 * config.seed + s, batch_size=config.batch_size
                )
                for s in range(config.seeds)
            ]
        )  # (n_seeds, n_steps, batch_size)
        evaluate = make_sweep_evaluate(task)
        for optimizer, schedule in todo:
            record = sweep_runs(task, optimizer, seed_params, seed_rows, config, evaluate, schedule)
            yield sweep_key(task_name, optimizer, schedule), record


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Run every (task, optimizer, schedule) sweep into `out_dir`; returns summary numbers.

    results.json holds the summary, the analysis ("paragraphs", "claims", "numbers"), the
    table and every curve."""
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
    start = time.perf_counter()
    for key, record in train_sweeps(config, done=set(sweeps)):
        sweeps[key] = record
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
    ordered = {
        sweep_key(t, o, s): sweeps[sweep_key(t, o, s)]
        for t in config.tasks
        for o in config.optimizers
        for s in config.schedules
    }
    return write_study_report(out_dir, config_to_dict(config), ordered, wall_seconds)


def progress_line(record: dict) -> str:
    n_runs = record["diverged"].size
    return (
        f"{record['task']:>12} {record['optimizer']:<9} {record['schedule']:<13} {n_runs} runs, "
        f"{int(record['diverged'].sum())} diverged, compile {record['compile_seconds']:.1f} s, "
        f"train {record['train_seconds']:.1f} s"
    )
