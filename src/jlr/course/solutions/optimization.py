"""Reference solutions to lesson 04's exercises (``exercises/04_optimization.py``).

Where the library already computes what an exercise asks for (`jlr.optim`, `jlr.landscape`,
`jlr.experiments`), the solution calls it, adapting only the signature: the concept is
written once, in the module named for it, and tested there against optax, numpy and
jax.hessian. The formulas with no library function are written out.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jlr.calculus.hessian import hvp
from jlr.experiments.double_descent import min_norm_fit, random_features
from jlr.experiments.implicit_bias import gd_least_squares
from jlr.landscape.gradient_noise import predicted_minibatch_variance
from jlr.linalg.eigen import power_iteration
from jlr.optim import (
    adam,
    iterations_to_converge,
    rmsprop,
    sgd,
    trajectory,
    warmup_cosine_decay,
)
from jlr.optim.adam import AdamState


def minibatch_variance(per_example_grads: jax.Array, batch_size: int) -> jax.Array:
    """tr(Sigma) / B * (N - B) / (N - 1). per_example_grads: (N, P) -> ()"""
    return predicted_minibatch_variance(per_example_grads, batch_size)


def warmup_cosine_lr(step, peak: float, warmup_steps: int, total_steps: int) -> jax.Array:
    """Linear 0 -> peak over warmup, then cosine peak -> 0 at total_steps."""
    return warmup_cosine_decay(0.0, peak, warmup_steps, total_steps)(step)


def sgd_stationary_variance(
    lr: float, curvature: float, noise_var: float, batch_size: int
) -> float:
    """Var x_inf for x <- x - lr (h x + xi), Var xi = noise_var / B.

    Var x' = (1 - lr h)^2 Var x + lr^2 noise_var / B; at the fixed point solve for Var x.
    """
    contraction = 1 - lr * curvature
    return lr**2 * noise_var / batch_size / (1 - contraction**2)


def heavy_ball_iterations(
    eigenvalues: jax.Array, x0: jax.Array, lr: float, momentum: float, tol: float
) -> int:
    """Steps of heavy ball (`sgd` with momentum) on sum_i eigenvalues_i x_i^2 / 2 until
    |x| <= tol |x0|: grad f(x) = eigenvalues * x."""
    optimizer = sgd(lr, momentum=momentum)
    return int(iterations_to_converge(optimizer, lambda x: eigenvalues * x, x0, tol))


def rmsprop_update(grad, nu, lr: float, decay: float = 0.9, eps: float = 1e-8):
    """One step of `jlr.optim.rmsprop` (optax's default form) from the state nu: -> (update, nu)."""
    optimizer = rmsprop(lr, decay=decay, eps=eps)
    update, state = optimizer.update(grad, optimizer.init(grad)._replace(nu=nu))
    return update, state.nu


def adam_update(grad, m, v, step: int, lr: float, b1=0.9, b2=0.999, eps=1e-8):
    """Step `step` (from 1) of `jlr.optim.adam` from the moments m, v: -> (update, m, v)."""
    state = AdamState(jnp.asarray(step - 1, jnp.int32), m, v)  # the state counts done steps
    update, state = adam(lr, b1, b2, eps).update(grad, state)
    return update, state.m, state.v


def uncorrected_step_ratio(step, b1: float = 0.9, b2: float = 0.999):
    """|uncorrected update| / |corrected update| at step t: (1 - b1^t) / sqrt(1 - b2^t)."""
    step = jnp.asarray(step, jnp.float32)
    return (1 - b1**step) / jnp.sqrt(1 - b2**step)


def optimizer_trajectory(optimizer, f: Callable, start: jax.Array, n_steps: int) -> jax.Array:
    """Points p_0 .. p_n of an optax-style optimizer on f: -> (n_steps + 1, d)."""
    return trajectory(optimizer, f, start, n_steps)


def top_hessian_eigenvalue(f: Callable, x: jax.Array, v0: jax.Array, n_iters: int) -> jax.Array:
    """Power iteration on the matvec v -> H v, a Hessian-vector product (jvp of grad)."""
    eigenvalue, _, _ = power_iteration(lambda v: hvp(f, x, v), v0, n_iters)
    return eigenvalue


def random_features_fit(x: jax.Array, y: jax.Array, w: jax.Array) -> jax.Array:
    """Minimum-norm least squares on phi = relu(x w / sqrt(d)): -> a (p,)."""
    return min_norm_fit(random_features(x, w), y)


def gd_from_zero(a: jax.Array, b: jax.Array, lr: float, n_steps: int) -> jax.Array:
    """Gradient descent on |a x - b|^2 / 2 from x = 0."""
    return gd_least_squares(a, b, lr, n_steps)
