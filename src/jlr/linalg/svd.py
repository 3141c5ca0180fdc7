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
import numpy as np

# Full float32 products even where the default is lower (TF32 on NVIDIA GPUs keeps ~10 bits
# of mantissa): Jacobi's stopping test and the small singular values need every bit.
_dot = partial(jnp.matmul, precision=jax.lax.Precision.HIGHEST)


@jax.jit
def svd_via_eigh(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """SVD from eigh of the smaller Gram matrix. a: (m, n) -> u (m, k), s (k,), vt (k, n).

    Columns of u for zero singular values are left as zeros. A matrix with no rows or no
    columns (k = 0) gives empty factors, as `numpy.linalg.svd(a, full_matrices=False)` does.
    """
    m, n = a.shape
    if min(m, n) == 0:
        return _empty_svd(a)
    if m < n:
        u, s, vt = svd_via_eigh(a.T)
        return vt.T, s, u.T
    eigenvalues, v = jnp.linalg.eigh(_dot(a.T, a))  # ascending; v: (n, n)
    eigenvalues, v = eigenvalues[::-1], v[:, ::-1]  # descending
    s = jnp.sqrt(jnp.clip(eigenvalues, 0.0))  # (n,), tiny negative rounding clipped to 0
    positive = (s > jnp.finfo(a.dtype).eps * s[0])[None, :]  # (1, n)
    u = jnp.where(positive, _dot(a, v) / jnp.where(positive, s[None, :], 1.0), 0.0)  # (m, n)
    return u, s, v.T


def _jacobi_rotation(alpha, beta, gamma):
    """(c, s) that diagonalizes [[alpha, gamma], [gamma, beta]]; (1, 0) when gamma is ~0."""
    rotate = jnp.abs(gamma) > jnp.finfo(gamma.dtype).eps * jnp.sqrt(alpha * beta)
    zeta = (beta - alpha) / (2.0 * jnp.where(rotate, gamma, 1.0))
    t = jnp.where(zeta >= 0, 1.0, -1.0) / (jnp.abs(zeta) + jnp.sqrt(1.0 + zeta**2))
    c = 1.0 / jnp.sqrt(1.0 + t**2)
    return jnp.where(rotate, c, 1.0), jnp.where(rotate, c * t, 0.0)


def _empty_svd(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The factors of a matrix with k = min(m, n) = 0: u (m, 0), s (0,), vt (0, n)."""
    m, n = a.shape
    return jnp.zeros((m, 0), a.dtype), jnp.zeros((0,), a.dtype), jnp.zeros((0, n), a.dtype)


@jax.jit
def jacobi_sweep(w: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One cyclic sweep of one-sided Jacobi rotations over all column pairs i < j.

    w: (m, n) current A V, v: (n, n) accumulated rotations -> updated (w, v).
    """
    n = w.shape[1]
    pairs = np.array(list(itertools.combinations(range(n), 2)), np.int32).reshape(-1, 2)

    def rotate_pair(carry, pair):
        w, v = carry
        i, j = pair[0], pair[1]
        wi, wj = w[:, i], w[:, j]
        c, s = _jacobi_rotation(_dot(wi, wi), _dot(wj, wj), _dot(wi, wj))
        w = w.at[:, i].set(c * wi - s * wj).at[:, j].set(s * wi + c * wj)
        vi, vj = v[:, i], v[:, j]
        v = v.at[:, i].set(c * vi - s * vj).at[:, j].set(s * vi + c * vj)
        return (w, v), None

    (w, v), _ = jax.lax.scan(rotate_pair, (w, v), jnp.asarray(pairs))  # pairs: (n_pairs, 2)
    return w, v


def off_orthogonality(w: jax.Array) -> jax.Array:
    """max_{i != j} |w_i . w_j| / (|w_i| |w_j|): 0 when the columns are orthogonal. -> ().

    A zero column is orthogonal to everything (its cosines count as 0).
    """
    norms = jnp.linalg.norm(w, axis=0)  # (n,)
    scale = jnp.outer(norms, norms)  # (n, n)
    cosines = jnp.where(scale > 0, _dot(w.T, w) / jnp.where(scale > 0, scale, 1.0), 0.0)
    off_diagonal = cosines - jnp.diag(jnp.diag(cosines))
    return jnp.max(jnp.abs(off_diagonal), initial=0.0)


def jacobi_tolerance(a: jax.Array) -> float:
    """The default stopping tolerance of `svd_jacobi`: 10 m eps, m the column length.

    Rounding in one rotation leaves cosines of order m eps, so a tighter target is noise.
    """
    return 10.0 * max(a.shape) * float(jnp.finfo(a.dtype).eps)


@partial(jax.jit, static_argnames=("max_sweeps", "tol"))
def svd_jacobi(
    a: jax.Array, max_sweeps: int = 30, tol: float | None = None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """SVD by one-sided Jacobi. a: (m, n) -> u (m, k), s (k,), vt (k, n), k = min(m, n).

    Sweeps until every pair of columns of A V has |cos| <= tol (default `jacobi_tolerance`,
    10 m eps); convergence is quadratic, so a handful of sweeps suffice even for
    ill-conditioned A. If `max_sweeps` sweeps do not get there, every output is NaN (the
    convention of `jnp.linalg` on failure), so an unconverged decomposition is never returned
    as if it were one. Columns of u for s = 0 are zeros. k = 0 gives empty factors (numpy's
    shapes).
    """
    m, n = a.shape
    if min(m, n) == 0:
        return _empty_svd(a)
    if m < n:
        u, s, vt = svd_jacobi(a.T, max_sweeps, tol)
        return vt.T, s, u.T
    tol = jacobi_tolerance(a) if tol is None else tol

    def not_done(carry):
        w, _, sweeps = carry
        return (off_orthogonality(w) > tol) & (sweeps < max_sweeps)

    def sweep(carry):
        w, v, sweeps = carry
        return (*jacobi_sweep(w, v), sweeps + 1)

    start = (a, jnp.eye(n, dtype=a.dtype), jnp.zeros((), jnp.int32))
    w, v, _ = jax.lax.while_loop(not_done, sweep, start)
    s = jnp.linalg.norm(w, axis=0)  # (n,)
    order = jnp.argsort(-s)
    s, w, v = s[order], w[:, order], v[:, order]
    u = w / jnp.where(s > 0, s, 1.0)[None, :]  # (m, n)
    failed = ~(off_orthogonality(w) <= tol)  # also True when w holds NaN or Inf
    nan = jnp.array(jnp.nan, a.dtype)
    return jnp.where(failed, nan, u), jnp.where(failed, nan, s), jnp.where(failed, nan, v.T)


def align_signs(u: jax.Array, vt: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Fix the sign freedom: flip (u_i, v_i) so the largest-|.| entry of each v_i is positive.

    u: (m, k), vt: (k, n) -> same shapes. Two SVDs agree after both are aligned.
    """
    biggest = jnp.argmax(jnp.abs(vt), axis=1)  # (k,)
    signs = jnp.sign(vt[jnp.arange(vt.shape[0]), biggest])  # (k,)
    signs = jnp.where(signs == 0, 1.0, signs)
    return u * signs[None, :], vt * signs[:, None]
