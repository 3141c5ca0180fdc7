"""Jacobian-vector and vector-Jacobian products, and full Jacobians assembled from them.

For f: R^n -> R^m with Jacobian J (m, n):
- a JVP, v -> J v (forward mode, `jax.jvp`), costs about one evaluation of f; n of them,
  on the basis vectors e_j, give the n columns of J (this is `jax.jacfwd`);
- a VJP, u -> u^T J (reverse mode, `jax.vjp`), also costs a few evaluations of f; m of them,
  on the basis vectors e_i, give the m rows of J (this is `jax.jacrev`).
Forward mode needs n passes and reverse mode m, so forward wins for tall Jacobians
(m >> n) and reverse for wide ones (n >> m), such as the gradient of a loss (m = 1).
See `benchmarks/bench_jacobian_modes.py` for the measured crossover.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def jvp(f, x: jax.Array, v: jax.Array) -> jax.Array:
    """J_f(x) v without forming J. x, v: (n,) -> (m,)."""
    return jax.jvp(f, (x,), (v,))[1]


def vjp(f, x: jax.Array, u: jax.Array) -> jax.Array:
    """u^T J_f(x) without forming J. x: (n,), u: (m,) -> (n,)."""
    _, pullback = jax.vjp(f, x)
    return pullback(u)[0]


def jacobian_from_jvps(f, x: jax.Array) -> jax.Array:
    """J_f(x) column by column: column j is J e_j, one JVP each (forward mode).

    x: (n,) -> (m, n).
    """
    basis = jnp.eye(x.shape[0], dtype=x.dtype)  # (n, n), row j = e_j
    columns = jax.vmap(lambda e_j: jvp(f, x, e_j))(basis)  # (n, m), row j = J e_j
    return columns.T  # (m, n)


def jacobian_from_vjps(f, x: jax.Array) -> jax.Array:
    """J_f(x) row by row: row i is e_i^T J, one VJP each (reverse mode, one forward pass shared).

    x: (n,) -> (m, n).
    """
    y, pullback = jax.vjp(f, x)
    basis = jnp.eye(y.shape[0], dtype=y.dtype)  # (m, m), row i = e_i
    return jax.vmap(lambda e_i: pullback(e_i)[0])(basis)  # (m, n)
