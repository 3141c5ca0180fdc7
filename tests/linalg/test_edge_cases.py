"""Edge cases against numpy: the SVDs on ill-conditioned input, 1x1 and empty shapes and
non-convergence; condition numbers and spectral norms of singular and zero matrices."""

import jax.numpy as jnp
import numpy as np
import pytest

from jlr.linalg import condition_number, power_iteration, spectral_norm
from jlr.linalg.svd import svd_jacobi, svd_via_eigh


def graded_matrix(rng, m, n, condition):
    """Q1 diag(s) Q2^T with s log-spaced from 1 down to 1 / condition: (m, n), m >= n."""
    q1, _ = np.linalg.qr(rng.normal(size=(m, n)))
    q2, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return (q1 * np.logspace(0, -np.log10(condition), n)) @ q2.T


def test_jacobi_converges_on_an_ill_conditioned_matrix(rng):
    """Oracle: numpy's singular values to 1e-13 |A| (both are backward stable; rounding A
    itself moves the small ones by that much), and U^T U = I, at kappa = 1e12."""
    a = graded_matrix(rng, 40, 20, 1e12)
    u, s, vt = (np.asarray(x) for x in svd_jacobi(jnp.asarray(a)))
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(u.T @ u, np.eye(20), atol=1e-12)
    np.testing.assert_allclose(vt @ vt.T, np.eye(20), atol=1e-12)
    np.testing.assert_allclose((u * s) @ vt, a, atol=1e-13)


def test_jacobi_float32_smallest_singular_value(rng):
    """In float32 the smallest of s in [1e-6, 1] is still right to 1% (A^T A would lose it)."""
    a = graded_matrix(rng, 40, 20, 1e6)
    s = np.asarray(svd_jacobi(jnp.asarray(a, jnp.float32))[1])
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-2)


def test_jacobi_reports_non_convergence_as_nan(rng):
    """One sweep cannot orthogonalise 30 random columns: the result is NaN, never a wrong SVD."""
    a = jnp.asarray(rng.normal(size=(30, 30)))
    u, s, vt = svd_jacobi(a, max_sweeps=1)
    assert np.isnan(np.asarray(s)).all() and np.isnan(np.asarray(u)).all()
    assert np.isnan(np.asarray(vt)).all()
    assert np.isfinite(np.asarray(svd_jacobi(a)[1])).all()


@pytest.mark.parametrize("method", [svd_jacobi, svd_via_eigh])
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1), (3, 0), (0, 3), (0, 0)])
def test_edge_shapes_match_numpy(method, shape, rng):
    a = rng.normal(size=shape)
    u, s, vt = method(jnp.asarray(a))
    nu, ns, nvt = np.linalg.svd(a, full_matrices=False)
    assert (u.shape, s.shape, vt.shape) == (nu.shape, ns.shape, nvt.shape)
    np.testing.assert_allclose(np.asarray(s), ns, rtol=1e-12)
    np.testing.assert_allclose((np.asarray(u) * np.asarray(s)) @ np.asarray(vt), a, atol=1e-12)


@pytest.mark.parametrize("method", [svd_jacobi, svd_via_eigh])
def test_zero_column_gives_a_zero_singular_value(method, rng):
    a = rng.normal(size=(5, 3))
    a[:, 1] = 0.0
    u, s, vt = (np.asarray(x) for x in method(jnp.asarray(a)))
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), atol=1e-12)
    np.testing.assert_allclose((u * s) @ vt, a, atol=1e-12)


SINGULAR = {
    "zero": np.zeros((3, 3)),
    "rank_one": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 0.5]),
    "zero_column": np.array([[1.0, 0.0], [2.0, 0.0], [0.5, 0.0]]),
    "wide_zero": np.zeros((2, 4)),
}


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_condition_number_of_a_singular_matrix_as_numpy(name):
    """inf where sigma_min is exactly 0 (numpy too); ~1/eps where rounding leaves a trace."""
    a = SINGULAR[name]
    ours, theirs = float(condition_number(jnp.asarray(a))), float(np.linalg.cond(a))
    if np.isinf(theirs):
        assert np.isinf(ours)
    else:
        assert ours > 1e14 and theirs > 1e14


def test_condition_number_matches_numpy_when_regular(rng):
    a = rng.normal(size=(5, 4))
    np.testing.assert_allclose(condition_number(jnp.asarray(a)), np.linalg.cond(a), rtol=1e-10)


def test_condition_number_of_nan_is_nan():
    assert np.isnan(float(condition_number(jnp.array([[jnp.nan, 1.0], [0.0, 1.0]]))))


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_spectral_norm_of_singular_matrices_matches_numpy(name):
    a = SINGULAR[name]
    sigma, v = spectral_norm(jnp.asarray(a), jnp.ones(a.shape[1]))
    np.testing.assert_allclose(sigma, np.linalg.norm(a, 2), atol=1e-12)
    assert np.isfinite(np.asarray(v)).all()


def test_power_iteration_on_the_zero_map_gives_zero_not_nan():
    eigenvalue, v, estimates = power_iteration(lambda v: 0.0 * v, jnp.ones(3), 5)
    assert float(eigenvalue) == 0.0 and np.isfinite(np.asarray(v)).all()
    np.testing.assert_array_equal(estimates, np.zeros(5))
