import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import entropy as ent
from jlr.probability import gaussian

probabilities = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6).filter(
    lambda w: sum(w) > 1e-3
)


def test_discrete_entropy_matches_scipy(key):
    probs = jax.random.dirichlet(key, jnp.ones(7))
    np.testing.assert_allclose(
        ent.entropy(probs), scipy.stats.entropy(np.asarray(probs)), rtol=1e-5
    )
    np.testing.assert_allclose(ent.to_bits(ent.entropy(jnp.array([0.5, 0.5]))), 1.0, rtol=1e-6)


def test_zero_probabilities_give_finite_values_and_gradients():
    probs = jnp.array([0.5, 0.0, 0.5])
    np.testing.assert_allclose(ent.entropy(probs), np.log(2), rtol=1e-6)
    assert np.all(np.isfinite(jax.grad(ent.entropy)(probs)))


@settings(max_examples=40, deadline=None)
@given(probabilities)
def test_entropy_bounds(weights):
    probs = jnp.asarray(weights, dtype=jnp.float32) / sum(weights)
    h = float(ent.entropy(probs))
    assert -1e-6 <= h <= np.log(len(weights)) + 1e-5  # uniform is the maximum


def test_gaussian_entropy_matches_scipy(key):
    cov = gaussian.random_covariance(key, 3)
    expected = scipy.stats.multivariate_normal(np.zeros(3), np.asarray(cov)).entropy()
    np.testing.assert_allclose(ent.gaussian_entropy(cov), expected, rtol=1e-5)
    # a narrow enough Gaussian has negative differential entropy
    assert ent.gaussian_entropy(0.01 * jnp.eye(1)) < 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=6, max_size=6))
def test_conditioning_reduces_entropy(weights):
    table = jnp.asarray(np.reshape(weights, (2, 3)) / np.sum(weights), dtype=jnp.float32)
    h_y = ent.entropy(table.sum(0))
    h_y_given_x = ent.conditional_entropy(table)
    assert -1e-5 <= h_y_given_x <= h_y + 1e-5
    # chain rule: H(X, Y) = H(X) + H(Y | X), computed as sum_i p(x_i) H(Y | X = x_i)
    rows = table / table.sum(1, keepdims=True)
    np.testing.assert_allclose(h_y_given_x, table.sum(1) @ ent.entropy(rows), rtol=1e-4, atol=1e-6)
