"""A small convolutional network for 8x8 grey images (scikit-learn's digits).

    (batch, 8, 8, 1) -conv 3x3, s=1, relu-> (batch, 8, 8, c1)
                     -conv 3x3, s=2, relu-> (batch, 4, 4, c2) -flatten-> (batch, 16 c2)
                     -linear-> logits (batch, 10)

Built from `jlr.nn.conv` and `jlr.nn.linear`; small enough that a sweep of dozens of runs
(the optimizer study's digits-cnn task) trains in seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax

from jlr.nn.conv import conv2d, init_conv2d
from jlr.nn.linear import init_linear, linear


def init_cnn(
    key: jax.Array, channels: Sequence[int] = (8, 16), image_size: int = 8, n_classes: int = 10
) -> dict:
    """{"conv1", "conv2": conv layers, "head": linear (image_size/2)^2 c2 -> n_classes}."""
    c1, c2 = channels
    conv1_key, conv2_key, head_key = jax.random.split(key, 3)
    d_flat = (image_size // 2) ** 2 * c2
    return {
        "conv1": init_conv2d(conv1_key, 3, 1, c1),
        "conv2": init_conv2d(conv2_key, 3, c1, c2),
        "head": init_linear(head_key, d_flat, n_classes),
    }


def cnn(params: dict, images: jax.Array) -> jax.Array:
    """images: (batch, h, w) grey -> logits (batch, n_classes)."""
    x = images[..., None]  # (batch, h, w, 1)
    x = jax.nn.relu(conv2d(params["conv1"], x))  # (batch, h, w, c1)
    x = jax.nn.relu(conv2d(params["conv2"], x, stride=2))  # (batch, h/2, w/2, c2)
    x = x.reshape(x.shape[0], -1)  # (batch, h/2 * w/2 * c2)
    return linear(params["head"], x)
