"""Hyperparameter sweeps as one program: many runs trained at once with `jax.vmap`.

vmap_runs   Task, RunState, make_run_fns (one run), make_sweep (R runs in one jit),
            make_sweep_evaluate, run_grid
optimizers  make_optimizer(name, lr): the study's optimizers with a traceable learning rate
tasks       quadratic, mnist1d-mlp and digits-cnn as Tasks
tiny_cnn    a two-layer CNN for 8x8 digits on lax.conv_general_dilated
"""

from jlr.sweeps.optimizers import OPTIMIZER_NAMES, make_optimizer
from jlr.sweeps.vmap_runs import (
    RunState,
    Sweep,
    Task,
    make_run_fns,
    make_sweep,
    make_sweep_evaluate,
    run_grid,
    scan_steps,
)

__all__ = [
    "OPTIMIZER_NAMES",
    "RunState",
    "Sweep",
    "Task",
    "make_optimizer",
    "make_run_fns",
    "make_sweep",
    "make_sweep_evaluate",
    "run_grid",
    "scan_steps",
]
