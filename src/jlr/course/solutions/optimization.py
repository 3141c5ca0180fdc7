"""Reference solutions to lesson 04's exercises (``exercises/04_optimization.py``).

Written the way a learner would: jax.numpy and plain loops, no jlr imports.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def minibatch_variance(per_example_grads: jax.Array, batch_size: int) -> jax.Array:
    """tr(Sigma) / B * (N - B) / (N - 1). per_example_grads: (N, P) -> ()"""
    n = per_example_grads.shape[0]
    centered = per_example_grads - per_example_grads.mean(axis=0)
    trace_sigma = jnp.sum(centered**2) / n
    return trace_sigma / batch_size * (n - batch_size) / (n - 1)


def warmup_cosine_lr(step, peak: float, warmup_steps: int, total_steps: int) -> jax.Array:
    """Linear 0 -> peak over warmup, then cosine peak -> 0 at total_steps."""
    step = jnp.asarray(step, jnp.float32)
    warm = peak * step / warmup_steps
    progress = jnp.clip((step - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    return jnp.where(step < warmup_steps, warm, 0.5 * peak * (1 + jnp.cos(jnp.pi * progress)))


def sgd_stationary_variance(
    lr: float, curvature: float, noise_var: float, batch_size: int
) -> float:
    """Var x_inf for x <- x - lr (h x + xi), Var xi = noise_var / B."""
    contraction = 1 - lr * curvature
    return lr**2 * noise_var / batch_size / (1 - contraction**2)


def heavy_ball_iterations(
    eigenvalues: jax.Array, x0: jax.Array, lr: float, momentum: float, tol: float
) -> int:
    """Steps of heavy ball on sum_i eigenvalues_i x_i^2 / 2 until |x| <= tol |x0|."""
    x, velocity, steps = x0, jnp.zeros_like(x0), 0
    target = tol * float(jnp.linalg.norm(x0))
    while float(jnp.linalg.norm(x)) > target and steps < 100_000:
        velocity = momentum * velocity + eigenvalues * x
        x = x - lr * velocity
        steps += 1
    return steps


def rmsprop_update(grad, nu, lr: float, decay: float = 0.9, eps: float = 1e-8):
    """One RMSProp step (optax's default form): -> (update, new_nu)."""
    nu = decay * nu + (1 - decay) * grad**2
    return -lr * grad / jnp.sqrt(nu + eps), nu


def adam_update(grad, m, v, step: int, lr: float, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam step with bias correction; step counts from 1: -> (update, m, v)."""
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    m_hat = m / (1 - b1**step)
    v_hat = v / (1 - b2**step)
    return -lr * m_hat / (jnp.sqrt(v_hat) + eps), m, v


def uncorrected_step_ratio(step, b1: float = 0.9, b2: float = 0.999):
    """|uncorrected update| / |corrected update| at step t: (1 - b1^t) / sqrt(1 - b2^t)."""
    step = jnp.asarray(step, jnp.float32)
    return (1 - b1**step) / jnp.sqrt(1 - b2**step)


def optimizer_trajectory(optimizer, f: Callable, start: jax.Array, n_steps: int) -> jax.Array:
    """Points p_0 .. p_n of an optax-style optimizer on f: -> (n_steps + 1, d)."""
    p, state, points = start, optimizer.init(start), [start]
    grad_f = jax.jit(jax.grad(f))
    update = jax.jit(optimizer.update)
    for _ in range(n_steps):
        updates, state = update(grad_f(p), state, p)
        p = p + updates
        points.append(p)
    return jnp.stack(points)


def top_hessian_eigenvalue(f: Callable, x: jax.Array, v0: jax.Array, n_iters: int) -> jax.Array:
    """Power iteration with Hessian-vector products (jvp of grad)."""

    def hvp(v):
        return jax.jvp(jax.grad(f), (x,), (v,))[1]

    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_iters):
        hv = hvp(v)
        v = hv / jnp.linalg.norm(hv)
    return v @ hvp(v)


def random_features_fit(x: jax.Array, y: jax.Array, w: jax.Array) -> jax.Array:
    """Minimum-norm least squares on phi = relu(x w / sqrt(d)): -> a (p,)."""
    features = jax.nn.relu(x @ w / jnp.sqrt(x.shape[1]))
    return jnp.linalg.pinv(features) @ y


def gd_from_zero(a: jax.Array, b: jax.Array, lr: float, n_steps: int) -> jax.Array:
    """Gradient descent on |a x - b|^2 / 2 from x = 0."""
    x = jnp.zeros(a.shape[1], a.dtype)
    for _ in range(n_steps):
        x = x - lr * a.T @ (a @ x - b)
    return x
