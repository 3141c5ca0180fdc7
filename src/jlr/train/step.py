"""The train step, a pure function `(state, batch) -> (state, metrics)`, and a scan of them.

On a CPU a small model's step takes microseconds of arithmetic but tens of microseconds of
Python dispatch. `make_multi_step` runs `n` steps per call with `lax.scan`, gathering each
batch on the device from the dataset and a `(n, batch)` array of indices, so dispatch is
paid once per `n` steps. A non-finite loss, gradient or model state freezes the state at the
last good step and the metrics say which step went bad.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, apply_updates
from jlr.train.state import TrainState

LossFn = Callable[[Any, Any, jax.Array], tuple[jax.Array, dict[str, jax.Array]]]
StatefulLossFn = Callable[
    [Any, Any, Any, jax.Array], tuple[jax.Array, tuple[dict[str, jax.Array], Any]]
]


def all_finite(tree: Any) -> jax.Array:
    """True when every element of every leaf is finite."""
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _fields(state: TrainState) -> tuple:
    """What a step may change: (params, model_state, opt_state, step), all but the key."""
    return state.params, state.model_state, state.opt_state, state.step


def _with_key(fields: tuple, key: jax.Array) -> TrainState:
    params, model_state, opt_state, step = fields
    return TrainState(params, model_state, opt_state, key, step)


def keep_last_good(finite: jax.Array, stepped: TrainState, state: TrainState) -> TrainState:
    """stepped where finite, else state: a select over all but the PRNG key (which a step never
    changes). For train steps that compute their update before they know whether it is good,
    e.g. `make_train_step`'s step vmapped over seeds, so that they return the state they were
    given for a step they report non-finite, as `make_multi_step` requires."""
    fields = jax.tree.map(
        lambda new, old: jnp.where(finite, new, old), _fields(stepped), _fields(state)
    )
    return _with_key(fields, state.key)


def _pass_model_state_through(loss_fn: LossFn) -> StatefulLossFn:
    """loss_fn(params, batch, key) -> (loss, aux) in the stateful form; model_state unchanged."""

    def stateful_loss_fn(params, model_state, batch, key):
        loss, aux = loss_fn(params, batch, key)
        return loss, (aux, model_state)

    return stateful_loss_fn


def make_train_step(
    loss_fn: LossFn | StatefulLossFn, optimizer: GradientTransformation, *, has_state: bool = False
):
    """One optimizer step from a loss function; the gradient is taken w.r.t. params only.

    has_state=False:  loss_fn(params, batch, key) -> (loss, aux metrics);
                      state.model_state passes through unchanged.
    has_state=True:   loss_fn(params, model_state, batch, key) -> (loss, (aux, new_model_state));
                      new_model_state (e.g. updated running statistics) replaces model_state.

    A step whose loss, gradient norm or new model state is not all finite changes nothing:
    params, model_state, opt_state and step stay the last good ones. (The norm is finite
    exactly when every gradient is, unless its square overflows float32, a gradient above
    about 1e19, which counts as a blow-up too.) The returned step
    `(state, batch) -> (state, metrics)` is pure and not yet jitted; `jax.jit` it, or scan
    it with `make_multi_step`. metrics: {"loss", **aux, "grad_norm", "finite"}.
    """
    stateful_loss_fn = loss_fn if has_state else _pass_model_state_through(loss_fn)

    def train_step(state: TrainState, batch: Any) -> tuple[TrainState, dict[str, jax.Array]]:
        step_key = jax.random.fold_in(state.key, state.step)
        (loss, (aux, model_state)), grads = jax.value_and_grad(stateful_loss_fn, has_aux=True)(
            state.params, state.model_state, batch, step_key
        )
        grad_norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grads)))
        finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm) & all_finite(model_state)

        def update(fields):
            params, _, opt_state, step = fields
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return apply_updates(params, updates), model_state, opt_state, step + 1

        # A branch, not a select between the stepped and the old state: on one device only
        # the branch taken runs, and the update's arithmetic fuses as it would unguarded
        # (the select's extra passes over params and optimizer state cost the digits MLP
        # about 5-10% of its step; benchmarks/bench_train_loop.py). Under vmap it becomes
        # a select. The PRNG key stays out of it: it never changes, so it is passed through.
        fields = jax.lax.cond(finite, update, lambda fields: fields, _fields(state))
        new_state = _with_key(fields, state.key)
        metrics = {"loss": loss, **aux, "grad_norm": grad_norm, "finite": finite}
        return new_state, metrics

    return train_step


def _skipped_metrics(metrics_shape: dict[str, jax.ShapeDtypeStruct]) -> dict[str, jax.Array]:
    """What a skipped step reports: NaN for float metrics, False for flags, 0 for counts."""

    def fill(leaf):
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            return jnp.full(leaf.shape, jnp.nan, leaf.dtype)
        return jnp.zeros(leaf.shape, leaf.dtype)

    return jax.tree.map(fill, metrics_shape)


def gather_rows(data: Any, indices: jax.Array) -> Any:
    """The batch of rows `indices` from every array of the dataset pytree."""
    return jax.tree.map(lambda array: array[indices], data)


def make_multi_step(train_step, batch_from_indices=gather_rows):
    """(state, data, indices (n, batch)) -> (state, metrics stacked over n steps).

    After the first non-finite step every later step is skipped too, so the returned state
    is the last good one and `metrics["finite"]` locates the bad step. train_step must return
    the state it was given for a step whose metrics["finite"] is False, as `make_train_step`'s
    steps do; wrap the result of any other step in `keep_last_good`.
    """

    def multi_step(state: TrainState, data: Any, indices: jax.Array):
        def body(carry, step_indices):
            state, healthy = carry
            batch = batch_from_indices(data, step_indices)

            def run(fields):
                new_state, metrics = train_step(_with_key(fields, state.key), batch)
                return _fields(new_state), metrics

            def skip(fields):
                return fields, _skipped_metrics(jax.eval_shape(run, fields)[1])

            fields, metrics = jax.lax.cond(healthy, run, skip, _fields(state))
            state = _with_key(fields, state.key)
            healthy = healthy & metrics["finite"]
            return (state, healthy), {**metrics, "finite": healthy}

        (state, _healthy), metrics = jax.lax.scan(body, (state, jnp.array(True)), indices)
        return state, metrics

    return multi_step
