"""Project `loss-landscape`: the figures of the loss-landscape literature on a CPU in minutes.

    jlr run loss-landscape [--preset demo|full] [--set model=mlp|cnn data=mnist1d|digits ...]
                           [--set from_run=DIR]

On the full-batch training loss L(theta) of a fixed subset of `n_examples` examples:

1. 1-D linear interpolation init -> solution and solution -> solution of another seed: the
   barrier heights (Goodfellow et al. 2015; Frankle et al. 2020: mode connectivity);
2. the 2-D surface around the solution along two filter-normalized directions (Li et al.
   2018), a grid x grid square evaluated by `vmap` over chunks (`jlr.landscape.surface_2d`):
   a contour plot and a 3-D surface;
3. the training trajectory in its top-2 PCA plane, drawn over the loss in that plane;
4. the Hessian spectrum: top-k eigenvalues by Lanczos, tr(H) by Hutchinson, the density by
   stochastic Lanczos quadrature; with at most EXACT_HESSIAN_LIMIT parameters also the exact
   eigenvalues (eigvalsh of the full Hessian) beside each estimate;
5. the edge of stability (Cohen et al. 2021): full-batch GD on a tanh MLP with a squared
   loss at each step size in eos_lrs; the sharpness rises to 2 / lr and hovers there. The run
   asserts that the mean sharpness over the last third of the measurements lies in
   EOS_BAND x 2 / lr (seeds 0..4 of the demo: 0.95 to 1.02) and fails with exit code 1 if not;
6. a deep MLP trained plain, with residual connections, with batch norm, and with a large
   batch: a 1-D filter-normalized slice, sharpness and trace of each.

The run folder: config.json, checkpoint.npz (the solution, in the `.params...` layout of the
other projects), landscape.npz (every grid, path and spectrum), results.json (the numbers),
report.html (every figure). `from_run=DIR` takes the solution from another run's checkpoint
(`cnn`, `digits-mlp` or this project) instead of training it: set model/data/hidden/channels
to that run's; the init of path 1 is then a fresh one and there is no trajectory (3).
`--resume` starts the run again (it is minutes long and deterministic).

Demo (MLP 40-32-32-10 on 1000 MNIST-1D examples, 51 x 51 grids): about 2 minutes on an idle
2-core CPU. `full` (4000 examples, a 64-64 MLP, 101 x 101 grids, longer training) is sized for
a GPU or a patient CPU.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np

from jlr.config import bounds, choices, config_to_dict
from jlr.errors import ConfigError, UserError
from jlr.projects.loss_landscape.analyses import (
    EOS_BAND,
    EXACT_HESSIAN_LIMIT,
    comparisons,
    edge_of_stability,
    interpolation,
    spectrum,
    surface,
    trajectory_surface,
)
from jlr.projects.loss_landscape.models import (
    load_data,
    load_params_from_run,
    make_loss,
    make_net,
    read_source_project,
    train,
)
from jlr.projects.loss_landscape.report import write_outputs
from jlr.train.checkpoint import save_checkpoint
from jlr.train.run_folder import CHECKPOINT, CONFIG, write_json
from jlr.train.state import TrainState

DESCRIPTION = "loss landscapes: interpolation, 2-D surfaces, Hessian spectrum, edge of stability"
MAX_GRID = 401  # grid points per axis: 401^2 = 160,801 loss evaluations


@dataclass(frozen=True)
class Config:
    model: str = field(default="mlp", metadata=choices("mlp", "cnn"))
    data: str = field(default="mnist1d", metadata=choices("mnist1d", "digits"))
    seed: int = field(default=0, metadata=bounds(0))
    n_examples: int = field(default=1000, metadata=bounds(16, 4000))
    hidden: tuple[int, ...] = field(default=(32, 32), metadata=bounds(1, 4096))  # mlp
    channels: tuple[int, ...] = field(default=(8, 16), metadata=bounds(1, 512))  # cnn
    residual: bool = False  # mlp: h <- h + relu(h W + b) where the width is kept
    batch_norm: bool = False
    lr: float = field(default=0.05, metadata=bounds(0.0, 10.0, low_open=True))
    momentum: float = field(default=0.9, metadata=bounds(0.0, 0.999))
    batch_size: int = field(default=32, metadata=bounds(1, 4000))
    steps: int = field(default=1500, metadata=bounds(1, 1_000_000))
    snapshot_every: int = field(default=50, metadata=bounds(1))  # trajectory: params every k
    grid: int = field(default=51, metadata=bounds(3, MAX_GRID))  # 2-D grids: grid x grid
    extent: float = field(default=1.0, metadata=bounds(0.0, 100.0, low_open=True))
    chunk_size: int = field(default=32, metadata=bounds(1, 1_000_000))  # grid points per vmap
    n_alphas: int = field(default=41, metadata=bounds(3, MAX_GRID))  # points of a 1-D path
    top_k: int = field(default=10, metadata=bounds(1, 100))
    lanczos_iters: int = field(default=80, metadata=bounds(2, 2000))
    slq_probes: int = field(default=8, metadata=bounds(1, 256))
    slq_iters: int = field(default=80, metadata=bounds(2, 2000))
    trace_probes: int = field(default=64, metadata=bounds(2, 10_000))
    eos_lrs: tuple[float, ...] = field(
        default=(0.3, 0.4), metadata=bounds(0.0, 10.0, low_open=True)
    )
    eos_steps: int = field(default=3000, metadata=bounds(1, 1_000_000))
    eos_every: int = field(default=20, metadata=bounds(1))
    eos_examples: int = field(default=1000, metadata=bounds(16, 4000))
    eos_hidden: tuple[int, ...] = field(default=(32, 32), metadata=bounds(1, 4096))
    eos_assert: bool = True  # fail (exit 1) when a plateau is outside EOS_BAND x 2 / lr
    compare: bool = True
    compare_depth: int = field(default=6, metadata=bounds(1, 64))
    compare_width: int = field(default=32, metadata=bounds(1, 4096))
    compare_lr: float = field(default=0.01, metadata=bounds(0.0, 10.0, low_open=True))
    compare_steps: int = field(default=2000, metadata=bounds(1, 1_000_000))
    large_batch: int = field(default=1000, metadata=bounds(1, 4000))
    from_run: str = ""  # a run folder whose checkpoint is the solution (no training here)


PRESETS = {
    "demo": {},
    "full": {
        "n_examples": 4000, "hidden": (64, 64), "steps": 6000, "snapshot_every": 100,
        "grid": 101, "n_alphas": 81, "lanczos_iters": 150, "slq_probes": 16,
        "slq_iters": 150, "trace_probes": 200, "eos_steps": 6000, "eos_examples": 2000,
        "compare_depth": 10, "compare_steps": 4000, "large_batch": 4000,
    },
}  # fmt: skip


class EdgeOfStabilityMissed(UserError):
    """A plateau outside EOS_BAND x 2 / lr; the report is written first. Exit code 1."""

    exit_code = 1


def check_config(config: Config) -> None:
    """What the field bounds cannot say; one-line ConfigError."""
    if config.steps % config.snapshot_every:
        raise ConfigError(
            f"steps={config.steps} is not a multiple of snapshot_every={config.snapshot_every}; "
            "make it one"
        )
    if config.eos_steps % config.eos_every:
        raise ConfigError(
            f"eos_steps={config.eos_steps} is not a multiple of eos_every={config.eos_every}; "
            "make it one"
        )
    if config.model == "cnn" and config.residual:
        raise ConfigError("residual=true applies to model=mlp only; the cnn has no residual form")


def train_solutions(config: Config, net, data, keys) -> dict:
    """Solution A (with its trajectory) and solution B of another seed; A from from_run."""
    params_a, state = net.init(keys["init_a"])
    params_b, _ = net.init(keys["init_b"])
    loaded = load_params_from_run(config.from_run, params_a) if config.from_run else None
    hyper = dict(
        lr=config.lr,
        momentum=config.momentum,
        batch_size=config.batch_size,
        steps=config.steps,
        every=config.snapshot_every,
    )
    trained_b = train(net, params_b, state, data, seed=config.seed + 1, **hyper)
    solutions = {"init": params_a, "b": trained_b.params, "state": state}
    if loaded is not None:
        return {**solutions, "a": loaded, "snapshots": None, "losses": None, "opt_state": None}
    trained_a = train(net, params_a, state, data, seed=config.seed, **hyper)
    return {
        **solutions,
        "a": trained_a.params,
        "snapshots": trained_a.snapshots,
        "losses": np.asarray(trained_a.losses),
        "opt_state": trained_a.opt_state,
    }


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Measure every landscape of the config into out_dir; returns the results summary.

    resume is accepted for the CLI's sake: the run starts again (minutes, deterministic).
    """
    del resume
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_config(config)
    source = read_source_project(Path(config.from_run).expanduser()) if config.from_run else ""
    raw_digits = source == "digits-mlp"  # that project trains on [0, 1] pixels, unstandardized
    if raw_digits and config.data != "digits":
        raise ConfigError(f"from_run={config.from_run} is a digits-mlp run; add data=digits")
    n_loaded = max(config.n_examples, config.eos_examples)
    loaded = load_data(config.data, n_loaded, config.model, standardize=not raw_digits)
    data = loaded.first(config.n_examples)
    write_json(
        out_dir / CONFIG,
        {
            "project": "loss-landscape",
            "config": config_to_dict(config),
            "data": {"name": config.data, "n_examples": len(data.y), "note": data.note},
            "from_run_project": source,
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    root = jax.random.key(config.seed)
    names = ["init_a", "init_b", "surface", "spectrum", "eos", "compare", "checkpoint"]
    keys = dict(zip(names, jax.random.split(root, len(names)), strict=True))
    net = make_net(config, tuple(data.x.shape[1:]))
    timings, say = {}, (print if progress else lambda *_: None)

    def timed(name, fn, *args, **kwargs):
        say(f"loss-landscape: {name} ...")
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        timings[name] = time.perf_counter() - start
        return value

    solutions = timed("training", train_solutions, config, net, data, keys)
    state = solutions["state"]  # batch norm's running averages: unused (batch statistics)
    loss = make_loss(net, state, data)
    if solutions["opt_state"] is not None:  # this run's solution, for a later from_run
        checkpoint = TrainState(
            solutions["a"],
            state,
            solutions["opt_state"],
            keys["checkpoint"],
            np.int32(config.steps),
        )
        meta = {"step": config.steps, "total_steps": config.steps, "data_seed": config.seed}
        save_checkpoint(out_dir / CHECKPOINT, checkpoint, meta)
    results = {
        "interpolation": timed(
            "interpolation",
            interpolation,
            loss,
            solutions["init"],
            solutions["a"],
            solutions["b"],
            config.n_alphas,
        ),
        "surface": timed(
            "2-D surface",
            surface,
            keys["surface"],
            loss,
            solutions["a"],
            config.grid,
            config.extent,
            config.chunk_size,
        ),
        "trajectory": None
        if solutions["snapshots"] is None
        else timed(
            "trajectory",
            trajectory_surface,
            loss,
            solutions["a"],
            solutions["snapshots"],
            config.grid,
            config.chunk_size,
        ),
        "spectrum": timed(
            "Hessian spectrum",
            spectrum,
            keys["spectrum"],
            loss,
            solutions["a"],
            k=config.top_k,
            lanczos_iters=config.lanczos_iters,
            slq_probes=config.slq_probes,
            slq_iters=config.slq_iters,
            trace_probes=config.trace_probes,
        ),
        "eos": timed(
            "edge of stability",
            edge_of_stability,
            keys["eos"],
            loaded,
            hidden=config.eos_hidden,
            lrs=config.eos_lrs,
            steps=config.eos_steps,
            every=config.eos_every,
            n_examples=config.eos_examples,
        ),
        "comparisons": timed("comparisons", comparisons, keys["compare"], config, data)
        if config.compare
        else None,
        "train_losses": solutions["losses"],
        "final_loss": float(loss(solutions["a"])),
    }
    summary = write_outputs(out_dir, config, results, timings, data.note)
    missed = [lr for lr, eos in results["eos"].items() if not eos["within_band"]]
    if config.eos_assert and missed:
        ratios = ", ".join(f"lr={lr}: {results['eos'][lr]['ratio']:.3f}" for lr in missed)
        raise EdgeOfStabilityMissed(
            f"edge of stability not reached: plateau sharpness / (2/lr) is {ratios}, outside "
            f"[{EOS_BAND[0]}, {EOS_BAND[1]}] (report written to {out_dir}); raise eos_steps or "
            "the step sizes, or set eos_assert=false"
        )
    return summary


__all__ = [
    "DESCRIPTION",
    "EOS_BAND",
    "EXACT_HESSIAN_LIMIT",
    "MAX_GRID",
    "PRESETS",
    "Config",
    "comparisons",
    "edge_of_stability",
    "interpolation",
    "run",
    "spectrum",
    "surface",
    "trajectory_surface",
]
