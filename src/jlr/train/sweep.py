"""Many training runs at once: one run's step, written for one run, batched with `jax.vmap`.

A hyperparameter sweep trains R = n_lrs * n_seeds independent runs of the same model. The
way a learner first writes it is a Python loop over runs around a jitted step: R * T
dispatches of a small computation. Here the run is the unit we write (`run_step`: one
run, one learning rate `lr`, one step), and the sweep is

    sweep_step = vmap(run_step, in_axes=(0, 0, 0, None))   # states, lrs, batch rows: (R, ...)

scanned over steps inside ONE jit. Parameters and optimizer states carry a leading run
axis (R, ...); the data is shared (in_axes None) and each run reads its own minibatch rows.
Since the learning rate is an argument, the optimizer is built inside the step from the
traced `lr` (see `jlr.optim.by_name`).

A run whose loss becomes NaN or Inf keeps computing NaN in its own lane without touching
the others (vmap lanes are independent); its `diverged` flag records it, and the report
masks it out instead of crashing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jlr.data.batches import batch_rows
from jlr.optim.base import GradientTransformation, apply_updates

PyTree = Any
OptimizerFn = Callable[[jax.Array], GradientTransformation]  # lr -> optimizer


class Task(NamedTuple):
    """A training problem as pure functions; its arrays live in `data`, passed explicitly.

    init_params(key) -> params
    loss(params, batch) -> ()                  the training objective on one minibatch
    batch(data, rows) -> batch                 rows: (batch_size,) int indices into the train set
    evaluate(params, data) -> {name: ()}       "train_loss" and any test metrics
    n_train: train-set size to draw rows from; 0 for a full-batch task (rows are ignored)
    """

    name: str
    data: PyTree
    init_params: Callable
    loss: Callable
    batch: Callable
    evaluate: Callable
    n_train: int


class RunState(NamedTuple):
    params: PyTree
    opt_state: PyTree
    diverged: jax.Array  # bool, shape (): a non-finite loss has been seen


def make_run_fns(task: Task, optimizer_fn: OptimizerFn) -> tuple[Callable, Callable]:
    """(init_run, run_step) for ONE run; neither is jitted or batched.

    init_run(params, lr) -> RunState
    run_step(state, lr, rows, data) -> (state, loss)      lr: (); rows: (batch_size,)
    """

    def init_run(params: PyTree, lr: jax.Array) -> RunState:
        return RunState(params, optimizer_fn(lr).init(params), jnp.array(False))

    def run_step(state: RunState, lr: jax.Array, rows: jax.Array, data: PyTree):
        loss, grads = jax.value_and_grad(task.loss)(state.params, task.batch(data, rows))
        updates, opt_state = optimizer_fn(lr).update(grads, state.opt_state, state.params)
        params = apply_updates(state.params, updates)
        return RunState(params, opt_state, state.diverged | ~jnp.isfinite(loss)), loss

    return init_run, run_step


def scan_steps(run_step: Callable) -> Callable:
    """(state, lr, rows (T, ...), data) -> (state, losses (T, ...)): T steps in one lax.scan."""

    def many_steps(state, lr, rows, data):
        def body(state, step_rows):
            return run_step(state, lr, step_rows, data)

        return jax.lax.scan(body, state, rows)

    return many_steps


class Sweep(NamedTuple):
    """Jitted functions over a stack of R runs (leading axis R on every state leaf).

    init(params (R, ...), lrs (R,)) -> states
    train(states, lrs (R,), rows (T, R, batch_size), data) -> (states, losses (T, R))
    """

    init: Callable
    train: Callable


def make_sweep(task: Task, optimizer_fn: OptimizerFn) -> Sweep:
    init_run, run_step = make_run_fns(task, optimizer_fn)
    sweep_step = jax.vmap(run_step, in_axes=(0, 0, 0, None))  # data shared by all runs
    return Sweep(init=jax.jit(jax.vmap(init_run)), train=jax.jit(scan_steps(sweep_step)))


def make_sweep_evaluate(task: Task) -> Callable:
    """jit(vmap(task.evaluate)): (params (R, ...), data) -> {name: (R,)}; one per task."""
    return jax.jit(jax.vmap(task.evaluate, in_axes=(0, None)))


def run_grid(n_lrs: int, n_seeds: int) -> tuple[jax.Array, jax.Array]:
    """The (lr, seed) grid flattened to R = n_lrs * n_seeds runs, lr-major.

    Run r is (lr index r // n_seeds, seed index r % n_seeds). Seed s has the same initial
    parameters and minibatches under every learning rate (common random numbers), so the
    learning-rate curves compare runs that differ only in the rate.
    Returns (lr_index (R,), seed_index (R,)).
    """
    runs = jnp.arange(n_lrs * n_seeds)
    return runs // n_seeds, runs % n_seeds


def task_batch_rows(task: Task, n_steps: int, *, seed: int, batch_size: int) -> np.ndarray:
    """One run's minibatch rows for steps 0..n_steps-1: (n_steps, batch_size) int32.

    `jlr.data.batch_rows` over the task's n_train examples (the one generator of rows, so a
    sweep sees the data order the training loop would); (n_steps, 0) for a full-batch task
    (n_train == 0), whose `batch` ignores the rows.
    """
    if task.n_train == 0:
        return np.zeros((n_steps, 0), np.int32)
    return batch_rows(0, n_steps, seed=seed, n=task.n_train, batch_size=batch_size)
