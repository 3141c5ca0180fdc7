import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import mle


def test_gaussian_closed_form_matches_scipy_fit(key):
    x = 3.0 + 2.0 * jax.random.normal(key, (50,))
    mean, var = mle.gaussian_mle(x)
    loc, scale = scipy.stats.norm.fit(np.asarray(x))
    np.testing.assert_allclose(mean, loc, rtol=1e-5)
    np.testing.assert_allclose(var, scale**2, rtol=1e-4)


def test_bernoulli_and_categorical_closed_forms(key):
    labels = jax.random.categorical(key, jnp.log(jnp.array([0.2, 0.5, 0.3])), shape=(80,))
    np.testing.assert_allclose(
        mle.categorical_mle(labels, 4), np.bincount(np.asarray(labels), minlength=4) / 80, rtol=1e-6
    )
    flips = (labels == 1).astype(jnp.int32)
    np.testing.assert_allclose(mle.bernoulli_mle(flips), np.mean(np.asarray(flips)), rtol=1e-6)


def test_gradient_ascent_reaches_the_gaussian_closed_form(key):
    x = 1.0 + 0.5 * jax.random.normal(key, (60,))
    params = {"mean": jnp.array(0.0), "log_std": jnp.array(0.0)}
    params, history = mle.gradient_ascent(mle.gaussian_log_likelihood, params, x, 0.3, 400)
    mean, var = mle.gaussian_mle(x)
    np.testing.assert_allclose(params["mean"], mean, rtol=0, atol=1e-3)
    np.testing.assert_allclose(jnp.exp(2 * params["log_std"]), var, rtol=1e-3)
    assert np.all(np.diff(np.asarray(history)) > -1e-6)  # ascent never goes down here


def test_gradient_ascent_reaches_bernoulli_and_categorical_closed_forms(key):
    labels = jax.random.categorical(key, jnp.log(jnp.array([0.2, 0.5, 0.3])), shape=(80,))
    params, _ = mle.gradient_ascent(
        mle.categorical_log_likelihood, {"logits": jnp.zeros(3)}, labels, 2.0, 500
    )
    np.testing.assert_allclose(
        jax.nn.softmax(params["logits"]), mle.categorical_mle(labels, 3), rtol=0, atol=1e-3
    )
    flips = (labels == 1).astype(jnp.float32)
    params, _ = mle.gradient_ascent(
        mle.bernoulli_log_likelihood, {"logit": jnp.array(0.0)}, flips, 2.0, 300
    )
    np.testing.assert_allclose(jax.nn.sigmoid(params["logit"]), flips.mean(), rtol=0, atol=1e-3)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3, max_size=3, unique=True))
def test_log_likelihood_gradient_vanishes_at_the_closed_form(values):
    x = jnp.asarray(values, dtype=jnp.float32)
    mean, var = mle.gaussian_mle(x)
    if var < 1e-3:  # nearly identical points: the MLE is degenerate
        return
    grads = jax.grad(mle.gaussian_log_likelihood)({"mean": mean, "log_std": 0.5 * jnp.log(var)}, x)
    np.testing.assert_allclose(grads["mean"], 0.0, atol=1e-3 / np.sqrt(var))
    np.testing.assert_allclose(grads["log_std"], 0.0, atol=1e-3)
