import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.conditioning import (
    condition_number,
    gd_iteration_bound,
    gd_quadratic_iterations,
    gd_quadratic_trajectory,
    spectral_norm,
)

from .matrices import matrix_with_singular_values, symmetric_with_eigenvalues

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=st.sampled_from([(3, 5), (5, 3), (4, 4)]))
def test_spectral_norm_matches_numpy(seed, shape):
    rng = np.random.default_rng(seed)
    k = min(shape)
    s = np.sort(rng.uniform(0.1, 1.0, k))[::-1] * np.r_[2.0, np.ones(k - 1)]  # gap s1 >= 2 s2
    a = matrix_with_singular_values(rng, *shape, s)
    sigma, v = spectral_norm(a, rng.standard_normal(shape[1]), 100)
    np.testing.assert_allclose(sigma, np.linalg.norm(a, 2), rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(a @ v), sigma, rtol=1e-10)


def test_condition_number_matches_numpy(rng):
    a = matrix_with_singular_values(rng, 5, 4, [10.0, 3.0, 1.0, 0.01])
    np.testing.assert_allclose(condition_number(a), np.linalg.cond(a), rtol=1e-8)
    np.testing.assert_allclose(condition_number(a), 1000.0, rtol=1e-8)


def test_gd_trajectory_is_the_closed_form(rng):
    """x_k = (I - lr H)^k x_0."""
    h = symmetric_with_eigenvalues(rng, [4.0, 1.0])
    x0 = rng.standard_normal(2)
    xs = np.asarray(gd_quadratic_trajectory(h, x0, 0.25, 7))
    np.testing.assert_allclose(
        xs[7], np.linalg.matrix_power(np.eye(2) - 0.25 * h, 7) @ x0, rtol=1e-10, atol=1e-12
    )


@settings(max_examples=10, deadline=None)
@given(seed=seeds, kappa=st.sampled_from([2.0, 10.0, 50.0, 200.0]))
def test_gd_iterations_follow_kappa_log_one_over_eps(seed, kappa):
    """Step 1/L: the count is at most the bound, and meets it from the slowest direction."""
    rng = np.random.default_rng(seed)
    tol = 1e-6
    h = symmetric_with_eigenvalues(rng, np.linspace(kappa, 1.0, 3))
    eigenvectors = np.linalg.eigh(h)[1]
    bound = gd_iteration_bound(kappa, tol)
    assert bound <= np.ceil(kappa * np.log(1 / tol))
    k_random = int(gd_quadratic_iterations(h, rng.standard_normal(3), 1.0 / kappa, tol))
    assert k_random <= bound
    k_slowest = int(gd_quadratic_iterations(h, eigenvectors[:, 0], 1.0 / kappa, tol))
    assert k_slowest == bound


def test_gd_iterations_grow_linearly_with_kappa(rng):
    counts = []
    for kappa in (10.0, 100.0, 1000.0):
        h = symmetric_with_eigenvalues(rng, [kappa, 1.0])
        x0 = np.linalg.eigh(h)[1] @ np.ones(2)
        counts.append(int(gd_quadratic_iterations(h, x0, 1.0 / kappa, 1e-6)))
    ratios = np.array(counts[1:]) / np.array(counts[:-1])
    np.testing.assert_allclose(ratios, 10.0, rtol=0.1)
