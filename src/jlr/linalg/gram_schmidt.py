r"""Gram-Schmidt orthogonalization: an orthonormal basis of a span, built one vector at a time.

For columns a_1..a_n, Gram-Schmidt removes from a_k its components along q_1..q_{k-1},

    v_k = a_k - sum_{j<k} r_jk q_j,   r_kk = |v_k|,   q_k = v_k / r_kk,   so  A = Q R.

Classical GS computes every r_jk = q_j . a_k from the *original* column; in floating point the
q's then lose orthogonality like kappa(A)^2 eps. Modified GS computes r_jk = q_j . v from the
*partially reduced* column (equivalently: as soon as q_k is known, remove it from every later
column), which loses orthogonality only like kappa(A) eps. Same algebra, different rounding.
A column whose remainder r_kk is ~0 was already in the span of the previous ones: Gram-Schmidt
is also a test for linear independence.
Source: Trefethen & Bau, Numerical Linear Algebra, lectures 7-8; Bjorck (1967).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.jit
def classical_gram_schmidt(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """QR by classical Gram-Schmidt (numerically unstable; kept for comparison).

    r_jk = q_j . a_k (original column).  a: (m, n), m >= n, full column rank -> q: (m, n), r: (n, n)
    """
    m, n = a.shape

    def step(k, carry):
        q, r = carry
        a_k = a[:, k]
        coeffs = q.T @ a_k  # (n,); columns of q not built yet are zero, so coeffs there are 0
        v = a_k - q @ coeffs  # (m,)
        r_kk = jnp.linalg.norm(v)
        q = q.at[:, k].set(v / r_kk)
        r = r.at[:, k].set(coeffs.at[k].set(r_kk))
        return q, r

    init = (jnp.zeros((m, n), a.dtype), jnp.zeros((n, n), a.dtype))
    return jax.lax.fori_loop(0, n, step, init)


@jax.jit
def modified_gram_schmidt(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """QR by modified Gram-Schmidt: normalize column k, then remove q_k from every later column.

    a: (m, n), m >= n, full column rank -> q: (m, n) with q^T q = I, r: (n, n) upper triangular
    """
    m, n = a.shape

    def step(k, carry):
        v, q, r = carry  # v: (m, n) the columns with q_0..q_{k-1} already removed
        r_kk = jnp.linalg.norm(v[:, k])
        q_k = v[:, k] / r_kk
        coeffs = jnp.where(jnp.arange(n) > k, q_k @ v, 0.0)  # (n,) r_kj for later columns j
        v = v - jnp.outer(q_k, coeffs)  # (m, n)
        q = q.at[:, k].set(q_k)
        r = r.at[k].set(coeffs.at[k].set(r_kk))
        return v, q, r

    init = (a, jnp.zeros((m, n), a.dtype), jnp.zeros((n, n), a.dtype))
    _, q, r = jax.lax.fori_loop(0, n, step, init)
    return q, r


@jax.jit
def gram_schmidt_basis(a: jax.Array, rtol: float = 1e-5) -> tuple[jax.Array, jax.Array]:
    """Orthonormal basis of span(a_1..a_n) by modified Gram-Schmidt, dropping dependent columns.

    Column k is independent of the earlier ones when what is left of it after removing their
    directions is longer than rtol * max_j |a_j|; otherwise it is dropped (its q column is 0).

    a: (m, n) -> q: (m, n) (zero columns where dropped), independent: (n,) bool
    The span's dimension is independent.sum(); the kept columns of a form a basis.
    """
    m, n = a.shape
    scale = jnp.max(jnp.linalg.norm(a, axis=0))

    def step(k, carry):
        v, q, keep = carry
        r_kk = jnp.linalg.norm(v[:, k])
        is_new = r_kk > rtol * scale
        q_k = jnp.where(is_new, v[:, k] / jnp.where(is_new, r_kk, 1.0), 0.0)
        coeffs = jnp.where(jnp.arange(n) > k, q_k @ v, 0.0)
        v = v - jnp.outer(q_k, coeffs)  # (m, n)
        return v, q.at[:, k].set(q_k), keep.at[k].set(is_new)

    init = (a, jnp.zeros((m, n), a.dtype), jnp.zeros((n,), bool))
    _, q, independent = jax.lax.fori_loop(0, n, step, init)
    return q, independent


def orthogonality_loss(q: jax.Array) -> jax.Array:
    """|I - q^T q|_F: 0 for orthonormal columns. q: (m, n) -> ()."""
    n = q.shape[1]
    return jnp.linalg.norm(jnp.eye(n, dtype=q.dtype) - q.T @ q)
