"""Checks for exercises/02_linear_algebra.py, each against an independent oracle.

Oracles: numpy.linalg (lstsq, qr, solve, eigh, svd, matrix_rank, norm), scipy.linalg.null_space
and closed forms. Inputs are float32 from fixed seeds, so a learner sees the same hint every
run. Exercises that ask for a from-scratch algorithm hide the jnp.linalg routine that would do
the work (it raises CheckFailed while the learner's function runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jax.numpy as jnp
import numpy as np
import scipy.linalg

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal
from jlr.linalg.svd import align_signs

SEEDS = (0, 1, 2)


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


@contextmanager
def _forbidden(*names: str) -> Iterator[None]:
    """Replace jnp.linalg.<name> by a function that fails with a hint, for a from-scratch task."""
    saved = {name: getattr(jnp.linalg, name) for name in names}

    def refuse(name: str) -> Callable:
        def refused(*args, **kwargs):
            raise CheckFailed(f"build it from scratch: jnp.linalg.{name} is off limits here")

        return refused

    try:
        for name in names:
            setattr(jnp.linalg, name, refuse(name))
        yield
    finally:
        for name, function in saved.items():
            setattr(jnp.linalg, name, function)


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
        if seed == 2:  # a dependent spanning set spans the same plane
            a[:, 2] = a[:, 0] - 2 * a[:, 1]
        x = rng.normal(size=6).astype(np.float32).astype(np.float64)
        coeffs, *_ = np.linalg.lstsq(a, x, rcond=None)
        got = project_onto_span(_f32(a), _f32(x))
        assert_close(got, a @ coeffs, rtol=1e-4, atol=1e-4, what="project_onto_span(a, x)")


def check_is_in_span(is_in_span: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(5, 2))
        inside = a @ rng.normal(size=2)
        residual = rng.normal(size=5)
        residual -= a @ np.linalg.lstsq(a, residual, rcond=None)[0]  # normal to col(a)
        near = inside + 1e-2 * np.linalg.norm(inside) * residual / np.linalg.norm(residual)
        for x, expected, label in ((inside, True, "a @ c"), (near, False, "a @ c + 1% off")):
            got = _as_bool(is_in_span(_f32(a), _f32(x), 1e-3), "is_in_span")
            assert_equal(got, expected, what=f"is_in_span(a, x={label}, rtol=1e-3)")


# -- Span, basis, linear independence -------------------------------------------------------


def check_modified_gram_schmidt(modified_gram_schmidt: Callable) -> None:
    for seed, shape in zip(SEEDS, ((6, 4), (5, 5), (8, 3)), strict=True):
        a = np.random.default_rng(seed).normal(size=shape).astype(np.float32).astype(np.float64)
        q_ref, r_ref = np.linalg.qr(a)
        signs = np.sign(np.diag(r_ref))  # make diag(R) > 0: then QR is unique
        q_ref, r_ref = q_ref * signs[None, :], r_ref * signs[:, None]
        with _forbidden("qr"):
            q, r = modified_gram_schmidt(_f32(a))
        assert_close(q, q_ref, rtol=1e-3, atol=1e-4, what="q")
        assert_close(r, r_ref, rtol=1e-3, atol=1e-4, what="r")
    # ill-conditioned (kappa = 1e4): classical GS loses orthogonality (~1e-2), modified keeps it
    a = _with_singular_values(np.random.default_rng(0), 10, 6, np.logspace(0, -4, 6))
    with _forbidden("qr"):
        q, _ = modified_gram_schmidt(_f32(a))
    loss = np.linalg.norm(np.eye(6) - np.asarray(q, np.float64).T @ np.asarray(q, np.float64))
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
    cases = (
        (base, 1e-4, "3 random vectors in R^5"),
        (dependent, 1e-4, "v3 = v1 - 2 v2"),
        (rng.normal(size=(3, 4)), 1e-4, "4 vectors in R^3"),
        (nearly, 1e-4, "v3 = v1 - 2 v2 + 1% noise"),
        (nearly, 1e-1, "v3 = v1 - 2 v2 + 1% noise, rtol = 0.1"),
    )
    for vectors, rtol, label in cases:
        s = np.linalg.svd(vectors.astype(np.float32).astype(np.float64), compute_uv=False)
        expected = np.linalg.matrix_rank(vectors, tol=rtol * s[0]) == vectors.shape[1]
        got = _as_bool(is_linearly_independent(_f32(vectors), rtol), "is_linearly_independent")
        assert_equal(got, bool(expected), what=f"is_linearly_independent({label})")


# -- Coordinate systems and change of basis -------------------------------------------------


def check_change_of_basis_matrix(change_of_basis_matrix: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n = 2 + seed
        old = (rng.normal(size=(n, n)) + 3 * np.eye(n)).astype(np.float32).astype(np.float64)
        new = (rng.normal(size=(n, n)) + 3 * np.eye(n)).astype(np.float32).astype(np.float64)
        p = change_of_basis_matrix(_f32(old), _f32(new))
        c_old = rng.normal(size=n)
        c_new = np.linalg.solve(new, old @ c_old)  # coordinates of the same x in the new basis
        assert_close(
            np.asarray(p, np.float64) @ c_old, c_new, rtol=1e-3, atol=1e-4, what="P @ c_old"
        )
        assert_close(p, np.linalg.solve(new, old), rtol=1e-3, atol=1e-4, what="P")


# -- Linear transformations and matrix interpretation ---------------------------------------


def check_matrix_of_linear_map(matrix_of_linear_map: Callable) -> None:
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
        assert_close(got, expected, rtol=1e-5, atol=1e-6, what=f"matrix of {label}")


# -- Rank, null space, column space ---------------------------------------------------------


def check_null_space_basis(null_space_basis: Callable) -> None:
    rng = np.random.default_rng(0)
    ints = rng.integers(-3, 4, size=(5, 4)).astype(np.float64)
    ints[:, 3] = ints[:, 0] + ints[:, 1]  # rank 3: a one-dimensional null space
    square = rng.integers(-3, 4, size=(4, 2)) @ rng.integers(-3, 4, size=(2, 4))  # rank <= 2
    for a in (ints, rng.normal(size=(3, 5)), square.astype(np.float64)):
        a = a.astype(np.float32).astype(np.float64)
        expected = scipy.linalg.null_space(a, rcond=1e-5)  # (n, n - r)
        basis = np.asarray(null_space_basis(_f32(a), 1e-5), np.float64)
        assert_equal(basis.shape, expected.shape, what=f"null_space_basis(a {a.shape}).shape")
        k = basis.shape[1]
        assert_close(basis.T @ basis, np.eye(k), atol=1e-4, what="N^T N (should be I)")
        assert_close(a @ basis, np.zeros(a.shape[:1] + (k,)), atol=1e-4, what="a @ N")
        # same subspace: the orthogonal projectors N N^T agree
        assert_close(basis @ basis.T, expected @ expected.T, atol=1e-4, what="N N^T")


# -- Eigenvalues and eigenvectors -----------------------------------------------------------


def check_power_iteration(power_iteration: Callable) -> None:
    spectra = ([4.0, -1.5, 1.0, 0.3], [-5.0, 2.0, 1.0], [3.0, 1.0, 0.5, 0.2, 0.1])
    for seed, spectrum in zip(SEEDS, spectra, strict=True):
        rng = np.random.default_rng(seed)
        a = _symmetric(rng, spectrum)
        v0 = rng.normal(size=len(spectrum))
        with _forbidden("eigh", "eig", "eigvalsh", "eigvals", "svd"):
            eigenvalue, eigenvector = power_iteration(_f32(a), _f32(v0), 100)
        values, vectors = np.linalg.eigh(a)
        top = np.argmax(np.abs(values))
        assert_close(eigenvalue, values[top], rtol=1e-4, atol=1e-5, what="eigenvalue")
        v = np.asarray(eigenvector, np.float64)
        assert_close(np.linalg.norm(v), 1.0, rtol=1e-4, what="|eigenvector|")
        assert_close(abs(v @ vectors[:, top]), 1.0, rtol=1e-4, what="|v . true eigenvector|")


# -- Spectral norms and conditioning --------------------------------------------------------


def check_spectral_norm(spectral_norm: Callable) -> None:
    for seed, shape in zip(SEEDS, ((5, 3), (3, 6), (4, 4)), strict=True):
        rng = np.random.default_rng(seed)
        k = min(shape)
        a = _with_singular_values(
            rng, *shape, np.linspace(3.0, 0.5, k) * np.r_[1.5, np.ones(k - 1)]
        )
        with _forbidden("svd", "eigh", "eigvalsh", "eig", "eigvals"):
            sigma = spectral_norm(_f32(a), _f32(rng.normal(size=shape[1])), 100)
        assert_close(sigma, np.linalg.norm(a, 2), rtol=1e-4, what="spectral_norm(a)")


def check_gd_steps_on_quadratic(gd_steps_on_quadratic: Callable) -> None:
    for seed, kappa in zip(SEEDS, (2.0, 10.0, 40.0), strict=True):
        rng = np.random.default_rng(seed)
        h = _symmetric(rng, np.linspace(kappa, 1.0, 3))
        x0 = rng.normal(size=3)
        lr = 1.0 / np.linalg.eigvalsh(h)[-1]
        x, expected = x0.copy(), 0
        while np.linalg.norm(x) > 1e-4 * np.linalg.norm(x0):
            x, expected = x - lr * (h @ x), expected + 1
        got = int(gd_steps_on_quadratic(_f32(h), _f32(x0), 1e-4))
        if abs(got - expected) > 1:  # float32 rounding may move the crossing by one step
            raise CheckFailed(
                f"gd_steps_on_quadratic (kappa={kappa:g}) = {got}, expected {expected}: "
                "step size 1/lambda_max, stop as soon as |x_k| <= tol |x_0|"
            )


# -- Singular Value Decomposition (SVD) -----------------------------------------------------


def check_svd_from_eigh(svd_from_eigh: Callable) -> None:
    for seed, shape in zip(SEEDS, ((6, 4), (5, 3), (4, 4)), strict=True):
        rng = np.random.default_rng(seed)
        a = _with_singular_values(rng, *shape, np.linspace(3.0, 0.5, shape[1]))
        with _forbidden("svd"):
            u, s, vt = (np.asarray(m, np.float64) for m in svd_from_eigh(_f32(a)))
        u_ref, s_ref, vt_ref = np.linalg.svd(a, full_matrices=False)
        assert_close(s, s_ref, rtol=1e-4, atol=1e-5, what="s (descending)")
        assert_close((u * s[None, :]) @ vt, a, atol=1e-4, what="u @ diag(s) @ vt")
        u, vt = align_signs(u, vt)  # the sign of each (u_i, v_i) is free
        u_ref, vt_ref = align_signs(u_ref, vt_ref)
        assert_close(vt, vt_ref, atol=1e-3, what="vt (up to the sign of each row)")
        assert_close(u, u_ref, atol=1e-3, what="u (up to the sign of each column)")


# -- Low-rank approximations and information compression ------------------------------------


def check_rank_k_approximation(rank_k_approximation: Callable) -> None:
    for seed, k in zip(SEEDS, (1, 2, 4), strict=True):
        a = np.random.default_rng(seed).normal(size=(6, 5)).astype(np.float32).astype(np.float64)
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        a_k = np.asarray(rank_k_approximation(_f32(a), k), np.float64)
        assert_close(a_k, (u[:, :k] * s[None, :k]) @ vt[:k], atol=1e-4, what=f"a_k (k={k})")
        error = np.linalg.norm(a - a_k, 2)
        assert_close(error, s[k], rtol=1e-3, what=f"|a - a_k|_2 (Eckart-Young: s_{k + 1})")


def check_explained_variance_ratio(explained_variance_ratio: Callable) -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        scales = np.array([5.0, 2.0, 1.0, 0.5, 0.1])
        x = (rng.normal(size=(40, 5)) * scales[None, :] @ _orthogonal(rng, 5) + 3.0).astype(
            np.float32
        )
        variances = np.linalg.eigvalsh(np.cov(x.astype(np.float64).T))[::-1]  # descending
        got = explained_variance_ratio(jnp.asarray(x))
        assert_close(got, variances / variances.sum(), rtol=1e-3, atol=1e-6, what="ratios")


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
