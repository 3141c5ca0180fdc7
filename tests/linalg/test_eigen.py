import jax
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.eigen import (
    hotelling_deflate,
    power_iteration,
    power_norms,
    rayleigh_quotient,
    top_eigenpairs,
    two_sided_deflate,
)

from .matrices import symmetric_with_eigenvalues

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_power_iteration_matches_eigh(seed):
    rng = np.random.default_rng(seed)
    spectrum = np.array([-6.0, 3.0, 2.0, 1.0, 0.5])  # dominant |lambda| is negative: still found
    a = symmetric_with_eigenvalues(rng, spectrum)
    eigenvalue, eigenvector, estimates = power_iteration(
        lambda v: a @ v, rng.standard_normal(5), 200
    )
    eigenvalues, eigenvectors = np.linalg.eigh(a)
    np.testing.assert_allclose(eigenvalue, -6.0, rtol=1e-10)
    np.testing.assert_allclose(abs(eigenvector @ eigenvectors[:, 0]), 1.0, rtol=1e-10)
    np.testing.assert_allclose(a @ eigenvector, eigenvalue * eigenvector, atol=1e-9)
    assert estimates.shape == (200,)


def test_rayleigh_error_decays_like_ratio_squared(rng):
    """Symmetric A: |rho(v_k) - lambda_1| ~ (lambda_2 / lambda_1)^(2k)."""
    a = symmetric_with_eigenvalues(rng, [2.0, 1.0, 0.2])
    _, _, estimates = power_iteration(lambda v: a @ v, rng.standard_normal(3), 20)
    errors = np.abs(np.asarray(estimates) - 2.0)
    rate = (errors[15] / errors[5]) ** (1 / 10)
    np.testing.assert_allclose(rate, 0.25, rtol=0.05)


def test_top_eigenpairs_by_deflation_match_eigh(rng):
    spectrum = np.array([5.0, 3.0, -2.0, 1.0, 0.1, 0.05])
    a = symmetric_with_eigenvalues(rng, spectrum)
    eigenvalues, eigenvectors = top_eigenpairs(jax.random.key(0), a, 4, n_steps=300)
    np.testing.assert_allclose(eigenvalues, [5.0, 3.0, -2.0, 1.0], rtol=1e-8)
    reference_values, reference_vectors = np.linalg.eigh(a)
    order = np.argsort(-np.abs(reference_values))[:4]
    overlaps = np.abs(np.sum(np.asarray(eigenvectors) * reference_vectors[:, order], axis=0))
    np.testing.assert_allclose(overlaps, 1.0, rtol=1e-7)
    np.testing.assert_allclose(eigenvectors.T @ eigenvectors, np.eye(4), atol=1e-7)


def _non_normal(rng):
    """S diag(2, 1, 0.5) S^{-1} with strongly non-orthogonal eigenvectors S."""
    s = np.eye(3) + 3.0 * np.triu(rng.standard_normal((3, 3)), 1)
    return s @ np.diag([2.0, 1.0, 0.5]) @ np.linalg.inv(s), s


def test_non_normal_hotelling_keeps_eigenvalues_but_breaks_eigenvectors(rng):
    a, _ = _non_normal(rng)
    assert not np.allclose(a @ a.T, a.T @ a)  # non-normal
    eigenvalue, right, _ = power_iteration(lambda v: a @ v, rng.standard_normal(3), 200)
    _, left, _ = power_iteration(lambda v: a.T @ v, rng.standard_normal(3), 200)  # left eigenvector
    np.testing.assert_allclose(eigenvalue, 2.0, rtol=1e-9)
    hotelling = np.asarray(hotelling_deflate(a, eigenvalue, right))
    two_sided = np.asarray(two_sided_deflate(a, eigenvalue, right, left))
    for deflated in (hotelling, two_sided):  # Wielandt: both keep the spectrum {0, 1, 0.5}
        np.testing.assert_allclose(
            np.sort(np.linalg.eigvals(deflated).real), [0.0, 0.5, 1.0], atol=1e-8
        )
    start = rng.standard_normal(3)
    second, vector, _ = power_iteration(lambda v: hotelling @ v, start, 200)
    np.testing.assert_allclose(second, 1.0, rtol=1e-9)
    assert np.linalg.norm(a @ vector - second * vector) > 1e-2  # not an eigenvector of A
    second, vector, _ = power_iteration(lambda v: two_sided @ v, start, 200)
    np.testing.assert_allclose(a @ vector, second * vector, atol=1e-9)


def test_non_normal_rayleigh_converges_only_linearly(rng):
    """|rho(v_k) - lambda_1| ~ |lambda_2 / lambda_1|^k = 0.5^k, not 0.25^k as when symmetric."""
    a, _ = _non_normal(rng)
    _, _, estimates = power_iteration(lambda v: a @ v, rng.standard_normal(3), 30)
    errors = np.abs(np.asarray(estimates) - 2.0)
    np.testing.assert_allclose((errors[25] / errors[15]) ** (1 / 10), 0.5, rtol=0.05)


def test_symmetric_hotelling_keeps_the_other_eigenvalues(rng):
    a = symmetric_with_eigenvalues(rng, [3.0, 2.0, 1.0])
    eigenvalue, vector, _ = power_iteration(lambda v: a @ v, rng.standard_normal(3), 200)
    deflated = np.linalg.eigvalsh(np.asarray(hotelling_deflate(a, eigenvalue, vector)))
    np.testing.assert_allclose(deflated, [0.0, 1.0, 2.0], atol=1e-9)


def test_transient_growth_of_non_normal_matrix():
    """Spectral radius 0.9 < 1, yet |A^k| grows ~40x before it decays."""
    a = np.array([[0.9, 5.0], [0.0, 0.9]])
    norms = np.asarray(power_norms(a, 200))
    np.testing.assert_allclose(norms[1], np.linalg.norm(a, 2), rtol=1e-12)
    np.testing.assert_allclose(
        norms[10], np.linalg.norm(np.linalg.matrix_power(a, 10), 2), rtol=1e-10
    )
    assert norms.max() > 10.0
    assert norms[-1] < 1e-3
    normal = np.diag([0.9, 0.9])  # same eigenvalues, normal: monotone decay 0.9^k
    np.testing.assert_allclose(power_norms(normal, 5), 0.9 ** np.arange(6), rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_rayleigh_quotient_lies_in_spectrum_range(seed):
    rng = np.random.default_rng(seed)
    sym = rng.standard_normal((4, 4))
    a = sym + sym.T
    eigenvalues = np.linalg.eigvalsh(a)
    rho = float(rayleigh_quotient(a, rng.standard_normal(4)))
    assert eigenvalues[0] - 1e-12 <= rho <= eigenvalues[-1] + 1e-12
