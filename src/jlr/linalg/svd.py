r"""The singular value decomposition, two ways from scratch.

Every A: (m, n) factors as A = U diag(s) V^T with orthonormal columns in U: (m, k) and
V: (n, k), k = min(m, n), and s_1 >= ... >= s_k >= 0. Singular vectors are unique only up to
a shared sign per pair (u_i, v_i) -> (-u_i, -v_i) (and up to rotation for repeated s_i).

1. From the eigendecomposition of the Gram matrix: A^T A = V diag(s^2) V^T, then u_i = A v_i / s_i.
   Simple, but forming A^T A squares the condition number: singular values below
   ~ sqrt(eps) s_1 lose all their relative accuracy.
2. One-sided Jacobi (Hestenes, 1958): rotate pairs of columns of A until all are mutually
   orthogonal, U diag(s) = A V. Each rotation is the 2x2 symmetric Jacobi rotation that
   diagonalizes [[a_i.a_i, a_i.a_j], [a_i.a_j, a_j.a_j]]; sweeps over all pairs converge
   quadratically, and the method never forms A^T A, so it is accurate for small s_i too.
Source: Golub & Van Loan, sections 8.6.3 and 8.6.4; Demmel & Veselic, "Jacobi's method is more
accurate than QR" (1992).
"""

from __future__ import annotations

import itertools
from functools import partial

import jax
import jax.numpy as jnp


@jax.jit
def svd_via_eigh(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """SVD from eigh of the smaller Gram matrix. a: (m, n) -> u (m, k), s (k,), vt (k, n).

    Columns of u for zero singular values are left as zeros.
    """
    m, n = a.shape
    if m < n:
        u, s, vt = svd_via_eigh(a.T)
        return vt.T, s, u.T
    eigenvalues, v = jnp.linalg.eigh(a.T @ a)  # ascending; v: (n, n)
    eigenvalues, v = eigenvalues[::-1], v[:, ::-1]  # descending
    s = jnp.sqrt(jnp.clip(eigenvalues, 0.0))  # (n,), tiny negative rounding clipped to 0
    positive = (s > jnp.finfo(a.dtype).eps * s[0])[None, :]  # (1, n)
    u = jnp.where(positive, (a @ v) / jnp.where(positive, s[None, :], 1.0), 0.0)  # (m, n)
    return u, s, v.T


def _jacobi_rotation(alpha, beta, gamma):
    """(c, s) that diagonalizes [[alpha, gamma], [gamma, beta]]; (1, 0) when gamma is ~0."""
    rotate = jnp.abs(gamma) > jnp.finfo(gamma.dtype).eps * jnp.sqrt(alpha * beta)
    zeta = (beta - alpha) / (2.0 * jnp.where(rotate, gamma, 1.0))
    t = jnp.where(zeta >= 0, 1.0, -1.0) / (jnp.abs(zeta) + jnp.sqrt(1.0 + zeta**2))
    c = 1.0 / jnp.sqrt(1.0 + t**2)
    return jnp.where(rotate, c, 1.0), jnp.where(rotate, c * t, 0.0)


@jax.jit
def jacobi_sweep(w: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One cyclic sweep of one-sided Jacobi rotations over all column pairs i < j.

    w: (m, n) current A V, v: (n, n) accumulated rotations -> updated (w, v).
    """
    n = w.shape[1]
    pairs = jnp.array(list(itertools.combinations(range(n), 2)), dtype=jnp.int32)  # (n_pairs, 2)

    def rotate_pair(carry, pair):
        w, v = carry
        i, j = pair[0], pair[1]
        wi, wj = w[:, i], w[:, j]
        c, s = _jacobi_rotation(wi @ wi, wj @ wj, wi @ wj)
        w = w.at[:, i].set(c * wi - s * wj).at[:, j].set(s * wi + c * wj)
        vi, vj = v[:, i], v[:, j]
        v = v.at[:, i].set(c * vi - s * vj).at[:, j].set(s * vi + c * vj)
        return (w, v), None

    (w, v), _ = jax.lax.scan(rotate_pair, (w, v), pairs)
    return w, v


def off_orthogonality(w: jax.Array) -> jax.Array:
    """max_{i != j} |w_i . w_j| / (|w_i| |w_j|): 0 when the columns are orthogonal. -> ()."""
    norms = jnp.linalg.norm(w, axis=0)
    cosines = (w.T @ w) / jnp.outer(norms, norms)  # (n, n)
    return jnp.max(jnp.abs(cosines - jnp.diag(jnp.diag(cosines))))


@partial(jax.jit, static_argnames=("n_sweeps",))
def svd_jacobi(a: jax.Array, n_sweeps: int = 10) -> tuple[jax.Array, jax.Array, jax.Array]:
    """SVD by one-sided Jacobi. a: (m, n) -> u (m, k), s (k,), vt (k, n), k = min(m, n).

    Assumes no exactly-zero columns appear (full rank); u columns for s = 0 are left as zeros.
    """
    m, n = a.shape
    if m < n:
        u, s, vt = svd_jacobi(a.T, n_sweeps)
        return vt.T, s, u.T
    sweep = lambda _, wv: jacobi_sweep(*wv)
    w, v = jax.lax.fori_loop(0, n_sweeps, sweep, (a, jnp.eye(n, dtype=a.dtype)))
    s = jnp.linalg.norm(w, axis=0)  # (n,)
    order = jnp.argsort(-s)
    s, w, v = s[order], w[:, order], v[:, order]
    u = w / jnp.where(s > 0, s, 1.0)[None, :]  # (m, n)
    return u, s, v.T


def align_signs(u: jax.Array, vt: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Fix the sign freedom: flip (u_i, v_i) so the largest-|.| entry of each v_i is positive.

    u: (m, k), vt: (k, n) -> same shapes. Two SVDs agree after both are aligned.
    """
    biggest = jnp.argmax(jnp.abs(vt), axis=1)  # (k,)
    signs = jnp.sign(vt[jnp.arange(vt.shape[0]), biggest])  # (k,)
    signs = jnp.where(signs == 0, 1.0, signs)
    return u * signs[None, :], vt * signs[:, None]
