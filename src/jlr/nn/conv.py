"""The 2-D convolution layer (as every deep-learning library defines it: a cross-correlation).

conv(x, W)[n, i, j, o] = b_o + sum_{u, v, c} x[n, s i + u, s j + v, c] W[u, v, c, o]
with stride s and SAME zero padding (the output has ceil(h / s) x ceil(w / s) positions).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


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
