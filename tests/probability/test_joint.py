import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.probability import joint as joint_lib

tables = st.lists(st.floats(0.01, 1.0), min_size=6, max_size=6).map(
    lambda w: jnp.asarray(np.reshape(w, (2, 3)) / np.sum(w), dtype=jnp.float32)
)


@settings(max_examples=25, deadline=None)
@given(tables)
def test_marginals_and_conditionals_normalize(table):
    p_x, p_y = joint_lib.marginals(table)
    np.testing.assert_allclose(p_x.sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(p_y.sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(joint_lib.conditional_y_given_x(table).sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(joint_lib.conditional_x_given_y(table).sum(0), 1.0, rtol=1e-5)


@settings(max_examples=25, deadline=None)
@given(tables)
def test_product_rule_round_trips(table):
    p_x, _ = joint_lib.marginals(table)
    rebuilt = joint_lib.joint_from_conditional(p_x, joint_lib.conditional_y_given_x(table))
    np.testing.assert_allclose(rebuilt, table, rtol=1e-5, atol=1e-7)


def test_marginals_match_numpy_sums(key):
    table = jax.random.dirichlet(key, jnp.ones(12)).reshape(3, 4)
    p_x, p_y = joint_lib.marginals(table)
    np.testing.assert_allclose(p_x, np.asarray(table).sum(1), rtol=1e-6)
    np.testing.assert_allclose(p_y, np.asarray(table).sum(0), rtol=1e-6)


def test_expectation_from_table_matches_explicit_sum(key):
    table = jax.random.dirichlet(key, jnp.ones(6)).reshape(2, 3)
    x_values, y_values = jnp.array([1.0, 3.0]), jnp.array([-1.0, 0.5, 2.0])
    actual = joint_lib.expectation_from_table(table, x_values, y_values, lambda x, y: x * y**2)
    expected = sum(
        float(table[i, j]) * float(x_values[i]) * float(y_values[j]) ** 2
        for i in range(2)
        for j in range(3)
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-5)
