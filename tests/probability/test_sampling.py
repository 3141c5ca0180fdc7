import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import sampling


def test_exponential_passes_kolmogorov_smirnov(key):
    rate = 1.7
    draws = np.asarray(sampling.sample_exponential(key, rate, (3000,)))
    assert scipy.stats.kstest(draws, scipy.stats.expon(scale=1 / rate).cdf).pvalue > 0.01
    # The same test must reject a wrong rate: the check has power.
    assert scipy.stats.kstest(draws, scipy.stats.expon(scale=1 / (1.3 * rate)).cdf).pvalue < 1e-3


def test_categorical_passes_chi_square(key):
    probs = jnp.array([0.1, 0.4, 0.2, 0.3])
    n = 4000
    draws = sampling.sample_categorical(key, probs, (n,))
    counts = np.bincount(np.asarray(draws), minlength=4)
    assert scipy.stats.chisquare(counts, n * np.asarray(probs)).pvalue > 0.01


def test_bernoulli_mean_within_four_standard_errors(key):
    p, n = 0.3, 4000
    draws = np.asarray(sampling.sample_bernoulli(key, p, (n,)))
    assert set(np.unique(draws)) <= {0, 1}
    assert abs(draws.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_bisection_inverts_the_normal_cdf(key):
    u = jax.random.uniform(key, (200,), minval=0.001, maxval=0.999)
    x = sampling.invert_cdf_bisection(jax.scipy.stats.norm.cdf, u, -10.0, 10.0)
    np.testing.assert_allclose(x, scipy.stats.norm.ppf(np.asarray(u)), rtol=0, atol=2e-5)


def test_bisection_sampler_passes_kolmogorov_smirnov(key):
    def laplace_cdf(x):  # a distribution with no inverse CDF written down anywhere below
        return jnp.where(x < 0, 0.5 * jnp.exp(x), 1.0 - 0.5 * jnp.exp(-x))

    draws = sampling.inverse_cdf_sample(
        key, lambda u: sampling.invert_cdf_bisection(laplace_cdf, u, -40.0, 40.0), (2000,)
    )
    assert scipy.stats.kstest(np.asarray(draws), scipy.stats.laplace.cdf).pvalue > 0.01


def test_same_key_same_draws_different_key_different_draws(key):
    a = sampling.sample_exponential(key, 1.0, (5,))
    np.testing.assert_array_equal(a, sampling.sample_exponential(key, 1.0, (5,)))
    b = sampling.sample_exponential(jax.random.fold_in(key, 1), 1.0, (5,))
    assert not np.array_equal(a, b)


def test_empirical_cdf_matches_numpy(key):
    samples = jax.random.normal(key, (50,))
    x = jnp.linspace(-3.0, 3.0, 13)
    expected = (np.asarray(samples)[None, :] <= np.asarray(x)[:, None]).mean(axis=1)
    np.testing.assert_allclose(sampling.empirical_cdf(samples, x), expected, rtol=0, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(
    weights=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6),
    u=st.floats(0.0, 1.0, exclude_max=True),
)
def test_categorical_inverse_cdf_lands_in_its_interval(weights, u):
    probs = np.asarray(weights) / np.sum(weights)
    cdf = np.cumsum(probs)
    i = int(sampling.categorical_inverse_cdf(jnp.asarray(u), jnp.asarray(probs)))
    assert 0 <= i < len(probs)
    lower = 0.0 if i == 0 else cdf[i - 1]
    assert lower - 1e-6 <= u < cdf[i] + 1e-6  # float32 cumsum vs float64 oracle


@pytest.mark.parametrize("rate", [0.5, 4.0])
def test_exponential_inverse_cdf_inverts_the_cdf(rate):
    u = jnp.linspace(0.0, 0.99, 12)
    x = sampling.exponential_inverse_cdf(u, rate)
    np.testing.assert_allclose(-jnp.expm1(-rate * x), u, rtol=1e-5, atol=1e-6)  # F(F^{-1}(u)) = u
