"""Unit responses, top-k examples and their class purity against numpy; activation
maximization against the closed-form maximizers of a linear and a concave quadratic
objective on a box."""

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings

from jlr.experiments.feature_hierarchy import (
    maximize_input,
    top_k_examples,
    top_k_purity,
    unit_responses,
)


def test_unit_responses_are_the_max_over_positions_in_1d_and_2d(key):
    images = jax.random.normal(key, (5, 4, 3, 6))  # (n, h, w, c)
    np.testing.assert_array_equal(unit_responses(images), np.asarray(images).max(axis=(1, 2)))
    signals = images.reshape(5, 12, 6)  # (n, width, c)
    np.testing.assert_array_equal(unit_responses(signals), np.asarray(signals).max(axis=1))
    features = images[:, 0, 0, :]  # (n, c): no positions to pool
    np.testing.assert_array_equal(unit_responses(features), features)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(3, 12), st.integers(1, 4)),
        elements=st.integers(-3, 3).map(float),
    ),  # fmt: skip  (small ints: many ties)
    st.data(),
)
def test_top_k_examples_is_a_stable_descending_argsort(responses, data):
    k = data.draw(st.integers(1, responses.shape[0]))
    expected = np.argsort(-responses, axis=0, kind="stable")[:k].T  # (c, k), ties: lower index
    np.testing.assert_array_equal(top_k_examples(jnp.asarray(responses), k), expected)


def test_top_k_purity_counts_the_majority_label():
    labels = jnp.array([0, 1, 1, 2, 1, 0])
    indices = jnp.array([[1, 2, 4, 0], [0, 5, 3, 1], [3, 3, 3, 3]])  # (c=3, k=4)
    # unit 0: labels 1, 1, 1, 0 -> 3/4; unit 1: 0, 0, 2, 1 -> 2/4; unit 2: all 2 -> 1
    np.testing.assert_allclose(top_k_purity(indices, labels, 3), [0.75, 0.5, 1.0], rtol=0)


def test_maximize_input_reaches_the_corner_of_the_box_for_a_linear_objective(key):
    w = jax.random.normal(key, (8, 8))
    w = jnp.sign(w) * (0.1 + jnp.abs(w))  # |w| >= 0.1: 20 steps of 0.5 |w| cross the box
    x, values = jax.jit(
        lambda w: maximize_input(lambda x: jnp.sum(w * x), jnp.full((8, 8), 0.5), lr=0.5,
                                 n_steps=20))(w)  # fmt: skip
    np.testing.assert_array_equal(x, np.where(np.asarray(w) > 0, 1.0, 0.0))
    assert np.all(np.diff(np.asarray(values)) >= 0)  # ascent never decreases a linear objective
    np.testing.assert_allclose(values[0], 0.5 * float(w.sum()), rtol=1e-5)  # before step 1


def test_maximize_input_finds_the_interior_maximum_and_clips_the_rest():
    target = jnp.array([0.3, -0.5, 0.9, 1.7])  # the unconstrained maximizer of -|x - t|^2 / 2
    x, _ = maximize_input(lambda x: -0.5 * jnp.sum((x - target) ** 2), jnp.zeros(4), lr=0.3,
                          n_steps=200, low=0.0, high=1.0)  # fmt: skip
    np.testing.assert_allclose(x, np.clip(np.asarray(target), 0.0, 1.0), atol=1e-6)


def test_maximize_input_starts_inside_the_box():
    x, values = maximize_input(lambda x: -jnp.sum(x**2), jnp.array([5.0, -5.0]), lr=0.0,
                               n_steps=1, low=-1.0, high=1.0)  # fmt: skip
    np.testing.assert_array_equal(x, [1.0, -1.0])
    np.testing.assert_allclose(values, [-2.0], rtol=0)  # evaluated at the clipped start
