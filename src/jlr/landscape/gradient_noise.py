"""The noise in a mini-batch gradient, and how it shrinks with the batch size.

With per-example gradients g_i (i = 1..N) and the full-batch gradient g = mean_i g_i, the
mini-batch gradient g_B = mean_{i in S} g_i over a batch S of B distinct examples drawn
uniformly is unbiased, E g_B = g, and

    E |g_B - g|^2 = tr(Sigma) / B * (N - B) / (N - 1),   Sigma = mean_i (g_i - g)(g_i - g)^T

the 1/B law with the finite-population correction (N - B) / (N - 1) of sampling without
replacement: B = N is full-batch gradient descent (no noise), B = 1 is "stochastic" gradient
descent (the most noise). Batch size buys a less noisy step at B times the compute.

The batch size at which the noise tr(Sigma) / B equals the signal |G|^2, G = E g_i, is the
simple gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018, "An empirical
model of large-batch training"): well below it a larger batch buys almost proportionally fewer
steps, well above it almost none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree


def per_example_gradients(
    example_loss: Callable[[Any, jax.Array, jax.Array], jax.Array],
    params: Any,
    x: jax.Array,
    y: jax.Array,
) -> jax.Array:
    """Rows g_i = grad_params example_loss(params, x_i, y_i), flattened: (N, n_params).

    example_loss(params, x_i, y_i) -> () takes ONE example; vmap batches it.
    """

    def flat_grad(x_i, y_i):
        return ravel_pytree(jax.grad(example_loss)(params, x_i, y_i))[0]

    return jax.vmap(flat_grad)(x, y)


def predicted_minibatch_variance(grads: jax.Array, batch_size: int) -> jax.Array:
    """tr(Sigma) / B * (N - B) / (N - 1) from per-example gradients grads: (N, n_params)."""
    n = grads.shape[0]
    trace_sigma = jnp.mean(jnp.sum((grads - grads.mean(0)) ** 2, axis=1))
    return trace_sigma / batch_size * (n - batch_size) / (n - 1)


def measured_minibatch_variance(
    key: jax.Array, grads: jax.Array, batch_size: int | jax.Array, n_draws: int = 256
) -> jax.Array:
    """mean over n_draws random batches of |g_B - g|^2; batches without replacement.

    A batch is the first B rows of a random permutation, taken with weights 1/B on those rows
    and 0 elsewhere, so B may be traced: vmap over batch sizes compiles once.
    """
    n = grads.shape[0]
    full = grads.mean(0)
    weights = (jnp.arange(n) < batch_size) / batch_size  # (N,): 1/B on the first B rows

    def one_draw(draw_key):
        order = jax.random.permutation(draw_key, n)
        return jnp.sum((weights @ grads[order] - full) ** 2)

    return jnp.mean(jax.vmap(one_draw)(jax.random.split(key, n_draws)))


def simple_noise_scale(grads: jax.Array) -> dict[str, jax.Array]:
    """B_simple = tr(Sigma) / |G|^2 from per-example gradients grads: (N, n_params), unbiased.

    G = E g_i and Sigma = Cov g_i over examples. tr S = mean_i |g_i - g_bar|^2 is the noise of
    a one-example gradient (`predicted_minibatch_variance` at B = 1); for N independent
    examples E tr S = (N - 1)/N tr(Sigma) and E|g_bar|^2 = |G|^2 + tr(Sigma)/N, so

        tr(Sigma) ~ N/(N - 1) tr S,   |G|^2 ~ |g_bar|^2 - tr(Sigma)/N

    -> {"trace_sigma", "grad_sq", "b_simple"}, each of shape (). Near a minimum |G|^2 is small
    and its estimate noisy (it can come out negative): B_simple is then large and poorly
    determined.
    """
    n = grads.shape[0]
    trace_sigma = predicted_minibatch_variance(grads, 1) * n / (n - 1)
    grad_sq = jnp.sum(grads.mean(0) ** 2) - trace_sigma / n
    return {"trace_sigma": trace_sigma, "grad_sq": grad_sq, "b_simple": trace_sigma / grad_sq}
