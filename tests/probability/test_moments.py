import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jlr.probability import moments


def test_mean_and_stderr_match_scipy(key):
    values = jax.random.exponential(key, (100,))
    mean, stderr = moments.sample_mean_and_stderr(values)
    np.testing.assert_allclose(mean, np.mean(values), rtol=1e-6)
    np.testing.assert_allclose(stderr, scipy.stats.sem(np.asarray(values)), rtol=1e-5)


def test_covariance_and_correlation_match_numpy(key):
    x = jax.random.normal(key, (40, 3)) @ jnp.array([[1.0, 0.6, 0.0], [0.0, 1.0, -0.4], [0, 0, 1]])
    cov = moments.sample_covariance(x)
    np.testing.assert_allclose(cov, np.cov(np.asarray(x), rowvar=False), rtol=1e-5, atol=1e-6)
    corr = moments.correlation_from_covariance(cov)
    np.testing.assert_allclose(corr, np.corrcoef(np.asarray(x), rowvar=False), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moments.sample_variance(x[:, 0]), cov[0, 0], rtol=1e-5)


def test_monte_carlo_expectation_of_x_squared_is_one_within_error_bars(key):
    estimate, stderr = moments.monte_carlo_expectation(
        key, lambda k, n: jax.random.normal(k, (n,)), lambda x: x**2, 4000
    )
    assert abs(estimate - 1.0) < 4 * stderr  # Var[X^2] = 2, stderr ~ sqrt(2 / 4000)
    np.testing.assert_allclose(stderr, np.sqrt(2 / 4000), rtol=0.15)


def test_standard_error_shrinks_as_one_over_sqrt_n(key):
    small_key, big_key = jax.random.split(key)
    _, small = moments.sample_mean_and_stderr(jax.random.uniform(small_key, (500,)))
    _, big = moments.sample_mean_and_stderr(jax.random.uniform(big_key, (8000,)))
    np.testing.assert_allclose(small / big, 4.0, rtol=0.1)  # 16x the samples, 1/4 the error


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(np.float32, (6, 3), elements=st.floats(-10, 10, width=32)))
def test_covariance_is_symmetric_positive_semidefinite(x):
    cov = np.asarray(moments.sample_covariance(jnp.asarray(x)), dtype=np.float64)
    np.testing.assert_allclose(cov, cov.T, rtol=0, atol=1e-4)
    assert np.linalg.eigvalsh(cov).min() > -1e-3 * max(1.0, np.abs(cov).max())


def test_running_estimates_match_each_prefix(key):
    values = 5.0 + jax.random.exponential(key, (50,))  # an offset, to exercise the shift
    means, stderrs = moments.running_mean_and_stderr(values)
    assert np.isinf(stderrs[0])
    for k in (2, 7, 50):
        mean, stderr = moments.sample_mean_and_stderr(values[:k])
        np.testing.assert_allclose(means[k - 1], mean, rtol=1e-5)
        np.testing.assert_allclose(stderrs[k - 1], stderr, rtol=1e-3)
