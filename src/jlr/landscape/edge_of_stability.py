r"""Full-batch gradient descent with its sharpness tracked: the edge of stability.

Gradient descent theta_{t+1} = theta_t - lr grad L(theta_t) on a quadratic with Hessian H is
stable only while every eigenvalue of H stays below 2 / lr: along an eigenvector with
eigenvalue lambda the error is multiplied by (1 - lr lambda) each step, and |1 - lr lambda| > 1
once lambda > 2 / lr. Cohen et al. 2021 ("Gradient Descent on Neural Networks Typically
Occurs at the Edge of Stability") found that on neural networks the sharpness
lambda_max(H(theta_t)) first rises during training (progressive sharpening) until it reaches
2 / lr, and then hovers just above it while the loss keeps falling, non-monotonically.

`gd_with_sharpness` runs n_steps of full-batch GD under `lax.scan` and measures the sharpness
every `every` steps by power iteration on Hessian-vector products (`jlr.linalg.eigen`),
warm-started from the previous top eigenvector: the top eigenvector moves slowly, so a few
iterations per measurement suffice where a cold start needs tens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp
from jlr.linalg.eigen import power_iteration


class SharpnessPath(NamedTuple):
    """What `gd_with_sharpness` records; n_measures = n_steps // every + 1."""

    losses: jax.Array  # (n_steps,): L(theta_t) before step t
    sharpness: jax.Array  # (n_measures,): lambda_max(H) at steps 0, every, 2 every, ...
    steps: jax.Array  # (n_measures,) int32: the step of each sharpness measurement
    params: Any  # theta after the n_steps steps


def gd_with_sharpness(
    key: jax.Array,
    loss: Callable[[Any], jax.Array],
    params: Any,
    lr: float,
    n_steps: int,
    every: int,
    n_power_iters: int = 20,
    n_warm_iters: int = 5,
) -> SharpnessPath:
    """n_steps of theta <- theta - lr grad L(theta), measuring lambda_max(H) every `every` steps.

    loss: params -> () (the full-batch loss); params any pytree. The first measurement (step
    0) runs n_power_iters power iterations from a Gaussian v_0 drawn from key; each later one
    runs n_warm_iters from the previous eigenvector. Power iteration finds the eigenvalue
    largest in magnitude, which is lambda_max where the Hessian's negative eigenvalues are
    smaller in size (as near a minimum, and along GD's path in Cohen et al.'s experiments).
    n_steps must be a multiple of every. jit the caller (with lr, n_steps, every static).
    """
    if n_steps % every:
        raise ValueError(f"n_steps={n_steps} must be a multiple of every={every}")
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    def sharpness(x, v, n_iters):
        eigenvalue, v, _ = power_iteration(lambda u: hvp(flat_loss, x, u), v, n_iters)
        return eigenvalue, v

    def gd_step(x, _):
        value, grad = jax.value_and_grad(flat_loss)(x)
        return x - lr * grad, value

    def segment(carry, _):
        x, v = carry
        x, losses = jax.lax.scan(gd_step, x, length=every)  # losses: (every,)
        eigenvalue, v = sharpness(x, v, n_warm_iters)
        return (x, v), (losses, eigenvalue)

    first, v = sharpness(flat, jax.random.normal(key, flat.shape, flat.dtype), n_power_iters)
    (flat, _), (losses, later) = jax.lax.scan(segment, (flat, v), length=n_steps // every)
    return SharpnessPath(
        losses=losses.reshape(-1),  # (n_steps,)
        sharpness=jnp.concatenate([first[None], later]),  # (n_measures,)
        steps=jnp.arange(n_steps // every + 1, dtype=jnp.int32) * every,
        params=unravel(flat),
    )


def plateau_ratio(path: SharpnessPath, lr: float, fraction: float = 1 / 3) -> jax.Array:
    """mean sharpness over the last `fraction` of the measurements, in units of 2 / lr.

    About 1 at the edge of stability; below 1 while the sharpness is still rising.
    """
    n_last = max(1, round(fraction * path.sharpness.shape[0]))
    return jnp.mean(path.sharpness[-n_last:]) * lr / 2
