import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import gaussian

MEAN = jnp.array([1.0, -1.0, 0.5])
COV = jnp.array([[2.0, 0.8, 0.3], [0.8, 1.0, -0.4], [0.3, -0.4, 1.5]])


def test_log_density_matches_jax_scipy_and_scipy(key):
    points = jax.random.normal(key, (5, 3))
    actual = jax.vmap(gaussian.mvn_log_density, in_axes=(0, None, None))(points, MEAN, COV)
    oracle = jax.scipy.stats.multivariate_normal.logpdf
    expected_jax = jax.vmap(oracle, in_axes=(0, None, None))(points, MEAN, COV)
    expected_scipy = scipy.stats.multivariate_normal(np.asarray(MEAN), np.asarray(COV)).logpdf(
        np.asarray(points)
    )
    np.testing.assert_allclose(actual, expected_jax, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(actual, expected_scipy, rtol=1e-5, atol=1e-5)


def test_cholesky_sampling_recovers_mean_and_covariance(key):
    samples = gaussian.mvn_sample(key, MEAN, COV, (20000,))
    assert samples.shape == (20000, 3)
    np.testing.assert_allclose(samples.mean(0), MEAN, rtol=0, atol=0.05)  # ~5 standard errors
    np.testing.assert_allclose(np.cov(np.asarray(samples), rowvar=False), COV, rtol=0, atol=0.08)


def test_sampling_is_mean_plus_cholesky_times_standard_normal(key):
    samples = gaussian.mvn_sample(key, MEAN, COV, (4,))
    z = jax.random.normal(key, (4, 3))
    expected = z @ np.linalg.cholesky(np.asarray(COV)).T + np.asarray(MEAN)[None, :]
    np.testing.assert_allclose(samples, expected, rtol=1e-5, atol=1e-6)


def test_marginal_matches_sampled_marginal(key):
    mean_a, cov_a = gaussian.mvn_marginal(MEAN, COV, (0, 2))
    samples = gaussian.mvn_sample(key, MEAN, COV, (20000,))[:, jnp.array([0, 2])]
    np.testing.assert_allclose(samples.mean(0), mean_a, rtol=0, atol=0.05)
    np.testing.assert_allclose(np.cov(np.asarray(samples), rowvar=False), cov_a, rtol=0, atol=0.08)


def test_conditional_matches_linear_regression_on_samples(key):
    """E[x_a | x_b] is linear in x_b and the residual covariance is the conditional covariance."""
    samples = np.asarray(gaussian.mvn_sample(key, MEAN, COV, (20000,)), dtype=np.float64)
    x_a, x_b = samples[:, :1], samples[:, 1:]
    design = np.concatenate([np.ones((len(x_b), 1)), x_b], axis=1)
    coef, *_ = np.linalg.lstsq(design, x_a, rcond=None)
    residual_var = np.var(x_a - design @ coef)
    for x_b_value in (np.array([0.0, 0.0]), np.array([1.0, -2.0])):
        mean_ab, cov_ab = gaussian.mvn_conditional(MEAN, COV, (0,), (1, 2), jnp.asarray(x_b_value))
        np.testing.assert_allclose(mean_ab, coef[0] + x_b_value @ coef[1:], rtol=0, atol=0.05)
        np.testing.assert_allclose(cov_ab[0, 0], residual_var, rtol=0.05)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), x_b=st.tuples(st.floats(-3, 3), st.floats(-3, 3)))
def test_conditional_density_is_joint_over_marginal(seed, x_b):
    """log p(x_a | x_b) = log p(x_a, x_b) - log p(x_b), with scipy as the oracle for both."""
    cov = gaussian.random_covariance(jax.random.key(seed), 3, jitter=0.5)
    x = jnp.array([0.3, *x_b])
    mean_ab, cov_ab = gaussian.mvn_conditional(MEAN, cov, (0,), (1, 2), x[1:])
    actual = gaussian.mvn_log_density(x[:1], mean_ab, cov_ab)
    cov64, mean64, x64 = (np.asarray(a, dtype=np.float64) for a in (cov, MEAN, x))
    expected = scipy.stats.multivariate_normal(mean64, cov64).logpdf(
        x64
    ) - scipy.stats.multivariate_normal(mean64[1:], cov64[1:, 1:]).logpdf(x64[1:])
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
