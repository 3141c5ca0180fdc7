import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.probability import distribution_matching as dm
from jlr.probability import kl

WEIGHTS, MEANS, STDS = jnp.array([0.5, 0.5]), jnp.array([-2.0, 2.0]), jnp.array([0.6, 0.6])


def log_p(x):
    return dm.mixture_log_density(x, WEIGHTS, MEANS, STDS)


GRID = jnp.linspace(-10.0, 10.0, 4001)
LOG_P_GRID = jax.vmap(log_p)(GRID)


def test_mixture_density_integrates_to_one_and_sampling_matches_moments(key):
    np.testing.assert_allclose(jnp.trapezoid(jnp.exp(LOG_P_GRID), GRID), 1.0, rtol=1e-5)
    samples = dm.mixture_sample(key, WEIGHTS, MEANS, STDS, 20000)
    mean, var = dm.mixture_moments(WEIGHTS, MEANS, STDS)
    np.testing.assert_allclose(var, 4.0 + 0.36, rtol=1e-6)
    np.testing.assert_allclose(samples.mean(), mean, rtol=0, atol=0.06)  # 4 standard errors
    np.testing.assert_allclose(samples.var(), var, rtol=0.03)


def test_gauss_hermite_is_exact_for_polynomials():
    fourth_moment = dm.gauss_hermite_expectation(lambda x: x**4, jnp.array(0.0), jnp.array(1.5))
    np.testing.assert_allclose(fourth_moment, 3 * 1.5**4, rtol=1e-5)


def test_reverse_kl_to_a_gaussian_is_the_closed_form():
    params = {"mu": jnp.array(0.4), "log_sigma": jnp.log(jnp.array(0.7))}
    actual = dm.reverse_kl(params, lambda x: jax.scipy.stats.norm.logpdf(x, -0.3, 1.1))
    np.testing.assert_allclose(actual, kl.kl_gaussian_1d(0.4, 0.7, -0.3, 1.1), rtol=1e-4)


def test_forward_kl_fit_matches_moments(key):
    samples = dm.mixture_sample(key, WEIGHTS, MEANS, STDS, 4000)
    params, _ = dm.fit_gaussian(
        lambda p: dm.forward_kl_up_to_constant(p, samples), 0.5, 1.0, lr=0.05, n_steps=600
    )
    # minimizing forward KL from samples is maximum likelihood: the sample moments
    np.testing.assert_allclose(params["mu"], samples.mean(), rtol=0, atol=1e-2)
    np.testing.assert_allclose(jnp.exp(params["log_sigma"]), samples.std(), rtol=1e-2)


@pytest.mark.parametrize("mu_init, mode", [(0.3, 2.0), (-0.3, -2.0)])
def test_reverse_kl_seeks_the_nearest_mode(mu_init, mode):
    params, losses = dm.fit_gaussian(lambda p: dm.reverse_kl(p, log_p), mu_init, 0.5)
    np.testing.assert_allclose(params["mu"], mode, rtol=0, atol=0.05)
    np.testing.assert_allclose(jnp.exp(params["log_sigma"]), 0.6, rtol=0.05)
    np.testing.assert_allclose(losses[-1], np.log(2), rtol=0.01)  # it ignores half of p's mass

    moment_mean, moment_var = dm.mixture_moments(WEIGHTS, MEANS, STDS)
    covering = {"mu": moment_mean, "log_sigma": 0.5 * jnp.log(moment_var)}
    log_q_seek = jax.scipy.stats.norm.logpdf(GRID, params["mu"], jnp.exp(params["log_sigma"]))
    log_q_cover = jax.scipy.stats.norm.logpdf(GRID, moment_mean, jnp.sqrt(moment_var))
    # each fit wins on its own objective
    assert dm.reverse_kl(params, log_p) < dm.reverse_kl(covering, log_p)
    assert kl.kl_on_grid(LOG_P_GRID, log_q_cover, GRID) < kl.kl_on_grid(
        LOG_P_GRID, log_q_seek, GRID
    )
