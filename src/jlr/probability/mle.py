r"""Maximum likelihood estimation: theta_MLE = argmax_theta sum_i log p(x_i | theta).

Closed forms (set the gradient to zero):
  Gaussian     mu = (1/n) sum x_i,   sigma^2 = (1/n) sum (x_i - mu)^2   (1/n, not 1/(n-1))
  Bernoulli    p = (1/n) sum x_i
  categorical  p_k = n_k / n
The same answers come from gradient ascent on the average log-likelihood in unconstrained
coordinates (mean and log std; a logit; a vector of logits).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from jlr.probability.cross_entropy import softmax_cross_entropy

PyTree = Any


@jax.jit
def gaussian_mle(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: (n,) -> (mean, var) with the 1/n (biased) variance."""
    mean = jnp.mean(x)
    return mean, jnp.mean((x - mean) ** 2)


@jax.jit
def bernoulli_mle(x: jax.Array) -> jax.Array:
    """x: (n,) of 0/1 -> p = fraction of ones."""
    return jnp.mean(x.astype(jnp.float32))


@partial(jax.jit, static_argnames=("n_classes",))
def categorical_mle(labels: jax.Array, n_classes: int) -> jax.Array:
    """labels: (n,) ints in [0, n_classes) -> p: (n_classes,), p_k = n_k / n."""
    counts = jnp.bincount(labels, length=n_classes)
    return counts / labels.shape[0]


@jax.jit
def gaussian_log_likelihood(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    r"""(1/n) sum_i log N(x_i; mean, exp(log_std)^2). params {"mean", "log_std"} scalars."""
    z = (x - params["mean"]) / jnp.exp(params["log_std"])
    return jnp.mean(-0.5 * z**2 - params["log_std"] - 0.5 * jnp.log(2.0 * jnp.pi))


@jax.jit
def bernoulli_log_likelihood(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    r"""(1/n) sum_i [x_i log sigma(l) + (1 - x_i) log sigma(-l)]. params {"logit"}."""
    logit = params["logit"]
    return jnp.mean(x * jax.nn.log_sigmoid(logit) + (1 - x) * jax.nn.log_sigmoid(-logit))


@jax.jit
def categorical_log_likelihood(params: dict[str, jax.Array], labels: jax.Array) -> jax.Array:
    r"""(1/n) sum_i log softmax(logits)[y_i]: minus the mean cross-entropy.

    params {"logits": (k,)}; labels: (n,) ints -> ().
    """
    per_label = jax.vmap(softmax_cross_entropy, in_axes=(None, 0))(params["logits"], labels)
    return -jnp.mean(per_label)  # (n,) -> ()


@partial(jax.jit, static_argnames=("log_likelihood", "n_steps"))
def gradient_ascent(
    log_likelihood: Callable[[PyTree, jax.Array], jax.Array],
    params: PyTree,
    data: jax.Array,
    lr: float,
    n_steps: int,
) -> tuple[PyTree, jax.Array]:
    r"""theta <- theta + lr * grad (1/n) sum log p(x_i | theta), n_steps times (one lax.scan).

    Returns (final params, log-likelihood before each step: (n_steps,)).
    """
    value_and_grad = jax.value_and_grad(log_likelihood)

    def step(params, _):
        value, grads = value_and_grad(params, data)
        params = jax.tree.map(lambda p, g: p + lr * g, params, grads)
        return params, value

    return jax.lax.scan(step, params, length=n_steps)
