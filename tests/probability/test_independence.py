import jax.numpy as jnp
import numpy as np
import scipy.stats

from jlr.probability import independence, mutual_information


def test_x_and_x_squared_are_uncorrelated_but_dependent():
    table, x_values, y_values = independence.uncorrelated_dependent_table()
    np.testing.assert_allclose(
        independence.covariance_from_table(table, x_values, y_values), 0.0, atol=1e-7
    )
    assert independence.independence_gap(table) > 0.1
    # I(X; Y) = H(Y) because Y is a function of X; Y = 1 with probability 2/3.
    np.testing.assert_allclose(
        mutual_information.mutual_information(table),
        scipy.stats.entropy([1 / 3, 2 / 3]),
        rtol=1e-5,
    )


def test_product_table_is_independent():
    table = jnp.outer(jnp.array([0.3, 0.7]), jnp.array([0.1, 0.6, 0.3]))
    np.testing.assert_allclose(independence.independence_gap(table), 0.0, atol=1e-7)
    cov = independence.covariance_from_table(table, jnp.array([0.0, 1.0]), jnp.arange(3.0))
    np.testing.assert_allclose(cov, 0.0, atol=1e-6)
    np.testing.assert_allclose(mutual_information.mutual_information(table), 0.0, atol=1e-6)


def test_covariance_from_table_matches_weighted_numpy_cov():
    table = jnp.array([[0.1, 0.2], [0.3, 0.05], [0.15, 0.2]])
    x_values, y_values = jnp.array([-1.0, 0.5, 2.0]), jnp.array([1.0, 3.0])
    xs, ys = np.meshgrid(np.asarray(x_values), np.asarray(y_values), indexing="ij")
    expected = np.cov(xs.ravel(), ys.ravel(), aweights=np.asarray(table).ravel(), bias=True)[0, 1]
    actual = independence.covariance_from_table(table, x_values, y_values)
    np.testing.assert_allclose(actual, expected, rtol=1e-5)


def test_sampled_pair_has_near_zero_correlation_and_positive_mi(key):
    n = 4000
    x, y = independence.sample_uncorrelated_dependent(key, n)
    corr = np.corrcoef(np.asarray(x), np.asarray(y))[0, 1]
    assert abs(corr) < 4 / np.sqrt(n)  # four standard errors of a zero correlation
    dependent_mi = mutual_information.histogram_mutual_information(x, y, 10)
    shuffled_mi = mutual_information.histogram_mutual_information(x, y[::-1], 10)
    assert dependent_mi > 0.5
    assert shuffled_mi < 0.05  # only the plug-in bias, ~(10 - 1)^2 / (2 n)
