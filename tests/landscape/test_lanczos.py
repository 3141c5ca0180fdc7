"""Lanczos with full reorthogonalization against numpy's eigh: known diagonal spectra (distinct
and repeated, the latter forcing a breakdown), and the top-5 Hessian eigenvalues of a small MLP
against eigvalsh of its full float64 Hessian (jax.hessian)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.landscape.lanczos import lanczos, ritz_pairs, top_eigenvalues, tridiagonal


def diagonal_matvec(diag):
    return lambda v: diag * v


def test_full_run_on_a_diagonal_recovers_every_eigenvalue_and_an_orthonormal_basis(key):
    diag = jnp.linspace(-3.0, 10.0, 40) ** 3 / 100  # distinct, unevenly spaced
    alphas, betas, basis = jax.jit(lambda k: lanczos(k, diagonal_matvec(diag), 40, 40))(key)
    assert alphas.shape == (40,) and betas.shape == (39,) and basis.shape == (40, 40)
    q = np.asarray(basis, np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(40), atol=1e-5)  # float32, reorthogonalized
    t = q @ np.diag(np.asarray(diag, np.float64)) @ q.T
    np.testing.assert_allclose(tridiagonal(alphas, betas), t, atol=1e-4)
    thetas, _ = ritz_pairs(alphas, betas, basis)
    np.testing.assert_allclose(thetas, np.sort(diag), rtol=1e-5, atol=1e-4)


def test_repeated_eigenvalues_break_down_without_nan_and_are_all_found(key):
    # Krylov space of dimension 4 (four distinct values): beta_3 = 0, then a restart
    diag = jnp.array([5.0, 5.0, 5.0, 2.0, 2.0, -1.0, 0.0, 0.0, 0.0, 0.0])
    alphas, betas, basis = lanczos(key, diagonal_matvec(diag), 10, 10)
    assert np.all(np.isfinite(alphas)) and np.all(np.isfinite(basis))
    assert np.sum(np.asarray(betas) == 0.0) >= 2  # at least two breakdowns (4 + 3 + 2 + 1)
    np.testing.assert_allclose(basis @ basis.T, np.eye(10), atol=1e-5)
    thetas, vectors = ritz_pairs(alphas, betas, basis)
    np.testing.assert_allclose(thetas, np.sort(diag), atol=1e-5)
    np.testing.assert_allclose(vectors * diag, thetas[:, None] * vectors, atol=1e-5)


def test_lanczos_traces_the_matvec_once(key):
    n_traces = []

    def matvec(v):
        n_traces.append(1)
        return jnp.arange(30.0) * v

    jax.jit(lambda k: lanczos(k, matvec, 30, 25))(key)
    assert len(n_traces) == 1  # one loop body, not 25 unrolled steps


def test_rejects_more_steps_than_dimensions(key):
    with pytest.raises(ValueError, match="n_iters"):
        lanczos(key, diagonal_matvec(jnp.ones(3)), 3, 4)


def test_top5_hessian_eigenpairs_of_an_mlp_match_the_full_hessian(key, mlp_problem):
    loss, params, hessian = mlp_problem
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    top = jax.jit(lambda k, p: top_eigenvalues(k, loss, p, k=5, n_iters=40))
    values, vectors = top(key, params)  # float32 throughout
    assert values.shape == (5,) and vectors.shape == (5, eigenvalues.size)
    # measured: relative errors ~3e-7 (float32 rounding) from 30 steps on, so 1e-5 leaves
    # room for another backend's rounding; plain three-term Lanczos (no reorthogonalization)
    # fails here
    np.testing.assert_allclose(values, eigenvalues[::-1][:5], rtol=1e-5)
    overlaps = np.abs(np.sum(np.asarray(vectors, np.float64) * eigenvectors[:, ::-1][:, :5].T, 1))
    np.testing.assert_allclose(overlaps, 1.0, atol=1e-4)
