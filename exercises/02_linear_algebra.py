"""Lesson 02 exercises, linear algebra for representation learning: run `jlr check 02`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy. Build the
algorithms from scratch where the docstring says so (power iteration, Gram-Schmidt, ...): there
the library routine that would do the work (jnp.linalg, numpy.linalg or scipy.linalg, however
imported) is off limits, and the checker traces your function with jax.make_jaxpr to look for
it inside, so keep those functions in jax.numpy (no numpy or float() on their arrays). The
checker compares your answers with numpy/scipy on random float32 inputs, so match them to
about 1e-4 relative error. `jlr progress` shows what you have done.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp


def project_onto_span(a: jax.Array, x: jax.Array) -> jax.Array:
    """Orthogonal projection of x onto the column space of a.

    p = a c*, with c* = argmin_c |a c - x|^2 (least squares; a may have dependent columns).
    a: (n, k), x: (n,) -> p: (n,)
    Hint: jnp.linalg.lstsq, or jnp.linalg.pinv.
    """
    raise NotImplementedError


def is_in_span(a: jax.Array, x: jax.Array, rtol: float) -> bool:
    """True when x lies in col(a): |x - p| <= rtol * |x|, p the projection of x onto col(a).

    rtol is relative: compare the norm of the residual with rtol times the norm of x.
    a: (n, k), x: (n,), rtol: float -> bool
    """
    raise NotImplementedError


def modified_gram_schmidt(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """QR by modified Gram-Schmidt, from scratch: no QR, Cholesky, SVD or eigh routine of
    jnp.linalg, numpy.linalg or scipy.linalg (the checker looks inside the traced function).

    For k = 0..n-1: r_kk = |v_k|, q_k = v_k / r_kk, then for every later column j > k:
    r_kj = q_k . v_j and v_j <- v_j - r_kj q_k  (v starts as a copy of a's columns).
    a: (m, n), m >= n, independent columns -> q: (m, n) with q^T q = I, r: (n, n) upper
    triangular with positive diagonal, and q @ r = a.
    Hint: jnp arrays are immutable; use v = v.at[:, j].set(...) or build lists of columns.
    """
    raise NotImplementedError


def is_linearly_independent(vectors: jax.Array, rtol: float) -> bool:
    """True when the columns of vectors are linearly independent.

    Independent iff rank == number of columns; count singular values s_i > rtol * s_max
    (rtol is relative to the largest singular value, so scaling the vectors changes nothing).
    vectors: (n, k), rtol: float -> bool
    """
    raise NotImplementedError


def change_of_basis_matrix(old_basis: jax.Array, new_basis: jax.Array) -> jax.Array:
    """P such that c_new = P c_old, where x = old_basis @ c_old = new_basis @ c_new.

    old_basis, new_basis: (n, n), columns are basis vectors -> P: (n, n)
    Hint: P = new_basis^{-1} old_basis; prefer jnp.linalg.solve to an explicit inverse.
    """
    raise NotImplementedError


def matrix_of_linear_map(f: Callable[[jax.Array], jax.Array], d_in: int) -> jax.Array:
    """The matrix A of a linear map f: R^d_in -> R^d_out, so that f(x) = A x.

    Only call f: column j of A is f(e_j), e_j the j-th standard basis vector (no jax.jacfwd,
    jax.jacrev or jax.jacobian: they do exactly this for you).
    f: linear function (d_in,) -> (d_out,), d_in: int -> A: (d_out, d_in)
    """
    raise NotImplementedError


def null_space_basis(a: jax.Array, rtol: float) -> jax.Array:
    """An orthonormal basis of the null space {x : a x = 0}, from the SVD.

    With a = U diag(s) V^T (full_matrices=True) and r = #{s_i > rtol * s_max}, the basis is
    the last n - r rows of V^T, as columns (scipy.linalg.null_space is off limits).
    a: (m, n), rtol: float -> N: (n, n - r) with a @ N ~ 0 and N^T N = I
    """
    raise NotImplementedError


def power_iteration(a: jax.Array, v0: jax.Array, n_steps: int) -> tuple[jax.Array, jax.Array]:
    """The eigenpair of largest |eigenvalue| of a symmetric a, by power iteration from scratch.

    Repeat exactly n_steps times: v <- a v / |a v|. Return the Rayleigh quotient v . (a v) (it
    keeps the eigenvalue's sign) and the unit vector v. No eig/eigh/svd routine of jnp.linalg,
    numpy.linalg or scipy.linalg (the checker looks inside the traced function).
    a: (n, n), v0: (n,), n_steps: int -> eigenvalue: (), eigenvector: (n,)
    """
    raise NotImplementedError


def spectral_norm(a: jax.Array, v0: jax.Array, n_steps: int) -> jax.Array:
    """|a|_2 = sigma_max(a) by power iteration on a^T a, without forming a^T a or an SVD.

    Repeat v <- a^T (a v) / |a^T (a v)|, then sigma = |a v|. No SVD or eigen routine, nor
    jnp.linalg.norm(a, 2) (an SVD inside); never build a^T a or a a^T (the checker traces your
    function and looks for them).
    a: (m, n), v0: (n,), n_steps: int -> sigma: ()
    """
    raise NotImplementedError


def gd_steps_on_quadratic(h: jax.Array, x0: jax.Array, tol: float) -> int:
    """Steps of gradient descent on f(x) = 1/2 x^T h x with step size 1/L, L = lambda_max(h),
    until |x_k| <= tol |x_0| (the minimum is at 0; the gradient is h x).

    Run the iteration and count the updates x <- x - (1/L) h x, testing before each update
    (0 if x_0 already passes). The theory bound k <= kappa log(1/tol), kappa =
    lambda_max / lambda_min, is not the answer: the true count depends on x_0.
    h: (d, d) symmetric positive definite, x0: (d,), tol: float -> number of steps k (int)
    """
    raise NotImplementedError


def svd_from_eigh(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The thin SVD of a tall full-rank a from jnp.linalg.eigh(a^T a): no SVD routine of
    jnp.linalg, numpy.linalg or scipy.linalg, nor one with an SVD inside (pinv, norm(a, 2)).

    a^T a = V diag(s^2) V^T; sort so s is descending; u_i = a v_i / s_i.
    a: (m, n), m >= n -> u: (m, n), s: (n,) descending, vt: (n, n), with a = u diag(s) vt
    """
    raise NotImplementedError


def rank_k_approximation(a: jax.Array, k: int) -> jax.Array:
    """The best rank-k approximation of a (Eckart-Young): keep the k largest singular triplets.

    a: (m, n), k: int -> a_k: (m, n), with |a - a_k|_2 = s_{k+1}
    """
    raise NotImplementedError


def explained_variance_ratio(x: jax.Array) -> jax.Array:
    """The fraction of the data's variance along each principal direction (PCA).

    Center x (subtract the mean of each column), take its singular values s (descending), and
    return s_i^2 / sum_j s_j^2.
    x: (n_samples, d), n_samples > d -> ratios: (d,), descending, summing to 1
    """
    raise NotImplementedError
