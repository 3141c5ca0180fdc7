"""A tiny convolutional network for 8x8 digits (a stand-in until `jlr.models.cnn` exists).

conv(x, W)[n, i, j, o] = b_o + sum_{u, v, c} x[n, s i + u, s j + v, c] W[u, v, c, o]
(cross-correlation with stride s and SAME zero padding, as in every deep-learning library)

    (batch, 8, 8, 1) -conv 3x3, s=1, relu-> (batch, 8, 8, c1)
                     -conv 3x3, s=2, relu-> (batch, 4, 4, c2) -flatten-> (batch, 16 c2)
                     -linear-> logits (batch, 10)

The optimizer study's third task; small enough that a sweep of dozens of runs trains in
seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jlr.nn.linear import init_linear, linear


def init_conv2d(key: jax.Array, kernel: int, c_in: int, c_out: int) -> dict[str, jax.Array]:
    """He-normal kernel, zero bias: {"w": (kernel, kernel, c_in, c_out), "b": (c_out,)}.

    w ~ N(0, 2 / fan_in), fan_in = kernel^2 c_in, keeps ReLU activations at unit scale.
    """
    fan_in = kernel * kernel * c_in
    w = jax.random.normal(key, (kernel, kernel, c_in, c_out)) * jnp.sqrt(2.0 / fan_in)
    return {"w": w, "b": jnp.zeros((c_out,))}


def conv2d(params: dict[str, jax.Array], x: jax.Array, stride: int = 1) -> jax.Array:
    """SAME-padded 2-D cross-correlation as one matmul over patches (im2col).

    x: (batch, h, w, c_in) -> (batch, ceil(h/s), ceil(w/s), c_out). Equals
    `lax.conv_general_dilated(x, W, (s, s), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))`
    + b (the tests check it). Why patches: a sweep vmaps this over runs, each with its own
    kernel, and vmap turns a per-run kernel into a grouped convolution, which XLA's CPU
    backend runs several times slower than the batched matmul that im2col gives.
    """
    kernel, _, c_in, c_out = params["w"].shape
    _, h, w, _ = x.shape
    pad_h, pad_w = jax.lax.padtype_to_pads((h, w), (kernel, kernel), (stride, stride), "SAME")
    x = jnp.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))  # (batch, h + pad, w + pad, c_in)
    out_h, out_w = -(-h // stride), -(-w // stride)
    shifted = [  # x[n, s i + u, s j + v, :] for each kernel offset (u, v)
        x[:, u : u + (out_h - 1) * stride + 1 : stride, v : v + (out_w - 1) * stride + 1 : stride]
        for u in range(kernel)
        for v in range(kernel)
    ]
    patches = jnp.concatenate(shifted, axis=-1)  # (batch, out_h, out_w, k*k*c_in), order (u, v, c)
    w_matrix = params["w"].reshape(kernel * kernel * c_in, c_out)  # same (u, v, c) order
    return patches @ w_matrix + params["b"]  # (batch, out_h, out_w, c_out)


def init_tiny_cnn(
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


def tiny_cnn(params: dict, images: jax.Array) -> jax.Array:
    """images: (batch, h, w) grey -> logits (batch, n_classes)."""
    x = images[..., None]  # (batch, h, w, 1)
    x = jax.nn.relu(conv2d(params["conv1"], x))  # (batch, h, w, c1)
    x = jax.nn.relu(conv2d(params["conv2"], x, stride=2))  # (batch, h/2, w/2, c2)
    x = x.reshape(x.shape[0], -1)  # (batch, h/2 * w/2 * c2)
    return linear(params["head"], x)
