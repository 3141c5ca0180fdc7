"""The CNN's forward pass against one written independently with lax.conv and jax.nn."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.models.cnn import cnn, init_cnn


def reference_cnn(params, images):
    """conv 3x3 s1 relu -> conv 3x3 s2 relu -> flatten -> linear, with lax.conv_general_dilated."""

    def conv(layer, x, stride):
        out = jax.lax.conv_general_dilated(
            x, layer["w"], (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return out + layer["b"]

    x = images[..., None]
    x = jax.nn.relu(conv(params["conv1"], x, 1))
    x = jax.nn.relu(conv(params["conv2"], x, 2))
    return x.reshape(len(x), -1) @ params["head"]["w"] + params["head"]["b"]


def test_cnn_matches_a_lax_conv_forward_pass(key):
    init_key, x_key, bias_key = jax.random.split(key, 3)
    params = init_cnn(init_key, (3, 4))
    params["conv1"]["b"] = 0.1 * jax.random.normal(bias_key, (3,))  # nonzero biases count too
    images = jax.random.normal(x_key, (5, 8, 8))
    logits = cnn(params, images)
    assert logits.shape == (5, 10)
    np.testing.assert_allclose(logits, reference_cnn(params, images), rtol=1e-5, atol=1e-5)


def test_parameter_shapes_follow_channels_and_image_size(key):
    params = init_cnn(key, (2, 6), image_size=12, n_classes=3)
    shapes = jax.tree.map(jnp.shape, params)
    assert shapes == {
        "conv1": {"w": (3, 3, 1, 2), "b": (2,)},
        "conv2": {"w": (3, 3, 2, 6), "b": (6,)},
        "head": {"w": (6 * 6 * 6, 3), "b": (3,)},
    }
    assert cnn(params, jnp.zeros((2, 12, 12))).shape == (2, 3)
