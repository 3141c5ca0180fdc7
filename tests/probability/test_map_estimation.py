import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from jlr.probability import map_estimation as mp


def test_gaussian_prior_map_is_sklearn_ridge(key):
    x_key, y_key = jax.random.split(key)
    x, y = jax.random.normal(x_key, (30, 4)), jax.random.normal(y_key, (30,))
    noise_var, prior_var = 0.5, 0.2
    w = mp.gaussian_prior_map(x, y, noise_var, prior_var)
    oracle = Ridge(alpha=noise_var / prior_var, fit_intercept=False).fit(
        np.asarray(x), np.asarray(y)
    )
    np.testing.assert_allclose(w, oracle.coef_, rtol=1e-4, atol=1e-5)
    # and it is a stationary point of the log posterior
    grad = jax.grad(mp.linear_gaussian_log_posterior)(w, x, y, noise_var, prior_var)
    np.testing.assert_allclose(grad, 0.0, atol=1e-3)


def test_beta_posterior_mean_and_mode_match_scipy():
    a, b = mp.beta_bernoulli_posterior(7, 10, 2.0, 3.0)
    posterior = scipy.stats.beta(float(a), float(b))
    np.testing.assert_allclose(mp.beta_mean(a, b), posterior.mean(), rtol=1e-6)
    mode = scipy.optimize.minimize_scalar(
        lambda p: -posterior.logpdf(p),
        bounds=(1e-6, 1 - 1e-6),
        method="bounded",
        options={"xatol": 1e-10},
    ).x
    np.testing.assert_allclose(mp.beta_mode(a, b), mode, rtol=1e-5)


def test_estimates_meet_as_data_grows(key):
    flips = jax.random.bernoulli(key, 0.7, (2000,)).astype(jnp.float32)
    est = mp.beta_bernoulli_estimates(flips, 5.0, 5.0)
    for name in ("map", "posterior_mean"):
        gap = np.abs(np.asarray(est[name]) - np.asarray(est["mle"]))
        assert gap[-1] < 0.01 < gap[4]
    # the prior counts (a + b = 10) are worth at most 10 / (n + 8) of shrinkage for the mode
    n = np.arange(1, 2001)
    assert np.all(np.abs(np.asarray(est["map"]) - np.asarray(est["mle"])) <= 10 / (n + 8) + 1e-6)


@settings(max_examples=30, deadline=None)
@given(
    heads_frac=st.floats(0, 1), n=st.integers(1, 500), a=st.floats(1.0, 20), b=st.floats(1.0, 20)
)
def test_posterior_mean_lies_between_prior_mean_and_mle(heads_frac, n, a, b):
    heads = round(heads_frac * n)
    post_a, post_b = mp.beta_bernoulli_posterior(heads, n, a, b)
    post_mean = float(mp.beta_mean(post_a, post_b))
    low, high = sorted([a / (a + b), heads / n])
    assert low - 1e-6 <= post_mean <= high + 1e-6
