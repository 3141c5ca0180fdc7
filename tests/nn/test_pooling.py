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
    ((2, 2), None, "SAME"),  # non-overlapping windows over a padded odd height
    ((2, 3), None, ((1, 0), (2, 1))),
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


@pytest.mark.parametrize(("window", "stride", "padding"), CASES_2D)
def test_max_pool_gradient_reaches_only_each_windows_winner(images, window, stride, padding):
    """Same routing as lax's select-and-scatter: grads agree with reduce_window's."""
    out_shape = max_pool(images, window, stride, padding).shape
    cotangent = jnp.asarray(np.random.default_rng(2).standard_normal(out_shape), jnp.float32)
    got = jax.grad(lambda x: jnp.sum(max_pool(x, window, stride, padding) * cotangent))(images)
    expected = jax.grad(
        lambda x: jnp.sum(
            reduce_window(x, -jnp.inf, jax.lax.max, window, stride, padding) * cotangent
        )
    )(images)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert jnp.sum(got != 0) <= cotangent.size  # at most one input per output unit


def test_max_pool_circular_blocks_equal_circular_views(images):
    """Non-overlapping CIRCULAR windows (blocks of the wrapped input) against the max over
    `window_views`, which pads the same way; reduce_window has no circular padding."""
    got = max_pool(images, (2, 4), None, "CIRCULAR")
    views = pooling.window_views(images, (2, 4), (2, 4), "CIRCULAR")
    np.testing.assert_array_equal(got, np.max(np.stack(views), axis=0))


@pytest.mark.parametrize(
    "window, stride", [((2, 2), None), ((2, 4), None), ((3, 3), None), ((3, 3), (1, 1))]
)
def test_max_pool_splits_a_tied_windows_gradient_evenly(window, stride):
    """Ties (a window of zeros after a ReLU) share each window's cotangent evenly, none is
    lost or doubled, for non-overlapping blocks and for overlapping views alike."""
    x = jnp.zeros((1, *window, 2))  # one window (or, overlapping, one output), every input tied
    got = jax.grad(lambda x: jnp.sum(max_pool(x, window, stride) * jnp.array([3.0, -2.0])))(x)
    n = window[0] * window[1]
    np.testing.assert_allclose(got[..., 0], 3.0 / n, rtol=1e-6)
    np.testing.assert_allclose(got[..., 1], -2.0 / n, rtol=1e-6)


@pytest.mark.parametrize("window, stride", [((2, 2), None), ((3, 2), (2, 1))])
def test_max_pool_forward_mode_matches_reduce_window(images, window, stride):
    """jax.jvp works (a custom JVP, not a custom VJP) and moves each output with its winner."""
    tangent = jnp.asarray(np.random.default_rng(3).standard_normal(images.shape), jnp.float32)
    _, got = jax.jvp(lambda x: max_pool(x, window, stride, "SAME"), (images,), (tangent,))
    _, expected = jax.jvp(
        lambda x: reduce_window(x, -jnp.inf, jax.lax.max, window, stride or window, "SAME"),
        (images,),
        (tangent,),
    )
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_max_pool_hessian_vector_product_is_that_of_the_selected_inputs(images):
    """Forward-over-reverse (jlr's HVP) runs through max pooling: for f = sum(pool(x)^2) / 2,
    H v routes v through the winners and back, the HVP of reduce_window's pool."""
    v = jnp.asarray(np.random.default_rng(4).standard_normal(images.shape), jnp.float32)

    def hvp(pool):
        grad = jax.grad(lambda x: 0.5 * jnp.sum(pool(x) ** 2))
        return jax.jvp(grad, (images,), (v,))[1]

    got = hvp(lambda x: max_pool(x, (2, 2)))
    expected = hvp(lambda x: reduce_window(x, -jnp.inf, jax.lax.max, (2, 2), (2, 2), "VALID"))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert jnp.any(got != 0)


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
