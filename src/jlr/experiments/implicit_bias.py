"""Implicit bias: which of many solutions gradient descent picks, with no regularizer.

Underdetermined least squares (A: (n, d), n < d): every iterate of GD from x_0 = 0 is
x_t = x_{t-1} - lr A^T (A x_{t-1} - b), a combination of A's rows, so it stays in the row
space; the only exact solution there is the minimum-norm one, x* = pinv(A) b.

Separable logistic regression (labels y_i = +-1, no bias): the loss has no minimizer, |w_t|
grows like log t, and the direction w_t / |w_t| converges to the hard-margin SVM direction
argmax_{|w| = 1} min_i y_i x_i . w (Soudry et al. 2018), slowly: the angle shrinks like
1 / log t.

Run by lesson 04 (`lessons/04_optimization.py`), section 10, "Generalization and implicit
bias".
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def gd_least_squares(a: jax.Array, b: jax.Array, lr: float, n_steps: int) -> jax.Array:
    """GD on |A x - b|^2 / 2 from x = 0. a: (n, d), b: (n,) -> x: (d,)."""

    def step(x, _):
        return x - lr * a.T @ (a @ x - b), None

    x, _ = jax.lax.scan(step, jnp.zeros(a.shape[1], a.dtype), None, length=n_steps)
    return x


def logistic_loss(w: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """mean_i log(1 + exp(-y_i x_i . w)). w: (d,), x: (n, d), y: (n,) in {-1, +1} -> ()."""
    return jnp.mean(jax.nn.softplus(-y * (x @ w)))


def gd_logistic_regression(
    x: jax.Array, y: jax.Array, lr: float, n_steps: int, n_saved: int = 50
) -> tuple[jax.Array, jax.Array]:
    """GD on the logistic loss from w = 0; also w at n_saved log-spaced steps.

    x: (n, d), y: (n,) -> w: (d,), saved_steps: (n_saved,) int, saved_w: (n_saved, d)
    returned as (w_final, (saved_steps, saved_w)).
    """
    grad = jax.grad(logistic_loss)
    saved_steps = jnp.unique(jnp.geomspace(1, n_steps, n_saved).astype(jnp.int32))

    def step(w, t):
        w = w - lr * grad(w, x, y)
        return w, w

    w, all_w = jax.lax.scan(step, jnp.zeros(x.shape[1], x.dtype), jnp.arange(n_steps))
    return w, (saved_steps, all_w[saved_steps - 1])


def normalized_margin(w: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """min_i y_i x_i . w / |w|: the margin of the separator through the origin with normal w."""
    return jnp.min(y * (x @ w)) / jnp.linalg.norm(w)


def cosine(u: jax.Array, v: jax.Array) -> jax.Array:
    """u . v / (|u| |v|)."""
    return u @ v / (jnp.linalg.norm(u) * jnp.linalg.norm(v))
