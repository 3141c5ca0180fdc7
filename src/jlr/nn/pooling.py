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

import itertools
import math
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp

from jlr.nn.conv import Padding, conv_output_shape, conv_padding, window_views


def _window(window: int | Sequence[int], n_axes: int) -> tuple[int, ...]:
    return (window,) * n_axes if isinstance(window, int) else tuple(window)


def max_pool(
    x: jax.Array,
    window: Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: Padding = "VALID",
) -> jax.Array:
    """Maximum over each window: x: (batch, *spatial, c) -> (batch, *out, c), any spatial rank.

    The derivative (forward and reverse mode) goes to each window's winner: for the window's
    inputs x_1..x_k with maximum y and tangents t_1..t_k,

        dy = sum_{i: x_i = y} t_i / #{i: x_i = y},

    so tied winners share a window's gradient evenly, as `jnp.max`'s derivative does (PyTorch
    and lax.reduce_window's select-and-scatter give it all to the first winner instead).

    Non-overlapping windows (stride = window, the default) reshape the padded input into
    blocks (batch, o_1, k_1, o_2, k_2, ..., c), a free reshape of row-major memory, and the
    gradient is one elementwise pass over them; overlapping windows use `window_views`, whose
    transpose scatters back through padded strided slices. On XLA:CPU the blocks made the
    MNIST CNN's training step about 1.3x faster than the views (A/B in
    benchmarks/bench_cnn_throughput.py's notes).
    """
    window = tuple(window)
    stride = window if stride is None else _window(stride, len(window))
    padding = padding if isinstance(padding, str) else tuple(tuple(pad) for pad in padding)
    if stride == window:
        return _max_over_blocks(_blocks(x, window, padding), window)
    return _max_over_views(x, window, stride, padding)


def _tree_max(views: list[jax.Array]) -> jax.Array:
    """Elementwise maximum of equal-shaped arrays, a balanced tree of jnp.maximum (fuses well)."""
    while len(views) > 1:
        pairs = [jnp.maximum(a, b) for a, b in zip(views[::2], views[1::2], strict=False)]
        views = pairs + ([views[-1]] if len(views) % 2 else [])
    return views[0]


def _blocks(x: jax.Array, window: tuple[int, ...], padding: Padding) -> jax.Array:
    """x: (batch, *spatial, c) -> (batch, o_1, k_1, ..., o_r, k_r, c) for stride = window.

    window = (k_1, ..., k_r). Padded as `window_views` pads (-inf, or wrapped for CIRCULAR),
    then cropped to o_a k_a rows along axis a.
    """
    spatial = x.shape[1:-1]
    pads = ((0, 0), *conv_padding(spatial, window, window, padding), (0, 0))
    out = conv_output_shape(spatial, window, window, padding)
    if isinstance(padding, str) and padding == "CIRCULAR":
        x = jnp.pad(x, pads, mode="wrap")
    elif any(lo or hi for lo, hi in pads):
        x = jnp.pad(x, pads, constant_values=-jnp.inf)
    x = x[(slice(None), *(slice(0, o * k) for o, k in zip(out, window, strict=True)))]
    shape = [size for o, k in zip(out, window, strict=True) for size in (o, k)]
    return x.reshape(x.shape[0], *shape, x.shape[-1])


def _block_offsets(blocks: jax.Array, window: tuple[int, ...]) -> list[jax.Array]:
    """One (batch, *out, c) slice of the blocks per window offset, offsets in row-major order."""
    views = []
    for offset in itertools.product(*(range(k) for k in window)):
        index = [slice(None)] * blocks.ndim
        for axis, u in enumerate(offset):
            index[2 + 2 * axis] = u
        views.append(blocks[tuple(index)])
    return views


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _max_over_blocks(blocks: jax.Array, window: tuple[int, ...]) -> jax.Array:
    """(batch, o_1, k_1, ..., c) -> (batch, o_1, ..., c): the max over the k axes."""
    return _tree_max(_block_offsets(blocks, window))


@_max_over_blocks.defjvp
def _max_over_blocks_jvp(window, primals, tangents):
    (blocks,), (tangent,) = primals, tangents
    offsets = _block_offsets(blocks, window)
    y = _tree_max(offsets)  # (batch, *out, c)
    count = sum((view == y).astype(blocks.dtype) for view in offsets)  # winners per window
    k_axes = tuple(range(2, blocks.ndim - 1, 2))
    winners = blocks == jnp.expand_dims(y, k_axes)  # (batch, o_1, k_1, ..., c)
    dy = jnp.sum(jnp.where(winners, tangent, 0), axis=k_axes) / count
    return y, dy  # transposed (reverse mode): one elementwise pass, where(winners, g / count, 0)


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _max_over_views(x, window, stride, padding):
    """Overlapping windows: the max over `window_views` (padded with -inf)."""
    return _tree_max(window_views(x, window, stride, padding, pad_value=-jnp.inf))


@_max_over_views.defjvp
def _max_over_views_jvp(window, stride, padding, primals, tangents):
    (x,), (tangent,) = primals, tangents
    views = window_views(x, window, stride, padding, pad_value=-jnp.inf)
    y = _tree_max(views)  # (batch, *out, c)
    winners = [view == y for view in views]
    count = sum(winner.astype(x.dtype) for winner in winners)
    tangent_views = window_views(tangent, window, stride, padding)  # padding's tangent is 0
    dy = sum(jnp.where(w, t, 0) for w, t in zip(winners, tangent_views, strict=True)) / count
    return y, dy


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
