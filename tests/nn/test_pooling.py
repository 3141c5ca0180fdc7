"""Max and average pooling against lax.reduce_window and flax.linen's max_pool/avg_pool."""

import flax.linen as flax_nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.nn import pooling
from jlr.nn.pooling import avg_pool, global_avg_pool, global_max_pool, max_pool

# window, stride and padding are static: one compiled pooling per case (faster than op by op)
static = {"static_argnums": (1, 2, 3), "static_argnames": "count_include_pad"}
max_pool2d = jax.jit(pooling.max_pool2d, static_argnums=(1, 2, 3))
avg_pool2d = jax.jit(pooling.avg_pool2d, **static)
max_pool1d = jax.jit(pooling.max_pool1d, static_argnums=(1, 2, 3))
avg_pool1d = jax.jit(pooling.avg_pool1d, **static)

# (window, stride, padding); stride None = the window (this module's default, not flax's)
CASES_2D = [
    ((2, 2), None, "VALID"),
    ((3, 3), (2, 2), "SAME"),
    ((3, 2), (1, 2), ((1, 1), (0, 1))),
    ((2, 3), (1, 1), "SAME"),
]


@pytest.fixture(scope="module")
def images():
    """(batch, h, w, c) = (2, 7, 6, 3), distinct values (no ties in a max)."""
    return jnp.asarray(np.random.default_rng(0).standard_normal((2, 7, 6, 3)), jnp.float32)


def reduce_window(x, init, op, window, stride, padding):
    """lax's pooling primitive over the spatial axes of (batch, *spatial, c)."""
    stride = window if stride is None else stride
    padding = padding if isinstance(padding, str) else ((0, 0), *padding, (0, 0))
    return jax.lax.reduce_window(x, init, op, (1, *window, 1), (1, *stride, 1), padding)


@pytest.mark.parametrize(("window", "stride", "padding"), CASES_2D)
def test_max_pool2d_matches_reduce_window_and_flax(images, window, stride, padding):
    got = max_pool2d(images, window, stride, padding)
    expected = reduce_window(images, -jnp.inf, jax.lax.max, window, stride, padding)
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)  # a max picks, it does not round
    flax_out = flax_nn.max_pool(images, window, stride or window, padding)
    np.testing.assert_allclose(got, flax_out, rtol=0, atol=0)


@pytest.mark.parametrize(("window", "stride", "padding"), CASES_2D)
def test_avg_pool2d_matches_flax_in_both_padding_conventions(images, window, stride, padding):
    strides = stride or window
    window_sum = reduce_window(images, 0.0, jax.lax.add, window, stride, padding)
    including = avg_pool2d(images, window, stride, padding, count_include_pad=True)
    np.testing.assert_allclose(including, window_sum / np.prod(window), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        including,
        flax_nn.avg_pool(images, window, strides, padding, count_include_pad=True),
        rtol=1e-6,
        atol=1e-6,
    )
    excluding = avg_pool2d(images, window, stride, padding)  # the default: real inputs only
    np.testing.assert_allclose(
        excluding,
        flax_nn.avg_pool(images, window, strides, padding, count_include_pad=False),
        rtol=1e-6,
        atol=1e-6,
    )


def test_avg_pool_conventions_differ_only_at_padded_windows(images):
    """SAME 3x3, stride 1: an interior window has no padding; a corner one has 4 real inputs."""
    excluding = pooling.avg_pool2d(images, 3, 1, "SAME")
    including = pooling.avg_pool2d(images, 3, 1, "SAME", count_include_pad=True)
    np.testing.assert_allclose(excluding[:, 1:-1, 1:-1], including[:, 1:-1, 1:-1], rtol=1e-6)
    np.testing.assert_allclose(excluding[:, 0, 0], images[:, :2, :2].mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(
        including[:, 0, 0], images[:, :2, :2].sum(axis=(1, 2)) / 9, rtol=1e-5
    )


@pytest.mark.parametrize(("window", "stride", "padding"), [(3, None, "VALID"), (3, 2, "SAME")])
def test_1d_pools_match_flax(window, stride, padding):
    signals = jnp.asarray(np.random.default_rng(1).standard_normal((2, 11, 3)), jnp.float32)
    strides = (stride or window,)
    np.testing.assert_allclose(
        max_pool1d(signals, window, stride, padding),
        flax_nn.max_pool(signals, (window,), strides, padding),
        rtol=0,
        atol=0,
    )
    np.testing.assert_allclose(
        avg_pool1d(signals, window, stride, padding),
        flax_nn.avg_pool(signals, (window,), strides, padding, count_include_pad=False),
        rtol=1e-6,
        atol=1e-6,
    )


def test_max_pool_gradient_reaches_only_each_windows_winner(images):
    """Same routing as lax's select-and-scatter: grads agree with reduce_window's."""
    window, stride, padding = (3, 3), (2, 2), "SAME"
    cotangent = jnp.asarray(np.random.default_rng(2).standard_normal((2, 4, 3, 3)), jnp.float32)
    got = jax.grad(lambda x: jnp.sum(max_pool(x, window, stride, padding) * cotangent))(images)
    expected = jax.grad(
        lambda x: jnp.sum(
            reduce_window(x, -jnp.inf, jax.lax.max, window, stride, padding) * cotangent
        )
    )(images)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert jnp.sum(got != 0) <= 2 * 4 * 3 * 3  # at most one input per output unit


@pytest.mark.parametrize("window", [(2, 2), (2, 4), (3, 3)])
def test_max_pool_gradient_of_a_tied_window_sums_to_its_cotangent(window):
    """Ties (a window of zeros after a ReLU) share each window's cotangent, none is lost or
    doubled; a window of 2^k tied inputs shares it evenly (the tree of pairwise maxima)."""
    x = jnp.zeros((1, *window, 2))  # one window, every input tied
    got = jax.grad(lambda x: jnp.sum(max_pool(x, window) * jnp.array([3.0, -2.0])))(x)
    np.testing.assert_allclose(jnp.sum(got, axis=(0, 1, 2)), [3.0, -2.0], rtol=1e-6)
    assert jnp.all(got[..., 0] > 0) and jnp.all(got[..., 1] < 0)  # every tied input shares
    n = window[0] * window[1]
    if n & (n - 1) == 0:  # a power of 2: an even split
        np.testing.assert_allclose(got[..., 0], 3.0 / n, rtol=1e-6)


def test_average_pool_of_a_constant_is_that_constant_even_at_the_border():
    x = jnp.full((1, 5, 5, 2), 3.0)
    np.testing.assert_allclose(avg_pool(x, (3, 3), (2, 2), "SAME"), 3.0, rtol=1e-6)


def test_global_pools_reduce_every_spatial_axis(images):
    np.testing.assert_allclose(
        global_avg_pool(images),
        reduce_window(images, 0.0, jax.lax.add, (7, 6), None, "VALID")[:, 0, 0] / 42,
        rtol=1e-6,
        atol=1e-6,
    )
    np.testing.assert_allclose(global_max_pool(images), np.max(images, axis=(1, 2)), rtol=0)
    signals = images[:, 0]  # (batch, width, c)
    np.testing.assert_allclose(global_avg_pool(signals), np.mean(signals, axis=1), rtol=1e-6)
    assert global_avg_pool(images).shape == (2, 3)
