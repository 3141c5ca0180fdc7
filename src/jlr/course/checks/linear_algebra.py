"""Checks for exercises/02_linear_algebra.py, each against an independent oracle.

Oracles: numpy.linalg (lstsq, qr, solve, eigh, svd, matrix_rank, norm), scipy.linalg.null_space
and closed forms, in float64. Inputs are float32 from fixed seeds, so a learner sees the same
hint every run. Exercises that ask for a from-scratch algorithm refuse the library routine that
would do the work, however it is spelled (jnp.linalg, numpy.linalg, scipy.linalg, a name
imported from them: `jlr.course.guard.without`), and look inside the traced function for the
primitive (qr, eigh, svd...) that a wrapper such as `jnp.linalg.norm(a, 2)` hides
(`assert_no_primitive`). A known wrong formula is named by its own hint (`raise_if_mistake`).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import scipy.linalg

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64
from jlr.course.guard import (
    assert_close_or_mistake,
    assert_no_primitive,
    assert_no_square_intermediate,
    raise_if_mistake,
    without,
)
from jlr.linalg.svd import align_signs

SEEDS = (0, 1, 2)
LINALG_MODULES = ("jax.numpy.linalg", "numpy.linalg", "scipy.linalg", "jax.scipy.linalg")


def _refused(names: tuple[str, ...], why: str, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """{"jax.numpy.linalg.qr": why, "numpy.linalg.qr": why, ...}: each routine in `names`
    under every linalg module that has it, plus the dotted paths in `extra`."""
    calls = {}
    for module_name in LINALG_MODULES:
        module = importlib.import_module(module_name)
        calls.update({f"{module_name}.{name}": why for name in names if hasattr(module, name)})
    return calls | {path: why for path in extra}


def _f32(x: np.ndarray) -> jnp.ndarray:
    return jnp.asarray(x, dtype=jnp.float32)


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))[None, :]


def _with_singular_values(rng: np.random.Generator, m: int, n: int, s) -> np.ndarray:
    """U diag(s) V^T, rounded to float32 (the matrix the learner gets), as float64."""
    k = len(s)
    a = (_orthogonal(rng, m)[:, :k] * np.asarray(s)[None, :]) @ _orthogonal(rng, n)[:, :k].T
    return a.astype(np.float32).astype(np.float64)


def _symmetric(rng: np.random.Generator, eigenvalues) -> np.ndarray:
    q = _orthogonal(rng, len(eigenvalues))
    a = (q * np.asarray(eigenvalues)[None, :]) @ q.T
    return ((a + a.T) / 2).astype(np.float32).astype(np.float64)


def _as_bool(value, what: str) -> bool:
    value = np.asarray(value)
    if value.shape != () or value.dtype != bool:
        raise CheckFailed(f"{what} should be a single True/False, got {value!r}")
    return bool(value)


# -- Vector spaces and subspaces ------------------------------------------------------------


def check_project_onto_span(project_onto_span: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(6, 3)).astype(np.float32).astype(np.float64)
        dependent = seed == 2  # a dependent spanning set spans the same plane
        if dependent:
            a[:, 2] = a[:, 0] - 2 * a[:, 1]
        x = rng.normal(size=6).astype(np.float32).astype(np.float64)
        coeffs, *_ = np.linalg.lstsq(a, x, rcond=None)
        p = a @ coeffs
        got = f64(project_onto_span(_f32(a), _f32(x)))
        if got.shape == coeffs.shape:
            raise CheckFailed(
                "return the projection p = a @ c (shape (n,)), not the coefficients c"
            )
        mistakes = {
            "a @ a.T @ x is a projection only when a's columns are orthonormal; solve least "
            "squares for c (jnp.linalg.lstsq or pinv), then p = a @ c": a @ (a.T @ x),
            "that is the residual x - p; return the projection p = a @ c": x - p,
        }
        if dependent and not np.allclose(got, p, rtol=1e-4, atol=1e-4):
            raise_if_mistake(got, mistakes, rtol=1e-4, atol=1e-4)
            raise CheckFailed(
                "wrong projection when a has dependent columns (a^T a is singular): use "
                "jnp.linalg.lstsq or jnp.linalg.pinv, not the normal equations with inv/solve"
            )
        assert_close_or_mistake(
            got, p, mistakes, rtol=1e-4, atol=1e-4, what="project_onto_span(a, x)"
        )


def check_is_in_span(is_in_span: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(5, 2))
        inside = a @ rng.normal(size=2)
        residual = rng.normal(size=5)
        residual -= a @ np.linalg.lstsq(a, residual, rcond=None)[0]  # normal to col(a)
        near = inside + 1e-2 * np.linalg.norm(inside) * residual / np.linalg.norm(residual)
        cases = (
            (inside, True, "a @ c", "x = a @ c is in col(a): |x - p| is rounding only"),
            (near, False, "a @ c + 1% off",
             "x 1% off col(a) counted as inside at rtol=1e-3: test the norms "
             "|x - p| <= rtol * |x| (not squared norms)"),
            (1e-2 * near, False, "a small vector 1% off",
             "a small x 1% off col(a) counted as inside: rtol is relative, "
             "test |x - p| <= rtol * |x|, not |x - p| <= rtol"),
        )  # fmt: skip
        for x, expected, label, hint in cases:
            got = _as_bool(is_in_span(_f32(a), _f32(x), 1e-3), "is_in_span")
            if got != expected:
                raise CheckFailed(f"is_in_span(a, x={label}, rtol=1e-3) = {got}: {hint}")


# -- Span, basis, linear independence -------------------------------------------------------

QR_ROUTINES = _refused(
    ("qr", "rq", "cholesky", "svd", "eigh", "polar"),
    "modified Gram-Schmidt is the exercise: build q and r column by column",
)
QR_PRIMITIVES = {"qr", "geqrf", "householder_product", "cholesky", "svd", "eigh"}


def check_modified_gram_schmidt(modified_gram_schmidt: Callable) -> None:
    modified_gram_schmidt = without(modified_gram_schmidt, QR_ROUTINES)
    for seed, shape in zip(SEEDS, ((6, 4), (5, 5), (8, 3)), strict=True):
        a = np.random.default_rng(seed).normal(size=shape).astype(np.float32).astype(np.float64)
        q_ref, r_ref = np.linalg.qr(a)
        signs = np.sign(np.diag(r_ref))  # make diag(R) > 0: then QR is unique
        q_ref, r_ref = q_ref * signs[None, :], r_ref * signs[:, None]
        q, r = (f64(m) for m in modified_gram_schmidt(_f32(a)))
        assert_close(q, q_ref, rtol=1e-3, atol=1e-4, what="q")
        mistakes = {"r is upper triangular: r[k, j] = q_k . v_j for j > k (not r[j, k])": r_ref.T}
        assert_close_or_mistake(r, r_ref, mistakes, rtol=1e-3, atol=1e-4, what="r")
    assert_no_primitive(
        modified_gram_schmidt,
        (_f32(a),),
        QR_PRIMITIVES,
        "modified Gram-Schmidt is the exercise: no library QR, Cholesky, SVD or eigh",
    )
    # ill-conditioned (kappa = 1e4): classical GS loses orthogonality (~1e-2), modified keeps it
    a = _with_singular_values(np.random.default_rng(0), 10, 6, np.logspace(0, -4, 6))
    q, _ = modified_gram_schmidt(_f32(a))
    loss = np.linalg.norm(np.eye(6) - f64(q).T @ f64(q))
    if loss > 3e-3:
        raise CheckFailed(
            f"|I - q^T q| = {loss:.2g} on an ill-conditioned matrix: take r_kj from the updated "
            "column v_j, not the original a_j (that is classical Gram-Schmidt)"
        )


def check_is_linearly_independent(is_linearly_independent: Callable) -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(5, 3))
    dependent = base.copy()
    dependent[:, 2] = dependent[:, 0] - 2 * dependent[:, 1]
    nearly = dependent + 1e-2 * rng.normal(size=(5, 3))
    relative = "rtol is relative: count s_i > rtol * s_max, not s_i > rtol"
    cases = (
        (base, 1e-4, "3 random vectors in R^5", ""),
        (dependent, 1e-4, "v3 = v1 - 2 v2", "a dependent column leaves a ~0 singular value"),
        (rng.normal(size=(3, 4)), 1e-4, "4 vectors in R^3",
         "k vectors in R^n with k > n are always dependent (rank <= n < k)"),
        (nearly, 1e-4, "v3 = v1 - 2 v2 + 1% noise", ""),
        (nearly, 1e-1, "v3 = v1 - 2 v2 + 1% noise, rtol = 0.1",
         "use the rtol you are given: s_i <= rtol * s_max counts as zero"),
        (1e-5 * base, 1e-4, "3 random vectors of length ~1e-5", relative),
        (1e4 * nearly, 1e-1, "1e4 (v1, v2, v1 - 2 v2 + 1% noise), rtol = 0.1", relative),
    )  # fmt: skip
    for vectors, rtol, label, hint in cases:
        rounded = vectors.astype(np.float32).astype(np.float64)
        s = np.linalg.svd(rounded, compute_uv=False)
        expected = np.linalg.matrix_rank(rounded, tol=rtol * s[0]) == vectors.shape[1]
        got = _as_bool(is_linearly_independent(_f32(vectors), rtol), "is_linearly_independent")
        if got != expected:
            raise CheckFailed(
                f"is_linearly_independent({label}) = {got}, expected {bool(expected)}"
                + (f": {hint}" if hint else "")
            )


# -- Coordinate systems and change of basis -------------------------------------------------


def check_change_of_basis_matrix(change_of_basis_matrix: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n = 2 + seed
        old = (rng.normal(size=(n, n)) + 3 * np.eye(n)).astype(np.float32).astype(np.float64)
        new = (rng.normal(size=(n, n)) + 3 * np.eye(n)).astype(np.float32).astype(np.float64)
        p = f64(change_of_basis_matrix(_f32(old), _f32(new)))
        expected = np.linalg.solve(new, old)
        mistakes = {
            "that is the inverse map (c_new -> c_old): P = new_basis^{-1} old_basis, "
            "i.e. jnp.linalg.solve(new_basis, old_basis)": np.linalg.solve(old, new),
            "new_basis^T old_basis works only for an orthonormal new basis: use "
            "jnp.linalg.solve(new_basis, old_basis)": new.T @ old,
            "old_basis @ inv(new_basis) multiplies in the wrong order: P = new_basis^{-1} "
            "old_basis": old @ np.linalg.inv(new),
        }
        assert_close_or_mistake(p, expected, mistakes, rtol=1e-3, atol=1e-4, what="P")
        c_old = rng.normal(size=n)
        c_new = np.linalg.solve(new, old @ c_old)  # coordinates of the same x in the new basis
        assert_close(p @ c_old, c_new, rtol=1e-3, atol=1e-4, what="P @ c_old")


# -- Linear transformations and matrix interpretation ---------------------------------------

JACOBIANS = {
    name: "the exercise is to call f on the basis vectors e_j (column j of A is f(e_j))"
    for name in ("jax.jacfwd", "jax.jacrev", "jax.jacobian", "jax.hessian")
}


def check_matrix_of_linear_map(matrix_of_linear_map: Callable) -> None:
    matrix_of_linear_map = without(matrix_of_linear_map, JACOBIANS)
    m = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    c, s = np.cos(0.7), np.sin(0.7)
    cases = (
        (lambda x: _f32(m) @ x, 4, m, "x -> M x"),
        (jnp.cumsum, 5, np.tril(np.ones((5, 5))), "cumsum"),
        (lambda x: jnp.roll(x, 1), 4, np.roll(np.eye(4), 1, axis=0), "roll by 1"),
        (lambda x: jnp.stack([c * x[0] - s * x[1], s * x[0] + c * x[1]]), 2,
         np.array([[c, -s], [s, c]]), "rotation by 0.7 rad"),
        (lambda x: jnp.stack([x.sum(), x[0] - x[2]]), 3,
         np.array([[1.0, 1, 1], [1, 0, -1]]), "x -> (sum x, x0 - x2)"),
    )  # fmt: skip
    for f, d_in, expected, label in cases:
        got = matrix_of_linear_map(f, d_in)
        mistakes = {
            "column j of A is f(e_j): you put f(e_j) in row j (transpose: jax.vmap(f)(eye) "
            "stacks the outputs as rows)": expected.T
        }
        assert_close_or_mistake(
            got, expected, mistakes, rtol=1e-5, atol=1e-6, what=f"matrix of {label}"
        )


# -- Rank, null space, column space ---------------------------------------------------------


def check_null_space_basis(null_space_basis: Callable) -> None:
    null_space_basis = without(
        null_space_basis,
        {"scipy.linalg.null_space": "the exercise is to read the null space off the SVD"},
    )
    rng = np.random.default_rng(0)
    ints = rng.integers(-3, 4, size=(5, 4)).astype(np.float64)
    ints[:, 3] = ints[:, 0] + ints[:, 1]  # rank 3: a one-dimensional null space
    square = rng.integers(-3, 4, size=(4, 2)) @ rng.integers(-3, 4, size=(2, 4))  # rank <= 2
    wide = rng.normal(size=(3, 5))  # rank 3: thin SVD's vt has only 3 rows
    tiny = 1e-6 * ints  # singular values ~1e-6: all below an absolute cutoff of 1e-5
    for a in (ints, wide, square.astype(np.float64), tiny):
        a = a.astype(np.float32).astype(np.float64)
        m, n = a.shape
        s = np.linalg.svd(a, compute_uv=False)
        expected = scipy.linalg.null_space(a, rcond=1e-5)  # (n, n - r)
        r = n - expected.shape[1]
        basis = f64(null_space_basis(_f32(a), 1e-5))
        if basis.shape != expected.shape:
            if basis.shape == (n, n - int(np.sum(s > 1e-5))):
                raise CheckFailed(
                    f"null_space_basis(a {a.shape}) has shape {basis.shape}, expected "
                    f"{expected.shape}: rtol is relative, r = #{{s_i > rtol * s_max}}"
                )
            if m < n and basis.shape == (n, min(m, n) - r):
                raise CheckFailed(
                    f"null_space_basis(a {a.shape}) has shape {basis.shape}, expected "
                    f"{expected.shape}: use jnp.linalg.svd(a, full_matrices=True), so that "
                    "V^T has all n rows"
                )
            if basis.shape == expected.shape[::-1]:
                raise CheckFailed(
                    f"null_space_basis(a {a.shape}) has shape {basis.shape}, expected "
                    f"{expected.shape}: return the null vectors as columns, vt[r:].T"
                )
        assert_equal(basis.shape, expected.shape, what=f"null_space_basis(a {a.shape}).shape")
        k = basis.shape[1]
        scale = s[0]
        assert_close(basis.T @ basis, np.eye(k), atol=1e-4, what="N^T N (should be I)")
        assert_close(a @ basis / scale, np.zeros((m, k)), atol=1e-4, what="a @ N / s_max")
        # same subspace: the orthogonal projectors N N^T agree
        assert_close(basis @ basis.T, expected @ expected.T, atol=1e-4, what="N N^T")


# -- Eigenvalues and eigenvectors -----------------------------------------------------------

EIGEN_ROUTINES = _refused(
    ("eig", "eigh", "eigvals", "eigvalsh", "svd", "svdvals", "eigh_tridiagonal"),
    "power iteration is the exercise: repeat v <- a v / |a v| yourself",
    ("scipy.sparse.linalg.eigsh", "scipy.sparse.linalg.eigs", "scipy.sparse.linalg.svds"),
)
EIGEN_PRIMITIVES = {"eigh", "eig", "svd", "qr", "schur", "tridiagonal"}


def _power_iterate(a: np.ndarray, v0: np.ndarray, n_steps: int) -> tuple[float, np.ndarray]:
    """The docstring's algorithm in float64: exactly n_steps of v <- a v / |a v|."""
    v = v0 / np.linalg.norm(v0)
    for _ in range(n_steps):
        v = a @ v / np.linalg.norm(a @ v)
    return float(v @ a @ v), v


def check_power_iteration(power_iteration: Callable) -> None:
    power_iteration = without(power_iteration, EIGEN_ROUTINES)
    spectra = ([4.0, -1.5, 1.0, 0.3], [-5.0, 2.0, 1.0], [3.0, 1.0, 0.5, 0.2, 0.1])
    for seed, spectrum in zip(SEEDS, spectra, strict=True):
        rng = np.random.default_rng(seed)
        a = _symmetric(rng, spectrum)
        v0 = rng.normal(size=len(spectrum)).astype(np.float32).astype(np.float64)
        eigenvalue, eigenvector = power_iteration(_f32(a), _f32(v0), 100)
        values, vectors = np.linalg.eigh(a)
        top = np.argmax(np.abs(values))
        mistakes = {
            "|a v| loses the eigenvalue's sign: return the Rayleigh quotient v . (a v)": abs(
                values[top]
            )
        }
        assert_close_or_mistake(
            eigenvalue, values[top], mistakes, rtol=1e-4, atol=1e-5, what="eigenvalue"
        )
        v = f64(eigenvector)
        if v.shape == (len(spectrum),) and not np.isclose(np.linalg.norm(v), 1.0, rtol=1e-4):
            raise CheckFailed(f"|eigenvector| = {np.linalg.norm(v):.6g}: return the unit vector v")
        assert_close(abs(v @ vectors[:, top]), 1.0, rtol=1e-4, what="|v . true eigenvector|")
    # after exactly 3 steps the Rayleigh quotient is still ~1e-2 from the limit
    a = _symmetric(np.random.default_rng(3), spectra[0])
    v0 = np.random.default_rng(4).normal(size=4).astype(np.float32).astype(np.float64)

    def twenty_steps(a, v0):
        return power_iteration(a, v0, 20)

    why = "power iteration is the exercise: only matrix-vector products and norms"
    assert_no_primitive(twenty_steps, (_f32(a), _f32(v0)), EIGEN_PRIMITIVES, why)
    expected, v3 = _power_iterate(a, v0, 3)
    eigenvalue, eigenvector = power_iteration(_f32(a), _f32(v0), 3)
    mistakes = {
        "do exactly n_steps updates v <- a v / |a v| (you did one fewer), then return "
        "v . (a v)": _power_iterate(a, v0, 2)[0],
        "do exactly n_steps updates v <- a v / |a v| (you did one more), then return "
        "v . (a v)": _power_iterate(a, v0, 4)[0],
        "run exactly n_steps updates, not until convergence": _power_iterate(a, v0, 200)[0],
    }
    assert_close_or_mistake(
        eigenvalue, expected, mistakes, rtol=1e-5, atol=1e-5, what="eigenvalue after 3 steps"
    )
    assert_close(abs(f64(eigenvector) @ v3), 1.0, rtol=1e-5, what="|v . v_3| after 3 steps")


# -- Spectral norms and conditioning --------------------------------------------------------

NORM_ROUTINES = _refused(
    ("eig", "eigh", "eigvals", "eigvalsh", "svd", "svdvals", "matrix_norm"),
    "the exercise is power iteration on a^T a: v <- a^T (a v) / |a^T (a v)|",
    ("scipy.sparse.linalg.eigsh", "scipy.sparse.linalg.svds"),
)


def check_spectral_norm(spectral_norm: Callable) -> None:
    spectral_norm = without(spectral_norm, NORM_ROUTINES)
    for seed, shape in zip(SEEDS, ((5, 3), (3, 6), (4, 4)), strict=True):
        rng = np.random.default_rng(seed)
        k = min(shape)
        a = _with_singular_values(
            rng, *shape, np.linspace(3.0, 0.5, k) * np.r_[1.5, np.ones(k - 1)]
        )
        sigma = spectral_norm(_f32(a), _f32(rng.normal(size=shape[1])), 100)
        two_norm = np.linalg.norm(a, 2)
        mistakes = {
            "that is the Frobenius norm sqrt(sum a_ij^2); |a|_2 is the largest singular "
            "value": np.linalg.norm(a),
            "that is sigma^2, the top eigenvalue of a^T a: return sigma = |a v|": two_norm**2,
        }
        assert_close_or_mistake(
            sigma, two_norm, mistakes, rtol=1e-4, atol=1e-6, what="spectral_norm(a)"
        )
    # a (5, 7) matrix: a^T a would be the only (7, 7) value, a a^T the only (5, 5) one
    rng = np.random.default_rng(5)
    a, v0 = _f32(rng.normal(size=(5, 7))), _f32(rng.normal(size=7))

    def traced(a, v0):
        return spectral_norm(a, v0, 30)

    why = "the exercise is power iteration on a^T a, never forming it or taking an SVD"
    assert_no_primitive(traced, (a, v0), {"svd", "eigh", "eig", "qr"}, why)
    assert_no_square_intermediate(traced, (a, v0), 7, "apply a^T (a v), never form a^T a")
    assert_no_square_intermediate(traced, (a, v0), 5, "apply a^T (a v), never form a a^T")


def _gd_steps(h: np.ndarray, x0: np.ndarray, lr: float, threshold: float) -> list[float]:
    """|x_k| for k = 0, 1, ... until |x_k| <= threshold, gradient descent in float64."""
    x, norms = x0.copy(), [np.linalg.norm(x0)]
    while norms[-1] > threshold and len(norms) < 100_000:
        x = x - lr * (h @ x)
        norms.append(np.linalg.norm(x))
    return norms


def _gd_case(seed: int, kappa: float, tol: float) -> dict:
    """One test problem: h, x0, the right count, and what each known mistake counts."""
    rng = np.random.default_rng(seed)
    h = _symmetric(rng, np.linspace(kappa, 1.0, 3))
    x0 = (10 * rng.normal(size=3)).astype(np.float32).astype(np.float64)  # |x0| ~ 10, not 1
    eigenvalues = np.linalg.eigvalsh(h)
    mu, big_l = eigenvalues[0], eigenvalues[-1]
    threshold = tol * np.linalg.norm(x0)
    norms = _gd_steps(h, x0, 1.0 / big_l, threshold)
    expected = len(norms) - 1
    # float32 may move the crossing by one step only if it is this close to the threshold
    near = expected > 0 and min(norms[-2] / threshold - 1, 1 - norms[-1] / threshold) < 1e-3
    bounds = tol < 1  # the theory formulas say nothing at tol >= 1 (0 steps)
    mistakes = {
        "that is the theory bound kappa log(1/tol), not the count: run gradient descent and "
        "count its steps": math.ceil(big_l / mu * math.log(1 / tol)) if bounds else None,
        "that is the slowest mode's rate log(tol) / log(1 - 1/kappa), not the count: run "
        "gradient descent and count its steps": (
            math.ceil(math.log(tol) / math.log1p(-mu / big_l)) if bounds else None
        ),
        "the step size is 1/L = 1/lambda_max(h), not 2/(L + mu)": (
            len(_gd_steps(h, x0, 2 / (big_l + mu), threshold)) - 1
        ),
        "stop when |x_k| <= tol * |x_0| (relative to the start), not |x_k| <= tol": (
            len(_gd_steps(h, x0, 1.0 / big_l, tol)) - 1
        ),
        "test |x_k| <= tol |x_0| before each update, not after: when x_0 already passes, "
        "the count is 0": max(expected, 1),
        "count the updates x <- x - (1/L) h x made until |x_k| <= tol |x_0|: yours is one "
        "more": expected + 1,
        "count the updates x <- x - (1/L) h x made until |x_k| <= tol |x_0|: yours is one "
        "fewer": expected - 1,
    }
    return {
        "h": h,
        "x0": x0,
        "tol": tol,
        "kappa": kappa,
        "expected": expected,
        "near": near,
        "mistakes": mistakes,
    }


GD_CASES = ((0, 2.0, 1e-4), (1, 10.0, 1e-4), (2, 40.0, 1e-4), (0, 2.0, 1.0))


def check_gd_steps_on_quadratic(gd_steps_on_quadratic: Callable) -> None:
    cases = [_gd_case(*case) for case in GD_CASES]
    counts = [int(gd_steps_on_quadratic(_f32(c["h"]), _f32(c["x0"]), c["tol"])) for c in cases]
    wrong = [
        (c, got)
        for c, got in zip(cases, counts, strict=True)
        if got != c["expected"] and not (c["near"] and abs(got - c["expected"]) == 1)
    ]
    if not wrong:
        return
    case, got = wrong[0]
    what = (
        f"gd_steps_on_quadratic(kappa={case['kappa']:g}, tol={case['tol']:g}) = {got}, "
        f"expected {case['expected']}"
    )
    for hint in case["mistakes"]:  # the mistake that explains every count, not just one
        predicted = [c["mistakes"][hint] for c in cases]
        if all(p is None or p == count for p, count in zip(predicted, counts, strict=True)):
            raise CheckFailed(f"{what}: {hint}")
    raise CheckFailed(f"{what}: step size 1/lambda_max, stop as soon as |x_k| <= tol |x_0|")


# -- Singular Value Decomposition (SVD) -----------------------------------------------------

SVD_ROUTINES = _refused(
    ("svd", "svdvals"),
    "the exercise is the SVD from jnp.linalg.eigh(a^T a)",
    ("scipy.sparse.linalg.svds",),
)


def check_svd_from_eigh(svd_from_eigh: Callable) -> None:
    svd_from_eigh = without(svd_from_eigh, SVD_ROUTINES)
    for seed, shape in zip(SEEDS, ((6, 4), (5, 3), (4, 4)), strict=True):
        rng = np.random.default_rng(seed)
        a = _with_singular_values(rng, *shape, np.linspace(3.0, 0.5, shape[1]))
        u, s, vt = (f64(m) for m in svd_from_eigh(_f32(a)))
        u_ref, s_ref, vt_ref = np.linalg.svd(a, full_matrices=False)
        mistakes = {
            "sort s in descending order (eigh returns ascending eigenvalues: reverse s and "
            "the columns of V)": s_ref[::-1],
            "s_i = sqrt(lambda_i): the eigenvalues of a^T a are the squared singular values": s_ref
            ** 2,
        }
        assert_close_or_mistake(s, s_ref, mistakes, rtol=1e-4, atol=1e-5, what="s (descending)")
        assert_equal(u.shape, u_ref.shape, what="u.shape")
        assert_equal(vt.shape, vt_ref.shape, what="vt.shape")
        if np.allclose(np.linalg.norm(u, axis=0), s, rtol=1e-3) and not np.allclose(s, 1.0):
            raise CheckFailed("the columns of u must be unit vectors: u_i = a v_i / s_i")
        if not np.allclose((u * s[None, :]) @ vt, a, atol=1e-4) and np.allclose(
            (u * s[None, :]) @ vt.T, a, atol=1e-4
        ):
            raise CheckFailed("vt is V^T: its rows are the right singular vectors (transpose V)")
        assert_close((u * s[None, :]) @ vt, a, atol=1e-4, what="u @ diag(s) @ vt")
        u, vt = align_signs(u, vt)  # the sign of each (u_i, v_i) is free
        u_ref, vt_ref = align_signs(u_ref, vt_ref)
        assert_close(vt, vt_ref, atol=1e-3, what="vt (up to the sign of each row)")
        assert_close(u, u_ref, atol=1e-3, what="u (up to the sign of each column)")
    assert_no_primitive(
        svd_from_eigh,
        (_f32(a),),
        {"svd"},
        "the exercise is the SVD from eigh(a^T a), with no library SVD inside",
    )


# -- Low-rank approximations and information compression ------------------------------------


def check_rank_k_approximation(rank_k_approximation: Callable) -> None:
    for seed, k in zip(SEEDS, (1, 2, 4), strict=True):
        a = np.random.default_rng(seed).normal(size=(6, 5)).astype(np.float32).astype(np.float64)
        u, s, vt = np.linalg.svd(a, full_matrices=False)

        def truncated(keep, weights=s, u=u, vt=vt):
            return (u[:, keep] * weights[keep][None, :]) @ vt[keep]  # (6, j) @ (j, 5)

        a_k = f64(rank_k_approximation(_f32(a), k))
        mistakes = {
            "keep the k largest singular values (the first k of svd's descending s), not "
            "the smallest": truncated(slice(5 - k, 5)),
            "keep exactly k singular triplets: u[:, :k], s[:k], vt[:k] (you kept k + 1)": (
                truncated(slice(0, k + 1))
            ),
            "keep exactly k singular triplets: u[:, :k], s[:k], vt[:k] (you kept k - 1)": (
                truncated(slice(0, k - 1))
            ),
            "scale by the singular values: a_k = u_k diag(s_k) vt_k": truncated(
                slice(0, k), np.ones_like(s)
            ),
        }
        assert_close_or_mistake(
            a_k, truncated(slice(0, k)), mistakes, rtol=1e-4, atol=1e-4, what=f"a_k (k={k})"
        )
        error = np.linalg.norm(a - a_k, 2)
        assert_close(error, s[k], rtol=1e-3, what=f"|a - a_k|_2 (Eckart-Young: s_{k + 1})")


def check_explained_variance_ratio(explained_variance_ratio: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        scales = np.array([5.0, 2.0, 1.0, 0.5, 0.1])
        x = (rng.normal(size=(40, 5)) * scales[None, :] @ _orthogonal(rng, 5) + 3.0).astype(
            np.float32
        )
        x64 = x.astype(np.float64)
        s = np.linalg.svd(x64 - x64.mean(axis=0, keepdims=True), compute_uv=False)
        expected = s**2 / np.sum(s**2)
        raw = np.linalg.svd(x64, compute_uv=False)
        by_rows = np.linalg.svd(x64 - x64.mean(axis=1, keepdims=True), compute_uv=False)
        mistakes = {
            "center the data first: subtract each column's mean (x - x.mean(axis=0))": (
                raw**2 / np.sum(raw**2)
            ),
            "subtract the mean of each column (axis=0), not of each row": (
                by_rows**2 / np.sum(by_rows**2)
            ),
            "square the singular values: the variance along direction i is s_i^2 / (n - 1)": (
                s / np.sum(s)
            ),
            "divide by the total sum_j s_j^2, so the ratios sum to 1": s**2 / (x.shape[0] - 1),
            "return the ratios in descending order, largest first": expected[::-1],
        }
        got = explained_variance_ratio(jnp.asarray(x))
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-3, atol=1e-6, what="ratios")


EXERCISES: tuple[Exercise, ...] = (
    Exercise("project_onto_span", "Vector spaces and subspaces", check_project_onto_span),
    Exercise("is_in_span", "Vector spaces and subspaces", check_is_in_span),
    Exercise(
        "modified_gram_schmidt", "Span, basis, linear independence", check_modified_gram_schmidt
    ),
    Exercise(
        "is_linearly_independent",
        "Span, basis, linear independence",
        check_is_linearly_independent,
    ),
    Exercise(
        "change_of_basis_matrix",
        "Coordinate systems and change of basis",
        check_change_of_basis_matrix,
    ),
    Exercise(
        "matrix_of_linear_map",
        "Linear transformations and matrix interpretation",
        check_matrix_of_linear_map,
    ),
    Exercise("null_space_basis", "Rank, null space, column space", check_null_space_basis),
    Exercise("power_iteration", "Eigenvalues and eigenvectors", check_power_iteration),
    Exercise("spectral_norm", "Spectral norms and conditioning", check_spectral_norm),
    Exercise(
        "gd_steps_on_quadratic", "Spectral norms and conditioning", check_gd_steps_on_quadratic
    ),
    Exercise("svd_from_eigh", "Singular Value Decomposition (SVD)", check_svd_from_eigh),
    Exercise(
        "rank_k_approximation",
        "Low-rank approximations and information compression",
        check_rank_k_approximation,
    ),
    Exercise(
        "explained_variance_ratio",
        "Low-rank approximations and information compression",
        check_explained_variance_ratio,
    ),
)
