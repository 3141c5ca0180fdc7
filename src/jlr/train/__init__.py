"""The training core: a pure, jitted step; a loop that logs, evaluates and checkpoints.

state = init_train_state(params, optimizer, key)
train_step = make_train_step(loss_fn, optimizer)       # (state, batch) -> (state, metrics)
state = fit(state, train_step, train_data=..., ...)    # progress bar, metrics, checkpoints
sweep = make_sweep(task, optimizer_fn)                 # many runs trained at once (vmap)

The names below load their module on first use (PEP 562), so `jlr.train.run_folder`, which
the CLI reads when Ctrl-C arrives, imports without JAX.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "fit": "loop",
    "TrainState": "state",
    "init_train_state": "state",
    "keep_last_good": "step",
    "make_multi_step": "step",
    "make_train_step": "step",
    "RunState": "sweep",
    "Sweep": "sweep",
    "Task": "sweep",
    "make_run_fns": "sweep",
    "make_sweep": "sweep",
    "make_sweep_evaluate": "sweep",
    "run_grid": "sweep",
    "scan_steps": "sweep",
    "task_batch_rows": "sweep",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'jlr.train' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jlr.train.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
