"""Three conv2d versions (loops, im2col, lax) against lax.conv_general_dilated; conv1d; He init;
translation equivariance of conv (exact with circular padding) against an MLP's lack of it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.models.mlp import mlp
from jlr.nn.conv import (
    conv1d,
    conv2d,
    conv2d_lax,
    conv2d_loops,
    conv_output_shape,
    init_conv1d,
    init_conv2d,
    shift_equivariance_error,
    shift_invariance_error,
)
from jlr.nn.pooling import global_avg_pool

NHWC = ("NHWC", "HWIO", "NHWC")


def lax_oracle(params, x, stride, padding, dilation):
    """The convolution as XLA defines it; CIRCULAR = wrap-pad by numpy, then VALID."""
    if padding == "CIRCULAR":
        k_eff = [d * (k - 1) + 1 for k, d in zip(params["w"].shape[:2], dilation, strict=True)]
        pads = jax.lax.padtype_to_pads(x.shape[1:3], k_eff, stride, "SAME")
        x, padding = np.pad(np.asarray(x), [(0, 0), *pads, (0, 0)], mode="wrap"), "VALID"
    out = jax.lax.conv_general_dilated(
        x, params["w"], stride, padding, rhs_dilation=dilation, dimension_numbers=NHWC
    )
    return out + params["b"]


def normal(rng, shape):
    """Test data from numpy's generator: a jax.random draw compiles anew for every shape."""
    return jnp.asarray(rng.standard_normal(shape), jnp.float32)


def random_params(rng, kernel_h, kernel_w, c_in, c_out):
    return {"w": normal(rng, (kernel_h, kernel_w, c_in, c_out)), "b": normal(rng, (c_out,))}


@functools.cache
def jitted(version, stride, padding, dilation):
    """One compiled conv per configuration (hypothesis draws many)."""
    return jax.jit(functools.partial(version, stride=stride, padding=padding, dilation=dilation))


@st.composite
def conv_problems(draw):
    """Small rectangular kernels and images, strides and dilations per axis, any padding."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(
            st.sampled_from(["SAME", "VALID", "CIRCULAR"]),
            st.tuples(
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
            ),
        )
    )
    min_size = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    size = tuple(draw(st.integers(m, m + 4)) for m in min_size)  # VALID has >= 1 output
    channels = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return kernel, stride, dilation, padding, size, channels, draw(st.integers(0, 2**31 - 1))


@settings(max_examples=15, deadline=None)
@given(conv_problems())
def test_loops_im2col_and_lax_versions_agree_with_lax(problem):
    kernel, stride, dilation, padding, size, (c_in, c_out), seed = problem
    rng = np.random.default_rng(seed)
    params, x = random_params(rng, *kernel, c_in, c_out), normal(rng, (2, *size, c_in))
    expected = lax_oracle(params, x, stride, padding, dilation)
    assert expected.shape[1:3] == conv_output_shape(size, kernel, stride, padding, dilation)
    padding = padding if isinstance(padding, str) else tuple(padding)  # hashable, for jitted
    versions = {
        "loops": conv2d_loops(params, x, stride, padding=padding, dilation=dilation),
        "im2col": jitted(conv2d, stride, padding, dilation)(params, x),
        "lax": jitted(conv2d_lax, stride, padding, dilation)(params, x),
    }
    for name, got in versions.items():
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=name)


def test_loops_reference_on_a_hand_computed_case():
    """3x3 image 1..9, 2x2 kernel of ones, VALID: each output sums one 2x2 block, plus b."""
    x = jnp.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    params = {"w": jnp.ones((2, 2, 1, 1)), "b": jnp.array([0.5])}
    got = conv2d_loops(params, x, padding="VALID")
    np.testing.assert_allclose(got[0, :, :, 0], [[12.5, 16.5], [24.5, 28.5]], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kernel", "stride", "c_in", "c_out", "size"),
    [(3, 1, 1, 4, (8, 8)), (3, 2, 3, 5, (8, 8)), (3, 2, 2, 3, (7, 5)), (5, 3, 2, 2, (9, 10))],
)
def test_default_call_is_same_padded_conv(kernel, stride, c_in, c_out, size):
    """conv2d(params, x, stride): the call the CNN makes, SAME padding, no dilation."""
    rng = np.random.default_rng(kernel * stride)
    params, x = random_params(rng, kernel, kernel, c_in, c_out), normal(rng, (2, *size, c_in))
    expected = jax.lax.conv_general_dilated(
        x, params["w"], (stride, stride), "SAME", dimension_numbers=NHWC
    )
    got = conv2d(params, x, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected + params["b"], rtol=1e-5, atol=1e-5)


def test_im2col_gradients_match_lax_gradients():
    rng = np.random.default_rng(0)
    params, x = random_params(rng, 3, 2, 2, 3), normal(rng, (2, 9, 8, 2))
    options = {"padding": ((2, 1), (0, 1)), "dilation": (2, 1)}
    cotangent = normal(rng, conv2d(params, x, (2, 1), **options).shape)

    def loss(conv, params, x):
        return jnp.sum(conv(params, x, (2, 1), **options) * cotangent)

    got = jax.jit(jax.grad(lambda p, x: loss(conv2d, p, x), argnums=(0, 1)))(params, x)
    expected = jax.grad(lambda p, x: loss(conv2d_lax, p, x), argnums=(0, 1))(params, x)
    for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def test_init_is_he_normal(key):
    params = init_conv2d(key, 3, 8, 256)  # fan_in = 72, 18432 weights
    assert params["w"].shape == (3, 3, 8, 256) and params["b"].shape == (256,)
    np.testing.assert_allclose(jnp.std(params["w"]), np.sqrt(2.0 / 72), rtol=0.03)
    np.testing.assert_array_equal(params["b"], 0.0)
    rectangular = jax.eval_shape(lambda key: init_conv2d(key, (1, 5), 4, 2), key)  # no draw
    assert rectangular["w"].shape == (1, 5, 4, 2)
    assert jax.eval_shape(lambda key: init_conv1d(key, 5, 4, 2), key)["w"].shape == (5, 4, 2)


@pytest.mark.parametrize(
    ("kernel", "stride", "dilation", "padding"),
    [(3, 1, 1, "SAME"), (5, 2, 1, "VALID"), (3, 2, 3, "SAME"), (4, 3, 2, ((3, 0),))],
)
def test_conv1d_matches_lax(kernel, stride, dilation, padding):
    rng = np.random.default_rng(kernel)
    params = {"w": normal(rng, (kernel, 2, 3)), "b": normal(rng, (3,))}
    x = normal(rng, (2, 20, 2))  # (batch, width, c_in): an MNIST-1D-like signal
    expected = jax.lax.conv_general_dilated(
        x,
        params["w"],
        (stride,),
        padding,
        rhs_dilation=(dilation,),
        dimension_numbers=("NWC", "WIO", "NWC"),
    )
    got = conv1d(params, x, stride, padding=padding, dilation=dilation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected + params["b"], rtol=1e-5, atol=1e-5)


def test_conv1d_is_conv2d_on_a_one_row_image():
    rng = np.random.default_rng(1)
    params, x = random_params(rng, 1, 3, 2, 4), normal(rng, (3, 1, 11, 2))
    one_d = conv1d({"w": params["w"][0], "b": params["b"]}, x[:, 0], 2, dilation=2)
    np.testing.assert_allclose(
        one_d, conv2d(params, x, (1, 2), dilation=(1, 2))[:, 0], rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("padding", ["BOTH", ((1, 1),), ((-1, 0), (0, 0))])
def test_bad_padding_is_refused(padding):
    with pytest.raises(ValueError, match="padding="):
        conv_output_shape((5, 5), (3, 3), 1, padding)


def test_window_larger_than_padded_input_is_refused():
    with pytest.raises(ValueError, match="exceeds"):
        conv_output_shape((4, 4), (3, 3), 1, "VALID", dilation=2)


@pytest.fixture(scope="module")
def shift_maps():
    """Maps of 2-channel 8x8 images, jitted once: 3x3 convs and a one-hidden-layer MLP."""
    rng = np.random.default_rng(1)
    conv_params = random_params(rng, 3, 3, 2, 3)
    mlp_params = [  # 128 -> 64 -> 192: every pixel to every pixel, LeCun scale
        {"w": normal(rng, (8 * 8 * 2, 64)) / np.sqrt(128), "b": jnp.zeros(64)},
        {"w": normal(rng, (64, 8 * 8 * 3)) / np.sqrt(64), "b": jnp.zeros(8 * 8 * 3)},
    ]

    def mlp_map(x):  # (batch, 8, 8, 2) -> (batch, 8, 8, 3)
        return mlp(mlp_params, x.reshape(len(x), -1)).reshape(len(x), 8, 8, 3)

    maps = {
        "circular": lambda x: conv2d(conv_params, x, padding="CIRCULAR"),  # (batch, 8, 8, 3)
        "strided": lambda x: conv2d(conv_params, x, 2, padding="CIRCULAR"),  # (batch, 4, 4, 3)
        "zero_padded": lambda x: conv2d(conv_params, x),  # (batch, 8, 8, 3)
        "mlp": mlp_map,
    }
    maps["circular_pooled"] = lambda x: global_avg_pool(jax.nn.relu(maps["circular"](x)))
    maps["mlp_pooled"] = lambda x: global_avg_pool(jax.nn.relu(mlp_map(x)))  # (batch, 3)
    return {name: jax.jit(f) for name, f in maps.items()}


@pytest.fixture(scope="module")
def images():
    return normal(np.random.default_rng(2), (4, 8, 8, 2))  # (batch, 8, 8, 2)


def mean_norm(y):
    return jnp.linalg.norm(y, axis=-1).mean()


def test_circular_conv_is_exactly_shift_equivariant_and_an_mlp_is_not(shift_maps, images):
    circular, mlp_map = shift_maps["circular"], shift_maps["mlp"]
    for shift in [(1, 0), (2, -3), (7, 5)]:
        error = shift_equivariance_error(circular, images, shift)
        assert error.shape == (4, 8, 8)
        np.testing.assert_allclose(error / mean_norm(circular(images)), 0.0, rtol=0, atol=1e-5)
        mlp_error = shift_equivariance_error(mlp_map, images, shift)
        assert mlp_error.mean() / mean_norm(mlp_map(images)) > 0.5, shift


def test_strided_circular_conv_is_equivariant_to_stride_multiples(shift_maps, images):
    strided = shift_maps["strided"]
    scale = mean_norm(strided(images))
    error = shift_equivariance_error(strided, images, (2, 4), (1, 2))  # (4, 4, 4)
    np.testing.assert_allclose(error / scale, 0.0, rtol=0, atol=1e-5)
    odd_shift = shift_equivariance_error(strided, images, (1, 0), (1, 0))
    assert odd_shift.mean() / scale > 0.3


def test_zero_padded_conv_errs_only_at_the_border(shift_maps, images):
    """Rolling by (1, 0) wraps the last row to the top; a 3x3 SAME conv reads one row around
    each output, so rows 0, 1 and 7 (the wrapped row's neighbours and the zero-padded edges)
    differ; every other row is exact."""
    error = shift_equivariance_error(shift_maps["zero_padded"], images, (1, 0))  # (4, 8, 8)
    np.testing.assert_allclose(error[:, 2:7], 0.0, rtol=0, atol=1e-5)
    assert jnp.all(error[:, jnp.array([0, 1, 7])].max(axis=-1) > 1e-2)


def test_global_pooling_makes_the_circular_conv_invariant_and_not_the_mlp(shift_maps, images):
    conv_features, mlp_features = shift_maps["circular_pooled"], shift_maps["mlp_pooled"]
    conv_scale = jnp.linalg.norm(conv_features(images), axis=-1)  # (batch,)
    mlp_scale = jnp.linalg.norm(mlp_features(images), axis=-1)
    for shift in [(1, 0), (3, -2)]:
        error = shift_invariance_error(conv_features, images, shift)
        assert error.shape == (4,)
        np.testing.assert_allclose(error / conv_scale, 0.0, rtol=0, atol=1e-5)
        mlp_error = shift_invariance_error(mlp_features, images, shift)
        assert jnp.min(mlp_error / mlp_scale) > 0.05
