import jax
import jax.numpy as jnp
import numpy as np
import scipy.integrate
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import gaussian, kl


def test_categorical_kl_matches_scipy(key):
    p_key, q_key = jax.random.split(key)
    p, q = jax.random.dirichlet(p_key, jnp.ones(5)), jax.random.dirichlet(q_key, jnp.ones(5))
    np.testing.assert_allclose(
        kl.kl_categorical(p, q), scipy.stats.entropy(np.asarray(p), np.asarray(q)), rtol=1e-5
    )
    with_zero = jnp.array([0.5, 0.0, 0.5])
    np.testing.assert_allclose(
        kl.kl_categorical(with_zero, q[:3] / q[:3].sum()),
        scipy.special.rel_entr(np.asarray(with_zero), np.asarray(q[:3] / q[:3].sum())).sum(),
        rtol=1e-5,
    )


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=8, max_size=8))
def test_kl_is_nonnegative_and_zero_only_on_itself(weights):
    p = jnp.asarray(weights[:4]) / sum(weights[:4])
    q = jnp.asarray(weights[4:]) / sum(weights[4:])
    assert kl.kl_categorical(p, q) >= -1e-6
    np.testing.assert_allclose(kl.kl_categorical(p, p), 0.0, atol=1e-6)


def test_gaussian_1d_matches_numerical_integration():
    mu0, s0, mu1, s1 = 0.3, 0.8, -1.0, 1.7
    p, q = scipy.stats.norm(mu0, s0), scipy.stats.norm(mu1, s1)
    expected, _ = scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -15, 15)
    np.testing.assert_allclose(kl.kl_gaussian_1d(mu0, s0, mu1, s1), expected, rtol=1e-5)
    multi = kl.kl_gaussian(
        jnp.array([mu0]), jnp.array([[s0**2]]), jnp.array([mu1]), jnp.array([[s1**2]])
    )
    np.testing.assert_allclose(multi, expected, rtol=1e-5)


def test_gaussian_closed_form_agrees_with_monte_carlo(key):
    cov_key0, cov_key1, sample_key = jax.random.split(key, 3)
    mean0, mean1 = jnp.array([0.0, 1.0, -0.5]), jnp.array([0.5, 0.0, 0.0])
    cov0 = gaussian.random_covariance(cov_key0, 3, jitter=0.5)
    cov1 = gaussian.random_covariance(cov_key1, 3, jitter=0.5)
    estimate, stderr = kl.kl_monte_carlo(
        sample_key,
        lambda k, n: gaussian.mvn_sample(k, mean0, cov0, (n,)),
        lambda x: gaussian.mvn_log_density(x, mean0, cov0),
        lambda x: gaussian.mvn_log_density(x, mean1, cov1),
        20000,
    )
    exact = kl.kl_gaussian(mean0, cov0, mean1, cov1)
    assert abs(estimate - exact) < 4 * stderr
    assert stderr < 0.05 * exact  # the test has teeth


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_gaussian_kl_nonnegative_and_asymmetric(seed):
    k0, k1, k2 = jax.random.split(jax.random.key(seed), 3)
    cov0, cov1 = gaussian.random_covariance(k0, 2), gaussian.random_covariance(k1, 2)
    mean = jax.random.normal(k2, (2,))
    assert kl.kl_gaussian(mean, cov0, jnp.zeros(2), cov1) >= -1e-5
    np.testing.assert_allclose(kl.kl_gaussian(mean, cov0, mean, cov0), 0.0, atol=1e-5)


def test_kl_is_not_symmetric():
    forward = kl.kl_gaussian_1d(0.0, 1.0, 0.0, 3.0)
    reverse = kl.kl_gaussian_1d(0.0, 3.0, 0.0, 1.0)
    assert reverse > 2 * forward


def test_kl_on_grid_matches_closed_form():
    grid = jnp.linspace(-12.0, 12.0, 4001)
    log_p = jax.scipy.stats.norm.logpdf(grid, 0.5, 1.2)
    log_q = jax.scipy.stats.norm.logpdf(grid, -0.5, 0.9)
    np.testing.assert_allclose(
        kl.kl_on_grid(log_p, log_q, grid), kl.kl_gaussian_1d(0.5, 1.2, -0.5, 0.9), rtol=1e-4
    )
