r"""Rank, null space and column space from the SVD, with a stated tolerance.

With A = U diag(s) V^T: (m, n) and r = #{ s_i > tol } the numerical rank,

    col(A)  = span(u_1..u_r)        (orthonormal basis of the column space)
    null(A) = span(v_{r+1}..v_n)    (A v = 0)
    row(A)  = span(v_1..v_r),  null(A^T) = span(u_{r+1}..u_m),
    rank-nullity:  dim col(A) + dim null(A) = n.

In floating point nothing is exactly zero, so "zero singular value" needs a tolerance. We use
the one numpy.linalg.matrix_rank and scipy.linalg.null_space/orth use by default:

    tol = max(m, n) * eps(dtype) * s_max,

the size of the rounding error a backward-stable SVD makes. The outputs' shapes depend on the
rank, so these functions run eagerly (not under jit).
Source: Golub & Van Loan, Matrix Computations (4th ed.), section 2.4 and 5.4.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def default_rank_tolerance(s: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """tol = max(m, n) * eps * s_max. s: (k,) singular values, shape: (m, n) -> ()."""
    return max(shape) * jnp.finfo(s.dtype).eps * jnp.max(s, initial=0.0)


def rank(a: jax.Array, tol: float | None = None) -> int:
    """Numerical rank: the number of singular values above tol. a: (m, n) -> int."""
    s = jnp.linalg.svd(a, compute_uv=False)
    tol = default_rank_tolerance(s, a.shape) if tol is None else tol
    return int(jnp.sum(s > tol))


def are_independent(a: jax.Array, tol: float | None = None) -> bool:
    """The columns of a: (m, n) are linearly independent iff rank(a) == n."""
    return rank(a, tol) == a.shape[1]


def fundamental_subspaces(a: jax.Array, tol: float | None = None) -> dict[str, jax.Array]:
    """Orthonormal bases of the four fundamental subspaces of a: (m, n), with r = rank.

    -> {"column": (m, r), "null": (n, n - r), "row": (n, r), "left_null": (m, m - r)}
    """
    u, s, vt = jnp.linalg.svd(a, full_matrices=True)  # u: (m, m), s: (min(m, n),), vt: (n, n)
    tol = default_rank_tolerance(s, a.shape) if tol is None else tol
    r = int(jnp.sum(s > tol))
    return {"column": u[:, :r], "null": vt[r:].T, "row": vt[:r].T, "left_null": u[:, r:]}


def column_space(a: jax.Array, tol: float | None = None) -> jax.Array:
    """Orthonormal basis of col(a) (like scipy.linalg.orth). a: (m, n) -> (m, r)."""
    return fundamental_subspaces(a, tol)["column"]


def null_space(a: jax.Array, tol: float | None = None) -> jax.Array:
    """Orthonormal basis of {x : a x = 0} (like scipy.linalg.null_space).

    a: (m, n) -> (n, n - r)
    """
    return fundamental_subspaces(a, tol)["null"]
