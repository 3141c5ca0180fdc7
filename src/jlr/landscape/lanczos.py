r"""The Lanczos method: a symmetric operator's extreme eigenvalues from m matrix-vector products.

Starting from a unit vector q_0, Lanczos builds an orthonormal basis Q = [q_0 ... q_{m-1}] of
the Krylov space span{q_0, A q_0, ..., A^{m-1} q_0} in which A is tridiagonal:

    w = A q_i - alpha_i q_i - beta_{i-1} q_{i-1},   alpha_i = q_i^T A q_i,
    beta_i = |w|,   q_{i+1} = w / beta_i,           T = Q A Q^T = tridiag(beta, alpha, beta)

The eigenvalues theta_j of the small m x m matrix T (the Ritz values) approximate A's; the
extreme ones converge first, far faster than power iteration (Lanczos 1950; Golub & Van Loan,
"Matrix Computations", ch. 10). In exact arithmetic the three-term recurrence keeps Q
orthonormal; in floating point it does not (Paige 1971): converged Ritz vectors leak back and
ghost copies of eigenvalues appear. Here w is made orthogonal to *every* earlier q by classical
Gram-Schmidt applied twice ("twice is enough", Giraud et al. 2005), which also does the
recurrence's two subtractions. That costs O(m n) per step, nothing next to an HVP.

Breakdown: beta_i ~ 0 means the Krylov space is invariant under A (its eigenvalues are found
exactly). Then q_{i+1} is a fresh random vector orthogonal to Q, and beta_i = 0, so T is block
diagonal and every block's Ritz values are still eigenvalues of A; with m = n all n eigenvalues
come out, repeated ones included.

For a loss Hessian the matvec is `jlr.calculus.hessian.hvp`: the Hessian is never formed
(Ghorbani, Krishnan & Xiao 2019 run this on ImageNet networks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp

# Relative size of beta_i (against |A q_i|) below which the Krylov space counts as invariant.
BREAKDOWN_EPS_FACTOR = 1e3


def _orthogonalize(basis: jax.Array, w: jax.Array) -> jax.Array:
    """w minus its projection on the rows of basis, twice (CGS2). basis: (k, n), w: (n,)."""
    for _ in range(2):
        coeffs = jnp.dot(basis, w, precision=lax.Precision.HIGHEST)  # (k,)
        w = w - jnp.dot(coeffs, basis, precision=lax.Precision.HIGHEST)  # (n,)
    return w


def _unit(w: jax.Array) -> jax.Array:
    """w / |w|; the zero vector stays zero rather than turning into NaN."""
    norm = jnp.linalg.norm(w)
    return w / jnp.where(norm > 0, norm, 1.0)


def lanczos(
    key: jax.Array,
    matvec: Callable[[jax.Array], jax.Array],
    n: int,
    n_iters: int,
    dtype: Any = jnp.float32,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """m = n_iters Lanczos steps on the symmetric v -> A v with full reorthogonalization.

    q_0 is uniform on the unit sphere (a normalized Gaussian from key). Returns
    alphas: (m,) the diagonal of T, betas: (m - 1,) its off-diagonal, basis: (m, n) rows q_i,
    with T = basis A basis^T and basis basis^T = I. m matrix-vector products in all.
    """
    if not 1 <= n_iters <= n:
        raise ValueError(f"need 1 <= n_iters <= n, got n_iters={n_iters}, n={n}")
    start_key, restart_key = jax.random.split(key)
    eps = jnp.finfo(dtype).eps
    basis = jnp.zeros((n_iters + 1, n), dtype)  # row m is scratch for the last step's q_{i+1}
    basis = basis.at[0].set(_unit(jax.random.normal(start_key, (n,), dtype)))

    def step(i, carry):
        basis, alphas, betas = carry
        q = basis[i]
        a_q = matvec(q)  # (n,)
        alpha = jnp.dot(q, a_q, precision=lax.Precision.HIGHEST)
        w = _orthogonalize(basis, a_q)  # rows > i are still zero
        beta = jnp.linalg.norm(w)
        invariant = beta <= BREAKDOWN_EPS_FACTOR * eps * jnp.linalg.norm(a_q)
        fresh = jax.random.normal(jax.random.fold_in(restart_key, i), (n,), dtype)
        fresh = _unit(_orthogonalize(basis, fresh))
        q_next = jnp.where(invariant, fresh, w / jnp.where(invariant, 1.0, beta))
        beta = jnp.where(invariant, 0.0, beta)
        return basis.at[i + 1].set(q_next), alphas.at[i].set(alpha), betas.at[i].set(beta)

    init = (basis, jnp.zeros((n_iters,), dtype), jnp.zeros((n_iters,), dtype))
    basis, alphas, betas = lax.fori_loop(0, n_iters, step, init)
    return alphas, betas[:-1], basis[:-1]


def tridiagonal(alphas: jax.Array, betas: jax.Array) -> jax.Array:
    """T with alphas (m,) on the diagonal and betas (m - 1,) beside it: (m, m)."""
    return jnp.diag(alphas) + jnp.diag(betas, 1) + jnp.diag(betas, -1)


def ritz_pairs(
    alphas: jax.Array, betas: jax.Array, basis: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Ritz values theta: (m,) ascending, and Ritz vectors (m, n) as rows: y_j = Q^T s_j.

    T s_j = theta_j s_j; the residual |A y_j - theta_j y_j| = beta_m |s_j[m-1]| is small for
    the converged (extreme) ones.
    """
    thetas, s = jnp.linalg.eigh(tridiagonal(alphas, betas))  # s: (m, m), columns s_j
    return thetas, jnp.dot(s.T, basis, precision=lax.Precision.HIGHEST)  # (m, n)


def top_eigenvalues(
    key: jax.Array, loss: Callable[[Any], jax.Array], params: Any, k: int, n_iters: int
) -> tuple[jax.Array, jax.Array]:
    """The k largest Hessian eigenvalues of loss at params by n_iters Lanczos steps on HVPs.

    Returns eigenvalues: (k,) descending, and eigenvectors: (k, n_params) unit rows, flat
    vectors in `ravel_pytree(params)` order (`unravel` a row to get a param-shaped pytree).
    """
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    alphas, betas, basis = lanczos(
        key, lambda v: hvp(flat_loss, flat, v), flat.size, n_iters, flat.dtype
    )
    thetas, vectors = ritz_pairs(alphas, betas, basis)
    return thetas[::-1][:k], vectors[::-1][:k]
