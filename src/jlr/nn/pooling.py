"""Pooling: summarise each window of a feature map by its maximum or its mean.

max_pool(x)[n, i, j, c] = max_{u, v} x[n, s_h i + u - p_h, s_w j + v - p_w, c]
avg_pool(x)[n, i, j, c] = mean of the same window

A pooling layer slides a window like a convolution (the same `window_views` of the padded
input) but has no weights and treats each channel on its own. Conventions, stated because
libraries differ:

- the stride defaults to the window (non-overlapping windows, PyTorch's default; flax's and
  lax's default is 1);
- padding is "VALID" by default, or "SAME" or ((lo, hi), ...), as in `jlr.nn.conv`; max pooling
  pads with -inf, so padding never wins a max;
- average pooling divides by the number of real inputs in each window, not counting padding
  (count_include_pad=False, TensorFlow's SAME convention), so a border window is not pulled
  toward 0; flax and PyTorch default to count_include_pad=True, dividing by the window size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jlr.nn.conv import Padding, window_views


def _window(window: int | Sequence[int], n_axes: int) -> tuple[int, ...]:
    return (window,) * n_axes if isinstance(window, int) else tuple(window)


def max_pool(
    x: jax.Array,
    window: Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: Padding = "VALID",
) -> jax.Array:
    """Maximum over each window: x: (batch, *spatial, c) -> (batch, *out, c), any spatial rank.

    The gradient reaches only the input that won each window's max. The views are combined
    by a balanced tree of elementwise maxima, not by `jnp.max` over their stack: the same
    values, but autodiff of a reduction over a stacked axis (a mask of the winners, their
    count, a division) made the MNIST CNN's training step about 1.5x slower on XLA:CPU (a
    2x2 pool's forward and backward pass at (128, 28, 28, 32): 24 ms by the stack, 1.3 ms
    by the tree; benchmarks/bench_cnn_throughput.py's notes). Ties: each `jnp.maximum`
    splits its gradient evenly between two tied inputs, so a window whose 2^k inputs all tie
    shares it evenly (e.g. a 2x2 window of zeros after a ReLU, whose gradient the ReLU then
    zeroes anyway).
    """
    stride = tuple(window) if stride is None else stride
    views = window_views(x, window, stride, padding, pad_value=-jnp.inf)
    while len(views) > 1:  # pair neighbours: a tree of depth ceil(log2(prod(window)))
        pairs = [jnp.maximum(a, b) for a, b in zip(views[::2], views[1::2], strict=False)]
        views = pairs + ([views[-1]] if len(views) % 2 else [])
    return views[0]  # (batch, *out, c)


def avg_pool(
    x: jax.Array,
    window: Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: Padding = "VALID",
    *,
    count_include_pad: bool = False,
) -> jax.Array:
    """Mean over each window: x: (batch, *spatial, c) -> (batch, *out, c), any spatial rank.

    Divides a window's sum by its number of real inputs (or by prod(window) when
    count_include_pad); the two differ only for windows that overlap the padding.
    """
    stride = tuple(window) if stride is None else stride
    total = sum(window_views(x, window, stride, padding))  # (batch, *out, c)
    if count_include_pad:
        return total / math.prod(window)
    ones = jnp.ones((1, *x.shape[1:-1], 1), x.dtype)  # the real inputs, to count them
    return total / sum(window_views(ones, window, stride, padding))  # counts: (1, *out, 1)


def max_pool2d(
    x: jax.Array,
    window: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "VALID",
) -> jax.Array:
    """`max_pool` of images: x: (batch, h, w, c) -> (batch, out_h, out_w, c); an int is square."""
    return max_pool(x, _window(window, 2), stride, padding)


def avg_pool2d(
    x: jax.Array,
    window: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "VALID",
    *,
    count_include_pad: bool = False,
) -> jax.Array:
    """`avg_pool` of images: x: (batch, h, w, c) -> (batch, out_h, out_w, c); an int is square."""
    return avg_pool(x, _window(window, 2), stride, padding, count_include_pad=count_include_pad)


def max_pool1d(
    x: jax.Array, window: int, stride: int | None = None, padding: Padding = "VALID"
) -> jax.Array:
    """`max_pool` of signals: x: (batch, width, c) -> (batch, out_width, c)."""
    return max_pool(x, (window,), stride, padding)


def avg_pool1d(
    x: jax.Array,
    window: int,
    stride: int | None = None,
    padding: Padding = "VALID",
    *,
    count_include_pad: bool = False,
) -> jax.Array:
    """`avg_pool` of signals: x: (batch, width, c) -> (batch, out_width, c)."""
    return avg_pool(x, (window,), stride, padding, count_include_pad=count_include_pad)


def global_avg_pool(x: jax.Array) -> jax.Array:
    """Mean over all spatial positions: x: (batch, *spatial, c) -> (batch, c).

    Turns an equivariant feature map into features that ignore where things are.
    """
    return jnp.mean(x, axis=tuple(range(1, x.ndim - 1)))


def global_max_pool(x: jax.Array) -> jax.Array:
    """Maximum over all spatial positions: x: (batch, *spatial, c) -> (batch, c)."""
    return jnp.max(x, axis=tuple(range(1, x.ndim - 1)))
