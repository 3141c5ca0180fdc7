"""Hand-written backward passes against jax.grad / jax.vjp of independently written forwards.

The oracles: `jlr.models.mlp.mlp` for the MLP; `lax.conv_general_dilated` and
`lax.reduce_window` (max, and sum / p^2) for the conv layer, the pools and the CNN. Gradients
must agree to 1e-5 relative error, max|a - b| / max|b| per array, in float32.

Random inputs come from numpy (compiling jax.random for every new shape would cost more than
the tests), and each case (hand-written pass and oracle) is one jitted function, so a shape
costs one compilation.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.backprop import manual
from jlr.models.mlp import mlp
from jlr.nn.conv import conv2d
from jlr.probability.cross_entropy import softmax_cross_entropy

RTOL = 1e-5


def assert_close(got, expected, rtol=RTOL):
    """Per leaf: max|got - expected| / max|expected| <= rtol (and the same tree structure)."""
    assert jax.tree.structure(got) == jax.tree.structure(expected)
    for (path, g), e in zip(jax.tree.leaves_with_path(got), jax.tree.leaves(expected), strict=True):
        assert g.shape == e.shape, (jax.tree_util.keystr(path), g.shape, e.shape)
        scale = float(jnp.max(jnp.abs(e)))
        error = float(jnp.max(jnp.abs(g - e)))
        assert scale > 0, jax.tree_util.keystr(path)  # an all-zero oracle would prove nothing
        assert error <= rtol * scale, (jax.tree_util.keystr(path), error / scale)


def mean_loss(logits, labels):
    return jnp.mean(softmax_cross_entropy(logits, labels))


# ---- MLP -------------------------------------------------------------------------------------


def normal(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def random_mlp(seed, layer_sizes, batch):
    """LeCun-normal weights, nonzero biases, inputs and labels."""
    rng = np.random.default_rng(seed)
    params = [
        {"w": normal(rng, d_in, d_out, scale=d_in**-0.5), "b": normal(rng, d_out, scale=0.3)}
        for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    ]
    x = normal(rng, batch, layer_sizes[0])
    return params, x, rng.integers(0, layer_sizes[-1], batch)


@jax.jit
def mlp_case(params, x, labels):
    oracle = jax.value_and_grad(lambda params: mean_loss(mlp(params, x), labels))
    return manual.mlp_loss_and_grads(params, x, labels), oracle(params)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([((5, 3), 1), ((4, 8, 3), 7), ((6, 16, 8, 10), 5)]),  # (layer sizes, batch)
)
def test_mlp_gradients_match_jax_grad(seed, shapes):
    (loss, grads), (expected_loss, expected_grads) = mlp_case(*random_mlp(seed, *shapes))
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
    assert_close(grads, expected_grads)


def test_mlp_forward_equals_the_library_mlp_and_caches_every_layer():
    params, x, _ = random_mlp(0, (6, 16, 8, 10), 5)
    logits, cache = jax.jit(manual.mlp_forward)(params, x)
    np.testing.assert_allclose(logits, jax.jit(mlp)(params, x), rtol=1e-6, atol=1e-6)
    shapes = [{name: a.shape for name, a in layer.items()} for layer in cache]
    assert shapes == [
        {"x": (5, 6), "z": (5, 16)},
        {"x": (5, 16), "z": (5, 8)},
        {"x": (5, 8), "z": (5, 10)},
    ]
    np.testing.assert_array_equal(cache[1]["x"], jax.nn.relu(cache[0]["z"]))


def test_softmax_cross_entropy_backward_is_probs_minus_one_hot_over_batch():
    logits = normal(np.random.default_rng(4), 6, 5, scale=30.0)  # large: softmax saturates
    labels = jnp.array([0, 4, 2, 1, 3, 0])
    both = jax.jit(
        lambda z: (manual.softmax_cross_entropy_backward(z, labels), jax.grad(mean_loss)(z, labels))
    )
    assert_close(*both(logits))


# ---- convolution -------------------------------------------------------------------------------


def lax_conv(layer, x, stride):
    out = jax.lax.conv_general_dilated(
        x, layer["w"], (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return out + layer["b"]


@partial(jax.jit, static_argnums=3)
def conv_case(layer, x, dy, stride):
    """y, dx and grads for upstream gradient dy: by hand, by jax.vjp, and y by jlr.nn.conv."""
    expected_y, vjp = jax.vjp(lambda layer, x: lax_conv(layer, x, stride), layer, x)
    expected_grads, expected_dx = vjp(dy)
    y, cache = manual.conv2d_forward(layer, x, stride)
    dx, grads = manual.conv2d_backward(layer, cache, dy, stride)
    return (y, dx, grads), (expected_y, expected_dx, expected_grads), conv2d(layer, x, stride)


@pytest.mark.parametrize(
    ("kernel", "stride", "c_in", "c_out", "size"),
    [(3, 1, 1, 4, (8, 8)), (3, 2, 3, 5, (8, 8)), (3, 2, 2, 3, (7, 5)), (5, 3, 2, 2, (9, 10))],
)
def test_conv2d_backward_matches_vjp_of_lax_conv(kernel, stride, c_in, c_out, size):
    rng = np.random.default_rng(0)
    layer = {"w": normal(rng, kernel, kernel, c_in, c_out), "b": normal(rng, c_out)}
    x = normal(rng, 2, *size, c_in)
    dy = normal(rng, 2, -(-size[0] // stride), -(-size[1] // stride), c_out)  # any upstream grad
    got, expected, library_y = conv_case(layer, x, dy, stride)
    assert_close(got, expected)  # y, dx, dW and db
    assert_close(got[0], library_y)


@partial(jax.jit, static_argnums=(2, 3))
def adjoint_case(x, p, kernel, stride):
    """<im2col(x), P> and <x, col2im(P)>."""
    lhs = jnp.vdot(manual.im2col(x, kernel, stride), p)
    return lhs, jnp.vdot(x, manual.col2im(p, x.shape, kernel, stride))


@pytest.mark.parametrize(
    ("kernel", "stride", "size"), [(1, 1, (4, 4)), (3, 2, (5, 7)), (2, 3, (7, 5))]
)
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, size):
    """<im2col(x), P> = <x, col2im(P)> for all x, P: col2im is im2col's transpose."""
    rng = np.random.default_rng(1)
    x = normal(rng, 2, *size, 3)
    p = normal(rng, 2, -(-size[0] // stride), -(-size[1] // stride), kernel * kernel * 3)
    lhs, rhs = adjoint_case(x, p, kernel, stride)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-5, atol=1e-4)


# ---- pooling ---------------------------------------------------------------------------------


def lax_max_pool(x, window):
    dims = (1, window, window, 1)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, dims, dims, "VALID")


def lax_avg_pool(x, window):
    dims = (1, window, window, 1)
    return jax.lax.reduce_window(x, 0.0, jax.lax.add, dims, dims, "VALID") / window**2


POOLS = {
    "max": (manual.max_pool_forward, manual.max_pool_backward, lax_max_pool),
    "avg": (manual.avg_pool_forward, manual.avg_pool_backward, lax_avg_pool),
}


@partial(jax.jit, static_argnums=(2, 3))
def pool_case(x, dy, pool, window):
    forward, backward, oracle = POOLS[pool]
    expected_y, vjp = jax.vjp(lambda x: oracle(x, window), x)
    y, cache = forward(x, window)
    return (y, backward(cache, dy, window)), (expected_y, vjp(dy)[0])


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize(("window", "size"), [(2, (8, 8)), (2, (7, 5)), (3, (9, 7))])
def test_pool_backward_matches_vjp_of_reduce_window(pool, window, size):
    rng = np.random.default_rng(2)
    x = normal(rng, 2, *size, 3)  # continuous: no ties in a max window
    dy = normal(rng, 2, size[0] // window, size[1] // window, 3)
    got, expected = pool_case(x, dy, pool, window)
    assert_close(got, expected)
    dx = got[1]
    assert jnp.all(dx[:, size[0] // window * window :] == 0)  # rows past the last window


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = jnp.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 5.0, 5.0]]).reshape(1, 2, 4, 1)
    y, cache = manual.max_pool_forward(x)
    dy = jnp.array([10.0, 20.0]).reshape(1, 1, 2, 1)
    dx = manual.max_pool_backward(cache, dy)
    expected = jnp.array([[0.0, 10.0, 0.0, 0.0], [0.0, 0.0, 20.0, 0.0]]).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(y.ravel(), [3.0, 5.0])
    np.testing.assert_array_equal(dx, expected)  # row-major (u, v): the first 3, the first 5
    np.testing.assert_array_equal(dx, jax.vjp(lambda x: lax_max_pool(x, 2), x)[1](dy)[0])


# ---- the CNN ---------------------------------------------------------------------------------


def lax_pooled_cnn(params, x, strides):
    """The same network as manual.pooled_cnn_forward, from lax ops only."""
    h = lax_max_pool(jax.nn.relu(lax_conv(params["conv1"], x, strides[0])), 2)
    h = lax_avg_pool(jax.nn.relu(lax_conv(params["conv2"], h, strides[1])), 2)
    return h.reshape(len(h), -1) @ params["head"]["w"] + params["head"]["b"]


@partial(jax.jit, static_argnums=3)
def cnn_case(params, x, labels, strides):
    """(logits, loss, grads): by hand, and by jax.grad of the lax network."""

    def oracle_loss(params):
        logits = lax_pooled_cnn(params, x, strides)
        return mean_loss(logits, labels), logits

    (expected_loss, expected_logits), expected_grads = jax.value_and_grad(
        oracle_loss, has_aux=True
    )(params)
    loss, grads = manual.pooled_cnn_loss_and_grads(params, x, labels, strides)
    logits, _ = manual.pooled_cnn_forward(params, x, strides)
    return (logits, loss, grads), (expected_logits, expected_loss, expected_grads)


@pytest.mark.parametrize(
    ("image_shape", "channels", "strides", "batch"),
    [
        ((8, 8, 1), (3, 4), (1, 1), 4),
        ((12, 10, 3), (4, 2), (2, 1), 3),
        ((11, 9, 2), (2, 3), (1, 2), 2),
    ],
)
def test_pooled_cnn_gradients_match_jax_grad(image_shape, channels, strides, batch):
    rng = np.random.default_rng(3)
    shapes = jax.eval_shape(  # init_pooled_cnn's shapes, values drawn here (He scale, biases)
        lambda key: manual.init_pooled_cnn(key, image_shape, channels, 7, strides=strides),
        jax.random.key(0),
    )
    params = {
        name: {
            "w": normal(rng, *layer["w"].shape, scale=(2 / np.prod(layer["w"].shape[:-1])) ** 0.5),
            "b": normal(rng, *layer["b"].shape, scale=0.1),
        }
        for name, layer in shapes.items()
    }
    x = normal(rng, batch, *image_shape)
    labels = rng.integers(0, 7, batch)
    got, expected = cnn_case(params, x, labels, strides)
    assert_close(got, expected)  # logits, loss and every gradient


def test_init_pooled_cnn_gives_the_shapes_the_forward_needs(key):
    init = partial(manual.init_pooled_cnn, kernel=5, strides=(2, 1))
    params = jax.eval_shape(lambda key: init(key, (12, 10, 3), (4, 6), 5), key)
    shapes = jax.tree.map(jnp.shape, params)
    assert shapes == {  # 12x10 -conv s2-> 6x5 -pool-> 3x2 -conv s1-> 3x2 -pool-> 1x1
        "conv1": {"w": (5, 5, 3, 4), "b": (4,)},
        "conv2": {"w": (5, 5, 4, 6), "b": (6,)},
        "head": {"w": (1 * 1 * 6, 5), "b": (5,)},
    }
