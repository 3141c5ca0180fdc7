"""Inverted dropout: the same mask as flax.linen.Dropout for the same key; the expectation is
preserved within a standard-error margin over many keys; evaluation is the identity."""

from functools import partial

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.nn.dropout import dropout

N_KEYS = 4096


@partial(jax.jit, static_argnames="drop_prob")
def dropout_over_keys(x, keys, drop_prob):
    """(N_KEYS, *x.shape): one dropout draw per key."""
    return jax.vmap(lambda key: dropout(x, drop_prob, key=key))(keys)


@pytest.mark.parametrize("drop_prob", [0.1, 0.5, 0.8])
def test_matches_flax_dropout_for_the_same_key(key, drop_prob):
    x_key, dropout_key = jax.random.split(key)
    x = jax.random.normal(x_key, (4, 7, 3))
    expected = fnn.Dropout(rate=drop_prob).apply({}, x, deterministic=False, rng=dropout_key)
    np.testing.assert_array_equal(dropout(x, drop_prob, key=dropout_key), expected)


@pytest.mark.parametrize("drop_prob", [0.1, 0.5, 0.8])
def test_expectation_is_preserved(key, drop_prob):
    """mean over keys of y_i -> x_i; y_i is x_i / q w.p. q = 1 - p, else 0, so its standard
    deviation is |x_i| sqrt(p / q) and the mean of N draws is off by about that / sqrt(N)."""
    x_key, keys_key = jax.random.split(key)
    x = jax.random.normal(x_key, (32,)) * jnp.linspace(0.1, 10.0, 32)  # varied magnitudes
    draws = dropout_over_keys(x, jax.random.split(keys_key, N_KEYS), drop_prob)  # (N_KEYS, 32)
    standard_error = np.abs(x) * np.sqrt(drop_prob / (1 - drop_prob) / N_KEYS)
    mean = np.asarray(draws).mean(axis=0)
    assert np.all(np.abs(mean - x) < 5 * standard_error), np.abs(mean - x) / standard_error
    # the margin is tight enough to catch dropout without the 1 / q rescaling (bias p |x_i|)
    assert np.any(np.abs(mean * (1 - drop_prob) - x) > 5 * standard_error)
    # and each unit is dropped with probability p: a binomial count over N_KEYS * 32 draws
    dropped = np.mean(np.asarray(draws) == 0.0)
    n_draws = draws.size
    assert abs(dropped - drop_prob) < 5 * np.sqrt(drop_prob * (1 - drop_prob) / n_draws)


def test_kept_units_are_scaled_by_one_over_keep_prob(key):
    x_key, dropout_key = jax.random.split(key)
    x = jax.random.normal(x_key, (1000,))
    y = dropout(x, 0.25, key=dropout_key)
    kept = y != 0.0
    assert 0 < kept.sum() < x.size
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-7)
    # the gradient is the mask divided by the keep probability
    grad = jax.grad(lambda x: jnp.sum(dropout(x, 0.25, key=dropout_key)))(x)
    np.testing.assert_allclose(grad, kept / 0.75, rtol=1e-7)


def test_evaluation_is_the_identity(key):
    x = jax.random.normal(key, (3, 5))
    assert dropout(x, 0.5, key=None) is x
    assert dropout(x, 0.0, key=jax.random.key(1)) is x
    np.testing.assert_array_equal(dropout(x, jnp.array(0.0), key=jax.random.key(1)), x)


def test_same_key_same_mask_new_key_new_mask(key):
    x = jnp.ones((256,))
    first_key, second_key = jax.random.split(key)
    np.testing.assert_array_equal(dropout(x, 0.5, key=first_key), dropout(x, 0.5, key=first_key))
    assert np.any(dropout(x, 0.5, key=first_key) != dropout(x, 0.5, key=second_key))


def test_traced_drop_prob_equals_the_python_float(key):
    """A sweep vmaps over drop_prob; each run gets what the Python float would give."""
    x_key, dropout_key = jax.random.split(key)
    x = jax.random.normal(x_key, (64,))
    drop_probs = jnp.array([0.0, 0.3, 0.9])
    swept = jax.vmap(lambda p: dropout(x, p, key=dropout_key))(drop_probs)
    for row, drop_prob in zip(swept, [0.0, 0.3, 0.9], strict=True):
        np.testing.assert_allclose(row, dropout(x, drop_prob, key=dropout_key), rtol=1e-6)


def test_drop_prob_one_gives_zeros_with_finite_gradients(key):
    x = jnp.arange(1.0, 6.0)
    np.testing.assert_array_equal(dropout(x, 1.0, key=key), jnp.zeros(5))
    grad = jax.grad(lambda x: jnp.sum(dropout(x, 1.0, key=key)))(x)
    np.testing.assert_array_equal(grad, jnp.zeros(5))


@pytest.mark.parametrize("drop_prob", [-0.1, 1.5])
def test_drop_prob_outside_zero_one_is_an_error(key, drop_prob):
    with pytest.raises(ValueError, match="drop_prob"):
        dropout(jnp.ones(3), drop_prob, key=key)
