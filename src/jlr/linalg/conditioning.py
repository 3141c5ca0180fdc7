r"""Spectral norm and condition number.

The spectral norm |A|_2 = max_{|x|=1} |A x| = sigma_max(A) = sqrt(lambda_max(A^T A)), found by
power iteration (`jlr.linalg.eigen.power_iteration`) on the matvec v -> A^T (A v), so A^T A is
never formed. The condition number kappa(A) = sigma_max / sigma_min bounds how much relative
error in b can grow in the solution of A x = b; for a quadratic f(x) = 1/2 x^T H x it sets the
speed of gradient descent, ~kappa log(1/eps) steps to relative error eps
(`jlr.optim.quadratic_convergence`).
Source: Trefethen & Bau, lecture 12; Nesterov, Lectures on Convex Optimization, section 2.1.5.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jlr.linalg.eigen import power_iteration


@partial(jax.jit, static_argnames=("n_steps",))
def spectral_norm(a: jax.Array, v0: jax.Array, n_steps: int = 100) -> tuple[jax.Array, jax.Array]:
    """sigma_max(a) by power iteration on a^T a (never formed).

    a: (m, n), v0: (n,) -> sigma (), v (n,) the top right singular vector. The zero matrix
    gives sigma = 0 (and v = v0 / |v0|), as `numpy.linalg.norm(a, 2)`.
    """
    _, v, _ = power_iteration(lambda v: a.T @ (a @ v), v0, n_steps)  # (A^T A) v, (n,)
    return jnp.linalg.norm(a @ v), v


@jax.jit
def condition_number(a: jax.Array) -> jax.Array:
    """kappa_2(a) = sigma_max / sigma_min; inf when a is singular (the zero matrix included),
    as `numpy.linalg.cond`; NaN only when a holds NaN. a: (m, n) -> ()."""
    s = jnp.linalg.svd(a, compute_uv=False)
    singular = (s[-1] == 0) & ~jnp.any(jnp.isnan(a))
    return jnp.where(singular, jnp.inf, s[0] / jnp.where(singular, 1.0, s[-1]))
