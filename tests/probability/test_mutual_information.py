import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jlr.probability import entropy, infonce
from jlr.probability import mutual_information as mi


def test_table_mi_matches_scipy_entropies(key):
    table = jax.random.dirichlet(key, jnp.ones(12)).reshape(3, 4)
    t = np.asarray(table, dtype=np.float64)
    expected = (
        scipy.stats.entropy(t.sum(1))
        + scipy.stats.entropy(t.sum(0))
        - scipy.stats.entropy(t.ravel())
    )
    np.testing.assert_allclose(mi.mutual_information(table), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(mi.mutual_information_from_entropies(table), expected, rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6).filter(lambda w: sum(w) > 0.1))
@example([0.0, 1.0, 0.0, 0.0, 0.0, 1e-20])  # p(x) p(y) underflows in float32
def test_mi_is_between_zero_and_the_smaller_entropy(weights):
    table = jnp.asarray(np.reshape(weights, (2, 3)) / np.sum(weights), dtype=jnp.float32)
    value = mi.mutual_information(table)
    h_x, h_y = entropy.entropy(table.sum(1)), entropy.entropy(table.sum(0))
    assert -1e-5 <= value <= min(h_x, h_y) + 1e-5


def test_gaussian_closed_forms_agree_with_entropies():
    rho = 0.8
    cov = jnp.array([[1.0, rho], [rho, 1.0]])
    from_entropies = 2 * entropy.gaussian_entropy(jnp.eye(1)) - entropy.gaussian_entropy(cov)
    np.testing.assert_allclose(
        mi.gaussian_mutual_information(rho), -0.5 * np.log(1 - rho**2), rtol=1e-6
    )
    np.testing.assert_allclose(
        mi.gaussian_mutual_information_from_cov(cov, 1), from_entropies, rtol=1e-5
    )
    np.testing.assert_allclose(mi.gaussian_mutual_information(rho), from_entropies, rtol=1e-5)


def test_block_gaussian_mi_adds_over_independent_coordinates():
    rho = 0.6
    eye = jnp.eye(2)
    cov = jnp.block([[eye, rho * eye], [rho * eye, eye]])  # x: (2,), y = rho x + noise
    np.testing.assert_allclose(
        mi.gaussian_mutual_information_from_cov(cov, 2),
        2 * mi.gaussian_mutual_information(rho),
        rtol=1e-5,
    )


def test_histogram_estimate_approaches_the_closed_form(key):
    x, y = infonce.sample_correlated_gaussians(key, 0.8, 20000, 1)
    estimate = mi.histogram_mutual_information(x[:, 0], y[:, 0], 20)
    np.testing.assert_allclose(estimate, mi.gaussian_mutual_information(0.8), rtol=0, atol=0.1)
