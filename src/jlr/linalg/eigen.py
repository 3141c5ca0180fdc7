r"""Eigenvalues and eigenvectors by power iteration and deflation.

Power iteration repeats v <- A v / |A v|, touching A only through its matvec v -> A v (so A
may be a matrix, A^T A never formed, or a Hessian applied by Hessian-vector products).
Writing v_0 = sum_i c_i x_i in eigenvectors, A^k v_0 = sum_i c_i lambda_i^k x_i, so v_k turns
towards x_1 (|lambda_1| > |lambda_2|) with error ~ |lambda_2 / lambda_1|^k; the Rayleigh
quotient rho(v) = v^T A v / v^T v estimates lambda_1, with error ~ |lambda_2 / lambda_1|^(2k)
when A is symmetric.

Deflation removes a found pair so the next power iteration finds the next one. For symmetric A
(orthogonal eigenvectors) Hotelling's deflation A - lambda_1 v_1 v_1^T keeps every other
eigenpair. For a non-normal A (A A^T != A^T A: eigenvectors not orthogonal) it keeps the other
eigenvalues (Wielandt: A - v_1 z^T has spectrum {0, lambda_2, ...} whenever z^T v_1 = lambda_1)
but *changes their eigenvectors*, so the vectors it finds are not eigenvectors of A. The update
that keeps them needs the left eigenvector w_1 (w_1^T A = lambda_1 w_1^T, so w_1 . x_i = 0 for
i > 1):

    A - lambda_1 v_1 w_1^T / (w_1^T v_1)         (two-sided deflation).

Non-normal matrices misbehave in more ways a learner meets in RNNs and optimizers: the Rayleigh
quotient converges only like |lambda_2 / lambda_1|^k (not squared); |A^k| can grow for many
steps even when every |lambda_i| < 1 (transient growth); and eigenvalues can move far more
than the perturbation that moved them.
Source: Golub & Van Loan, Matrix Computations, sections 7.3 and 8.2; Saad, Numerical Methods
for Large Eigenvalue Problems, ch. 4; Trefethen & Embree, Spectra and Pseudospectra.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp


def rayleigh_quotient(a: jax.Array, v: jax.Array) -> jax.Array:
    """rho(v) = v^T A v / v^T v. a: (n, n), v: (n,) -> ()."""
    return v @ (a @ v) / (v @ v)


def power_iteration(
    matvec: Callable[[jax.Array], jax.Array], v0: jax.Array, n_steps: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The dominant eigenpair of a linear map A, given as its matvec v -> A v.

    n_steps of v <- A v / |A v| from v0; the map is only ever applied, never formed (as
    `jax.scipy.sparse.linalg.cg` takes a matvec): a matrix is `lambda v: a @ v`, A^T A is
    `lambda v: a.T @ (a @ v)` (`spectral_norm`), a Hessian is a Hessian-vector product
    (`jlr.landscape.sharpness`).
    matvec: (n,) -> (n,), v0: (n,) -> eigenvalue (), eigenvector (n,) unit, estimates
    (n_steps,): the Rayleigh quotient v_k . A v_k after each step k = 1..n_steps, to watch
    it converge (the steps are fixed; how far the estimates still move is the convergence
    report). If A v = 0 the vector stays put and the eigenvalue is 0 (e.g. A = 0), never
    NaN. n_steps + 1 matvecs in all; jit the caller to compile them once.
    """

    def step(carry, _):
        v, av = carry
        norm = jnp.linalg.norm(av)
        v = jnp.where(norm > 0, av / jnp.where(norm > 0, norm, 1.0), v)  # (n,); A v = 0: stay
        av = matvec(v)  # (n,)
        return (v, av), v @ av  # |v| = 1: the Rayleigh quotient is v . A v

    v0 = v0 / jnp.linalg.norm(v0)
    (v, _), estimates = jax.lax.scan(step, (v0, matvec(v0)), length=n_steps)
    return estimates[-1], v, estimates


def hotelling_deflate(a: jax.Array, eigenvalue: jax.Array, eigenvector: jax.Array) -> jax.Array:
    """A - lambda v v^T (v unit): removes (lambda, v), keeping the other eigenvectors if a = a^T.

    a: (n, n), eigenvalue: (), eigenvector: (n,) -> (n, n)
    """
    return a - eigenvalue * jnp.outer(eigenvector, eigenvector)


def two_sided_deflate(
    a: jax.Array, eigenvalue: jax.Array, right: jax.Array, left: jax.Array
) -> jax.Array:
    """A - lambda v w^T / (w^T v): removes (lambda, v) from any diagonalizable a.

    a: (n, n), eigenvalue: (), right, left: (n,) right and left eigenvectors -> (n, n)
    """
    return a - eigenvalue * jnp.outer(right, left) / (left @ right)


def top_eigenpairs(
    key: jax.Array, a: jax.Array, k: int, n_steps: int = 200
) -> tuple[jax.Array, jax.Array]:
    """The k eigenpairs of largest |lambda| of a symmetric a, by power iteration + deflation.

    key: random start vectors; a: (n, n) symmetric -> eigenvalues (k,), eigenvectors (n, k)
    """
    eigenvalues, eigenvectors = [], []
    for start_key in jax.random.split(key, k):
        v0 = jax.random.normal(start_key, (a.shape[0],), a.dtype)
        eigenvalue, eigenvector, _ = power_iteration(partial(jnp.matmul, a), v0, n_steps)
        a = hotelling_deflate(a, eigenvalue, eigenvector)
        eigenvalues.append(eigenvalue)
        eigenvectors.append(eigenvector)
    return jnp.stack(eigenvalues), jnp.stack(eigenvectors, axis=1)


@partial(jax.jit, static_argnames=("n_steps",))
def power_norms(a: jax.Array, n_steps: int) -> jax.Array:
    """|A^k|_2 for k = 0..n_steps: transient growth of a non-normal a. -> (n_steps + 1,)."""

    def step(power, _):
        power = a @ power
        return power, jnp.linalg.norm(power, ord=2)

    eye = jnp.eye(a.shape[0], dtype=a.dtype)
    _, norms = jax.lax.scan(step, eye, length=n_steps)
    return jnp.concatenate([jnp.ones((1,), a.dtype), norms])
