"""Exercises for lesson 05, JAX core concepts. Fill in each function, then run

    jlr check 05

Each function is graded on random inputs against an independent answer (numpy, finite
differences, `jax.jacfwd`, a Python loop). Where a docstring names a tool (`.at`,
`jax.jvp`, `jax.custom_vjp`, `lax.pmean`), use it: it is the point of the exercise.
"""

import jax
import jax.numpy as jnp


def running_mean_update(state, x):
    """One step of a running mean, as a PURE function: return a new state, change nothing.

    state = (count, mean) with count: () int, mean: () float; x: () -> (count + 1, new_mean)
    with new_mean = mean + (x - mean) / (count + 1). It must also work inside lax.scan.
    """
    raise NotImplementedError


def dropout_masks(key, n_layers, shape, keep_prob):
    """Independent Bernoulli(keep_prob) keep-masks, one per layer: (n_layers, *shape) bool.

    Use each key exactly once (jax.random.split), so no two layers share a mask, and the
    same key gives the same masks. The check runs it under jax.debug_key_reuse(True),
    JAX's checker, which raises when a key is consumed twice.
    """
    raise NotImplementedError


def histogram(indices, n_bins):
    """Counts of each value in indices, with `.at[...].add`: no Python loop, and no
    jnp.bincount / jnp.histogram / jnp.unique (or numpy's), which count for you.

    indices: (n,) int in [0, n_bins) -> (n_bins,) int. Must work under jit with n_bins static.
    """
    raise NotImplementedError


def gather_or_nan(x, indices):
    """x[indices], but NaN where an index is out of bounds (JAX clamps by default).

    x: (n,), indices: (k,) int >= 0 -> (k,). Hint: x.at[indices].get(mode=..., fill_value=...).
    """
    raise NotImplementedError


def mse_value_and_grad(params, x, y):
    """(loss, grads) of loss = mean((x @ w + b - y)^2) w.r.t. params = {"w": (d,), "b": ()}.

    x: (n, d), y: (n,). Use jax.value_and_grad, which gives both from one forward pass (not
    jax.grad beside a second call of the loss); grads has the structure of params.
    """
    raise NotImplementedError


def softplus(x):
    """log(1 + e^x), finite for every finite x, with a custom backward pass (jax.custom_vjp)
    that returns g * sigmoid(x).  x: (...) -> (...).

    Hint: log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}); decorate with @jax.custom_vjp and
    register (forward, backward) with softplus.defvjp.
    """
    raise NotImplementedError


def jacobian_columns(f, x):
    """The Jacobian of f: R^n -> R^m at x, column by column with jax.jvp (forward mode).

    Column i is the jvp along the basis vector e_i; batch the n jvps with jax.vmap (no
    Python loop). Not jax.jacfwd / jax.jacrev / jax.jacobian, nor jax.vjp (reverse mode).
    x: (n,) -> (m, n).
    """
    raise NotImplementedError


def static_power(x, n):
    """x**n by multiplying n times in a Python loop, compiled with jax.jit and n STATIC.

    Replace this function by a jitted one, e.g.
        @functools.partial(jax.jit, static_argnums=1)
    so each n compiles its own program with n multiplications.  x: (...) -> (...).
    """
    raise NotImplementedError


def per_example_grads(loss, params, x, y):
    """One gradient per example: loss(params, x_i, y_i) differentiated for every i.

    Use jax.vmap(jax.grad(loss), in_axes=...), not a Python loop over examples.
    x: (n, d), y: (n,) -> params-shaped pytree whose leaves have a leading (n,) axis.
    """
    raise NotImplementedError


def data_parallel_sgd_step(loss, params, x_shard, y_shard, lr):
    """One SGD step of data-parallel training, written for ONE device's shard of the batch.

    It runs under jax.pmap(..., axis_name="data") (or vmap with axis_name="data"): compute
    this shard's gradient of loss(params, x_shard, y_shard), average it over devices with
    jax.lax.pmean(grads, "data"), and return params - lr * mean_grads (same pytree).
    """
    raise NotImplementedError


def flatten_params(params):
    """(vector, unflatten): all leaves raveled and concatenated in jax.tree.leaves order,
    and a function that turns such a vector back into a pytree like params.

    Use jax.tree.flatten / jax.tree.unflatten (not jax.flatten_util).
    """
    raise NotImplementedError


def sgd_train(loss, params, batches, lr):
    """Plain SGD over a list of (x, y) batches in order: params <- params - lr * grad.

    loss(params, x, y) -> (); returns the final params. jit your step function once.
    """
    raise NotImplementedError
