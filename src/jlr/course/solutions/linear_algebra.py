"""Reference solutions to lesson 02's exercises (``exercises/02_linear_algebra.py``).

Where `jlr.linalg` defines the concept an exercise asks for, the solution is the library's
function (or a call to it, where the exercise's signature differs): the concept is written
once, in the module named for it, and tested there against numpy and scipy. The others are
written out the way a learner would, with plain loops and jax.numpy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.linalg import conditioning, eigen
from jlr.linalg.change_of_basis import change_of_basis_matrix
from jlr.linalg.gram_schmidt import modified_gram_schmidt
from jlr.linalg.linear_maps import matrix_of as matrix_of_linear_map
from jlr.linalg.low_rank import rank_k_approximation
from jlr.linalg.pca import fit_pca
from jlr.linalg.rank import are_independent, null_space
from jlr.linalg.subspaces import in_span as is_in_span
from jlr.linalg.subspaces import project_onto_span
from jlr.linalg.svd import svd_via_eigh as svd_from_eigh
from jlr.optim import iterations_to_converge, sgd

__all__ = [
    "change_of_basis_matrix",
    "is_in_span",
    "matrix_of_linear_map",
    "modified_gram_schmidt",
    "project_onto_span",
    "rank_k_approximation",
    "svd_from_eigh",
]


def is_linearly_independent(vectors: jax.Array, rtol: float) -> bool:
    """rank == number of columns, counting s_i <= rtol s_max as zero. vectors: (n, k) -> bool"""
    return are_independent(vectors, tol=rtol * jnp.linalg.norm(vectors, ord=2))


def null_space_basis(a: jax.Array, rtol: float) -> jax.Array:
    """Orthonormal basis of {x : a x = 0}, counting s_i <= rtol s_max as zero. -> (n, n - r)"""
    return null_space(a, tol=rtol * jnp.linalg.norm(a, ord=2))


def power_iteration(a: jax.Array, v0: jax.Array, n_steps: int) -> tuple[jax.Array, jax.Array]:
    """Dominant eigenpair: the library's power iteration on the matvec v -> a v.
    a: (n, n), v0: (n,) -> (), (n,)"""
    eigenvalue, eigenvector, _ = eigen.power_iteration(lambda v: a @ v, v0, n_steps)
    return eigenvalue, eigenvector


def spectral_norm(a: jax.Array, v0: jax.Array, n_steps: int) -> jax.Array:
    """sigma_max by power iteration on a^T a. a: (m, n), v0: (n,) -> ()"""
    return conditioning.spectral_norm(a, v0, n_steps)[0]


def gd_steps_on_quadratic(h: jax.Array, x0: jax.Array, tol: float) -> int:
    """GD with lr = 1/L on 1/2 x^T h x until |x| <= tol |x0|: `sgd(1/L)` counted by
    `jlr.optim.iterations_to_converge` on the matvec x -> h x. -> int"""
    lr = 1.0 / jnp.linalg.eigvalsh(h)[-1]
    return int(iterations_to_converge(sgd(lr), lambda x: h @ x, x0, tol))


def explained_variance_ratio(x: jax.Array) -> jax.Array:
    """s_i^2 / sum s_j^2 of the centered data: PCA's ratios. x: (n_samples, d) -> (d,)"""
    return fit_pca(x, x.shape[1])["explained_variance_ratio"]
