import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import bayes, joint


def test_rare_disease_positive_test():
    posterior = bayes.bayes_rule(jnp.array([0.01, 0.99]), jnp.array([0.99, 0.05]))
    np.testing.assert_allclose(posterior[0], 0.01 * 0.99 / (0.01 * 0.99 + 0.99 * 0.05), rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    prior=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4),
    likelihood=st.lists(st.floats(1e-3, 1.0), min_size=4, max_size=4),
)
def test_posterior_normalizes_and_log_version_agrees(prior, likelihood):
    prior = jnp.asarray(prior) / sum(prior)
    likelihood = jnp.asarray(likelihood)
    posterior = bayes.bayes_rule(prior, likelihood)
    assert np.all(np.asarray(posterior) >= 0)
    np.testing.assert_allclose(posterior.sum(), 1.0, rtol=1e-5)
    log_posterior = bayes.log_bayes_rule(jnp.log(prior), jnp.log(likelihood))
    np.testing.assert_allclose(jnp.exp(log_posterior), posterior, rtol=1e-4, atol=1e-7)


def test_bayes_rule_is_a_column_of_the_conditional_table():
    prior = jnp.array([0.2, 0.5, 0.3])
    likelihood_table = jnp.array([[0.7, 0.3], [0.1, 0.9], [0.5, 0.5]])  # p(d | h): (h, d)
    table = joint.joint_from_conditional(prior, likelihood_table)
    np.testing.assert_allclose(
        bayes.bayes_rule(prior, likelihood_table[:, 1]),
        joint.conditional_x_given_y(table)[:, 1],
        rtol=1e-6,
    )


def test_log_bayes_survives_thousands_of_observations():
    log_likelihood = jnp.array([-2000.0, -2010.0])  # exp underflows to 0 in float32
    log_posterior = bayes.log_bayes_rule(jnp.log(jnp.array([0.5, 0.5])), log_likelihood)
    np.testing.assert_allclose(jnp.exp(log_posterior), [1 / (1 + np.exp(-10)), 0.0], atol=1e-4)


def test_grid_posterior_matches_the_conjugate_closed_form():
    data = jnp.array([1.2, 0.7, 2.1, 1.5, 0.9])
    noise_var, prior_mean, prior_var = 0.8, 0.0, 2.0
    grid = jnp.linspace(-3.0, 5.0, 2001)
    log_prior = scipy.stats.norm(prior_mean, np.sqrt(prior_var)).logpdf(np.asarray(grid))
    log_likelihood = scipy.stats.norm.logpdf(
        np.asarray(data)[None, :], np.asarray(grid)[:, None], np.sqrt(noise_var)
    ).sum(1)
    density = bayes.grid_posterior(jnp.asarray(log_prior), jnp.asarray(log_likelihood), grid)
    post_mean, post_var = bayes.gaussian_mean_posterior(data, noise_var, prior_mean, prior_var)
    expected = scipy.stats.norm(float(post_mean), np.sqrt(float(post_var))).pdf(np.asarray(grid))
    np.testing.assert_allclose(density, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(jnp.trapezoid(grid * density, grid), post_mean, rtol=1e-4)
