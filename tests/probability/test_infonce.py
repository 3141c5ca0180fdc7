import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jlr.probability import infonce
from jlr.probability.mutual_information import gaussian_mutual_information


def test_bound_matches_numpy_formula(key):
    scores = 2.0 * jax.random.normal(key, (8, 8))
    s = np.asarray(scores, dtype=np.float64)
    expected = np.mean(np.diag(s) - np.log(np.exp(s).sum(1))) + np.log(8)
    np.testing.assert_allclose(infonce.infonce_lower_bound(scores), expected, rtol=1e-5, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, (5, 5), elements=st.floats(-1e4, 1e4, width=32)))
def test_bound_never_exceeds_log_batch(scores):
    value = infonce.infonce_lower_bound(jnp.asarray(scores))
    assert np.isfinite(value)
    assert value <= np.log(5) + 1e-4


def test_constant_and_perfect_critics():
    np.testing.assert_allclose(infonce.infonce_lower_bound(jnp.zeros((6, 6))), 0.0, atol=1e-6)
    np.testing.assert_allclose(infonce.infonce_lower_bound(1e4 * jnp.eye(6)), np.log(6), rtol=1e-6)


def test_optimal_critic_is_the_log_density_ratio(key):
    x, y = infonce.sample_correlated_gaussians(key, 0.7, 5, 2)
    actual = jax.vmap(infonce.optimal_gaussian_critic, in_axes=(0, 0, None))(x, y, 0.7)
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    log_conditional = scipy.stats.norm.logpdf(ys, 0.7 * xs, np.sqrt(1 - 0.49)).sum(1)
    np.testing.assert_allclose(
        actual, log_conditional - scipy.stats.norm.logpdf(ys).sum(1), rtol=1e-4
    )


def test_optimal_critic_bound_is_close_to_true_mi(key):
    rho, d, n = 0.8, 2, 512
    x, y = infonce.sample_correlated_gaussians(key, rho, n, d)
    pair = jax.vmap(infonce.optimal_gaussian_critic, in_axes=(None, 0, None))
    scores = jax.vmap(pair, in_axes=(0, None, None))(x, y, rho)  # (n, n)
    exact = d * gaussian_mutual_information(rho)
    np.testing.assert_allclose(infonce.infonce_lower_bound(scores), exact, rtol=0, atol=0.1)


def test_critic_scores_are_pairwise_critic_values(key):
    params = infonce.init_critic(key, 2, 2, 8)
    x, y = infonce.sample_correlated_gaussians(key, 0.5, 3, 2)
    scores = infonce.critic_scores(params, x, y)
    np.testing.assert_allclose(scores[2, 1], infonce.critic(params, x[2], y[1]), rtol=1e-5)
    np.testing.assert_allclose(scores[0, 0], infonce.critic(params, x[0], y[0]), rtol=1e-5)


@pytest.mark.slow
def test_training_learns_a_positive_bound_below_the_truth(key):
    rho, batch = 0.8, 32
    _, bounds = infonce.train_infonce_critic(key, rho, 1, batch, 250, d_hidden=16, lr=1e-2)
    late = float(jnp.mean(bounds[-50:]))
    exact = float(gaussian_mutual_information(rho))
    assert 0.5 * exact < late < exact + 0.15  # a noisy lower bound: the mean stays under I
    assert late > float(jnp.mean(bounds[:10])) + 0.2  # it learned something
