"""layer_norm against flax.linen.LayerNorm; per-example standardisation and invariance to a
per-example affine map of the input as properties; independence from the rest of the batch."""

from functools import partial

import flax.linen as fnn
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.nn.layer_norm import init_layer_norm, layer_norm

EPS = 1e-5

jlr_ln = jax.jit(layer_norm, static_argnames="eps")


def random_params(key, shape):
    scale_key, bias_key = jax.random.split(key)
    return {
        "scale": 1.0 + 0.5 * jax.random.normal(scale_key, shape),
        "bias": jax.random.normal(bias_key, shape),
    }


@pytest.mark.parametrize(
    ("x_shape", "normalized_shape", "spread", "loc"),
    [
        ((4, 7, 16), (16,), 3.0, 1.5),
        ((3, 16), (16,), 3.0, 1.5),
        ((2, 5, 6, 3), (6, 3), 3.0, 1.5),
        ((3, 16), (16,), 0.01, 0.0),  # variance 1e-4: where eps goes shows at 5%
    ],
    ids=["batch-seq-d_model", "batch-features", "last-two-axes", "small-variance"],
)
def test_matches_flax_layer_norm(key, x_shape, normalized_shape, spread, loc):
    params_key, x_key = jax.random.split(key)
    params = random_params(params_key, normalized_shape)
    x = spread * jax.random.normal(x_key, x_shape) + loc
    axes = tuple(range(-len(normalized_shape), 0))
    module = fnn.LayerNorm(epsilon=EPS, reduction_axes=axes, feature_axes=axes)
    expected = module.apply({"params": params}, x)
    got = jlr_ln(params, x, eps=EPS)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert init_layer_norm(normalized_shape)["scale"].shape == normalized_shape


def test_init_is_the_identity_normalisation():
    params = init_layer_norm(4)
    np.testing.assert_array_equal(params["scale"], jnp.ones(4))
    np.testing.assert_array_equal(params["bias"], jnp.zeros(4))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    d=st.sampled_from([2, 8, 33]),
    loc=st.floats(-20, 20),
    spread=st.floats(0.05, 20),
)
def test_each_example_has_zero_mean_and_unit_variance(seed, d, loc, spread):
    """With scale 1 and bias 0: per-row mean 0, variance v / (v + eps), v from numpy."""
    x = loc + spread * jax.random.normal(jax.random.key(seed), (5, d))
    y = np.asarray(jlr_ln(init_layer_norm(d), x, eps=EPS))
    x64 = np.asarray(x, np.float64)
    v = x64.var(axis=-1, keepdims=True)
    # float32 cancellation: x - mean carries about ulp(|x|) of error, magnified by 1 / std
    tol = 1e-5 + 1e-6 * np.abs(x64).max() / np.sqrt(v.min())
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=tol)
    np.testing.assert_allclose(y.var(axis=-1, keepdims=True), v / (v + EPS), rtol=tol)


@jax.jit
def normalise_mapped_and_rescaled_eps(params, x, a, shift):
    """(LN_eps(a x + shift), LN_{eps / a^2}(x)), a and shift (batch, 1): one per example."""
    mapped = jax.vmap(lambda xi, ai, si: layer_norm(params, ai * xi + si, eps=EPS))(x, a, shift)
    rescaled = jax.vmap(lambda xi, ai: layer_norm(params, xi, eps=EPS / ai**2))(x, a[:, 0])
    return mapped, rescaled


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), log_a=st.floats(-2, 2), b=st.floats(-10, 10))
def test_invariant_to_a_per_example_affine_map(seed, log_a, b):
    """LN(a x + b) with eps equals LN(x) with eps / a^2, for each example's own a > 0 and b:
    the mean absorbs the shift and the standard deviation the scale."""
    x_key, params_key = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(x_key, (3, 8))
    params = random_params(params_key, (8,))
    a = jnp.exp(log_a + jnp.array([[0.0], [0.5], [-0.5]]))  # (3, 1): one per example
    shift = b + jnp.array([[0.0], [1.0], [-2.0]])  # (3, 1)
    got, expected = normalise_mapped_and_rescaled_eps(params, x, a, shift)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_an_example_does_not_depend_on_its_batch(key):
    """Batch 1, vmap over examples and the whole batch give the same rows."""
    params_key, x_key, other_key = jax.random.split(key, 3)
    params = random_params(params_key, (6,))
    x = jax.random.normal(x_key, (4, 6))
    whole = jlr_ln(params, x, eps=EPS)
    vmapped = jax.vmap(partial(layer_norm, params))(x)
    np.testing.assert_allclose(vmapped, whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jlr_ln(params, x[:1], eps=EPS), whole[:1], rtol=1e-5, atol=1e-6)
    other = x.at[1:].set(jax.random.normal(other_key, (3, 6)) * 5.0)
    np.testing.assert_allclose(jlr_ln(params, other, eps=EPS)[0], whole[0], rtol=1e-5, atol=1e-6)
