"""The multi-layer perceptron: alternating affine maps and nonlinearities.

h_0 = x,  h_{l+1} = dropout(relu(h_l W_l + b_l)) for hidden layers,  logits = h_L W_L + b_L
"""

from __future__ import annotations

from collections.abc import Sequence

import jax

from jlr.nn.dropout import dropout
from jlr.nn.linear import init_linear, linear


def init_mlp(key: jax.Array, layer_sizes: Sequence[int]) -> list[dict[str, jax.Array]]:
    """Parameters for sizes (d_in, d_hidden..., d_out): a list of linear layers."""
    keys = jax.random.split(key, len(layer_sizes) - 1)
    return [
        init_linear(layer_key, d_in, d_out)
        for layer_key, d_in, d_out in zip(keys, layer_sizes[:-1], layer_sizes[1:], strict=True)
    ]


def mlp(
    params: list[dict[str, jax.Array]],
    x: jax.Array,
    *,
    drop_prob: float = 0.0,
    key: jax.Array | None = None,
) -> jax.Array:
    """x: (..., d_in) -> logits (..., d_out); ReLU (and dropout when training) between layers.

    key=None means evaluation: no dropout.
    """
    *hidden, last = params
    keys = jax.random.split(key, len(hidden)) if key is not None else [None] * len(hidden)
    for layer, layer_key in zip(hidden, keys, strict=True):
        x = dropout(jax.nn.relu(linear(layer, x)), drop_prob, key=layer_key)
    return linear(last, x)
