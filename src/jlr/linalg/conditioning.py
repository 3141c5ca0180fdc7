r"""Spectral norm and condition number, and why conditioning sets the speed of gradient descent.

The spectral norm |A|_2 = max_{|x|=1} |A x| = sigma_max(A) = sqrt(lambda_max(A^T A)), found by
power iteration on A^T A without forming it (v <- A^T (A v)). The condition number
kappa(A) = sigma_max / sigma_min bounds how much relative error in b can grow in the solution of
A x = b, and for a quadratic f(x) = 1/2 x^T H x (H symmetric positive definite, L = lambda_max,
mu = lambda_min, kappa = L / mu) gradient descent with step 1/L contracts the error component
along eigenvector i by (1 - lambda_i / L) each step, the slowest by (1 - 1/kappa):

    |x_k| <= (1 - 1/kappa)^k |x_0|,  so  k >= log(1/eps) / -log(1 - 1/kappa) ~ kappa log(1/eps)

steps reach relative error eps: the iteration count grows linearly in kappa.
Source: Trefethen & Bau, lecture 12; Nesterov, Lectures on Convex Optimization, section 2.1.5.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("n_steps",))
def spectral_norm(a: jax.Array, v0: jax.Array, n_steps: int = 100) -> tuple[jax.Array, jax.Array]:
    """sigma_max(a) by power iteration on a^T a (never formed).

    a: (m, n), v0: (n,) -> sigma (), v (n,) the top right singular vector
    """

    def step(v, _):
        w = a.T @ (a @ v)  # (n,) = (A^T A) v
        return w / jnp.linalg.norm(w), None

    v, _ = jax.lax.scan(step, v0 / jnp.linalg.norm(v0), length=n_steps)
    return jnp.linalg.norm(a @ v), v


@jax.jit
def condition_number(a: jax.Array) -> jax.Array:
    """kappa_2(a) = sigma_max / sigma_min (inf when singular). a: (m, n) -> ()."""
    s = jnp.linalg.svd(a, compute_uv=False)
    return s[0] / s[-1]


@partial(jax.jit, static_argnames=("n_steps",))
def gd_quadratic_trajectory(h: jax.Array, x0: jax.Array, lr: float, n_steps: int) -> jax.Array:
    """Gradient descent on f(x) = 1/2 x^T h x: x <- x - lr h x. -> (n_steps + 1, d)."""

    def step(x, _):
        x = x - lr * (h @ x)
        return x, x

    _, xs = jax.lax.scan(step, x0, length=n_steps)
    return jnp.concatenate([x0[None], xs])


@partial(jax.jit, static_argnames=("max_steps",))
def gd_quadratic_iterations(
    h: jax.Array, x0: jax.Array, lr: float, tol: float, max_steps: int = 100_000
) -> jax.Array:
    """Steps of x <- x - lr h x until |x_k| <= tol |x_0| (the minimizer is 0). -> int ()."""
    target = tol * jnp.linalg.norm(x0)

    def not_done(carry):
        x, k = carry
        return (jnp.linalg.norm(x) > target) & (k < max_steps)

    def step(carry):
        x, k = carry
        return x - lr * (h @ x), k + 1

    _, k = jax.lax.while_loop(not_done, step, (x0, jnp.zeros((), jnp.int32)))
    return k


def gd_iteration_bound(kappa: float, tol: float) -> int:
    """ceil(log(1/tol) / -log(1 - 1/kappa)) <= ceil(kappa log(1/tol)): the step-1/L bound."""
    if kappa == 1.0:
        return 1
    return math.ceil(math.log(1.0 / tol) / -math.log1p(-1.0 / kappa))
