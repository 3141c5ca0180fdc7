"""Convolution layers (as every deep-learning library defines them: a cross-correlation).

conv(x, W)[n, i, j, o] = b_o + sum_{u, v, c} x[n, s_h i + d_h u - p_h, s_w j + d_w v - p_w, c]
                                                * W[u, v, c, o]

with stride s, dilation d and low padding p per spatial axis; x reads as 0 in the padding
(or wraps around, for CIRCULAR padding). Three versions of the 2-D layer compute this same sum:

- `conv2d_loops`: the formula as loops over output positions and kernel offsets (the reference);
- `conv2d`: im2col, every patch a row, then one matmul (the fast one; `conv1d` shares it);
- `conv2d_lax`: `lax.conv_general_dilated`, XLA's convolution.

Padding is "SAME" (out = ceil(n / s), the pad split as lax does: the extra one at the high end),
"VALID" (no padding), "CIRCULAR" (SAME's amounts, filled by wrapping around) or explicit
((lo, hi), ...) per spatial axis. Convolution commutes with shifts of its input; the last two
functions measure how far a map is from that (equivariance) or from ignoring shifts (invariance).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jlr.nn.init import he_normal

Padding = str | Sequence[tuple[int, int]]
DIMENSION_NUMBERS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC")}


def _per_axis(value: int | Sequence[int], n_axes: int) -> tuple[int, ...]:
    """An int means the same value on every spatial axis."""
    return (value,) * n_axes if isinstance(value, int) else tuple(value)


def conv_padding(
    spatial: Sequence[int],
    window: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Padding = "SAME",
    dilation: int | Sequence[int] = 1,
) -> tuple[tuple[int, int], ...]:
    """The (lo, hi) zero padding of each spatial axis, as `lax.conv_general_dilated` pads.

    A dilated window covers k_eff = d (k - 1) + 1 inputs. SAME (and CIRCULAR): out = ceil(n / s),
    total = max((out - 1) s + k_eff - n, 0), lo = total // 2, hi = total - lo. VALID: none.
    """
    n_axes = len(spatial)
    strides, dilations = _per_axis(stride, n_axes), _per_axis(dilation, n_axes)
    if isinstance(padding, str) and padding in ("SAME", "CIRCULAR"):
        pads = []
        for n, k, s, d in zip(spatial, window, strides, dilations, strict=True):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    if isinstance(padding, str) and padding == "VALID":
        return ((0, 0),) * n_axes
    if isinstance(padding, str):
        raise ValueError(f"padding={padding!r}: use SAME, VALID, CIRCULAR or ((lo, hi), ...)")
    pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    if len(pads) != n_axes or min(min(pad) for pad in pads) < 0:
        raise ValueError(f"padding={padding!r}: give {n_axes} pairs (lo, hi) of pads >= 0")
    return pads


def conv_output_shape(
    spatial: Sequence[int],
    window: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Padding = "SAME",
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Output positions per spatial axis: out = (n + lo + hi - k_eff) // s + 1."""
    n_axes = len(spatial)
    strides, dilations = _per_axis(stride, n_axes), _per_axis(dilation, n_axes)
    pads = conv_padding(spatial, window, stride, padding, dilation)
    out = tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, d, (lo, hi) in zip(spatial, window, strides, dilations, pads, strict=True)
    )
    if min(out) < 1:
        raise ValueError(f"a window {tuple(window)} (dilation {dilations}) exceeds {spatial}")
    return out


def window_views(
    x: jax.Array,
    window: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Padding = "SAME",
    dilation: int | Sequence[int] = 1,
    pad_value: float = 0.0,
) -> list[jax.Array]:
    """One strided view of the padded input per window offset, offsets in row-major order.

    x: (batch, *spatial, c) -> prod(window) arrays (batch, *out, c); the view for offset
    (u, v) holds x[n, s_h i + d_h u - p_h, s_w j + d_w v - p_w, :] at output position (i, j).
    A window's inputs are the same position across all views: a conv weights them, a pooling
    layer takes their max or mean. pad_value fills the padding (CIRCULAR wraps instead).
    """
    spatial = x.shape[1:-1]
    strides, dilations = _per_axis(stride, len(spatial)), _per_axis(dilation, len(spatial))
    pads = ((0, 0), *conv_padding(spatial, window, stride, padding, dilation), (0, 0))
    out = conv_output_shape(spatial, window, stride, padding, dilation)
    if isinstance(padding, str) and padding == "CIRCULAR":
        x = jnp.pad(x, pads, mode="wrap")  # (batch, *padded, c)
    elif pad_value == 0.0:
        x = jnp.pad(x, pads)  # (batch, *padded, c)
    else:
        x = jnp.pad(x, pads, constant_values=pad_value)  # (batch, *padded, c)
    views = []
    for offset in itertools.product(*(range(k) for k in window)):
        index = tuple(
            slice(d * u, d * u + (n - 1) * s + 1, s)
            for u, d, n, s in zip(offset, dilations, out, strides, strict=True)
        )
        views.append(x[(slice(None), *index)])  # (batch, *out, c)
    return views


def im2col(
    x: jax.Array,
    window: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Padding = "SAME",
    dilation: int | Sequence[int] = 1,
) -> jax.Array:
    """Every window of x flattened into a row: x: (batch, *spatial, c) -> (batch, *out, k c).

    k = prod(window); a row's entries are ordered (offset..., channel), the order in which
    W.reshape(k c, c_out) lists a kernel's weights, so conv = im2col(x) @ that matrix.
    """
    return jnp.concatenate(window_views(x, window, stride, padding, dilation), axis=-1)


def _conv_im2col(params, x, stride, padding, dilation):
    *window, c_in, c_out = params["w"].shape
    patches = im2col(x, window, stride, padding, dilation)  # (batch, *out, k c_in), order (u, v, c)
    w_matrix = params["w"].reshape(-1, c_out)  # (k c_in, c_out), same (u, v, c) order
    # One 2-D matmul over all output positions (rows = batch * prod(out)): its backward pass,
    # dW = rows^T dY, is then a single plain matmul. Left 4-D, autodiff's dW contracts over
    # (batch, *out) and XLA:CPU first copied dY into a transposed layout; flattening made
    # the MNIST CNN's training step about 1.14x faster (benchmarks/bench_cnn_throughput.py).
    rows = patches.reshape(-1, patches.shape[-1])  # (batch * prod(out), k c_in)
    out = (rows @ w_matrix).reshape(*patches.shape[:-1], c_out)  # (batch, *out, c_out)
    return out + params["b"]


def init_conv2d(
    key: jax.Array, kernel: int | tuple[int, int], c_in: int, c_out: int
) -> dict[str, jax.Array]:
    """He-normal kernel, zero bias: {"w": (kernel_h, kernel_w, c_in, c_out), "b": (c_out,)}.

    w ~ N(0, 2 / fan_in), fan_in = kernel_h kernel_w c_in, keeps ReLU activations at unit scale.
    An int kernel is square.
    """
    w = he_normal(key, (*_per_axis(kernel, 2), c_in, c_out))
    return {"w": w, "b": jnp.zeros((c_out,))}


def conv2d(
    params: dict[str, jax.Array],
    x: jax.Array,
    stride: int | tuple[int, int] = 1,
    *,
    padding: Padding = "SAME",
    dilation: int | tuple[int, int] = 1,
) -> jax.Array:
    """2-D cross-correlation as one matmul over patches (im2col); takes a batch.

    x: (batch, h, w, c_in), W: (kernel_h, kernel_w, c_in, c_out) -> (batch, out_h, out_w, c_out),
    out from `conv_output_shape` (ceil(h / s) x ceil(w / s) for SAME). Equals `conv2d_lax` and
    `conv2d_loops` (the tests check it). Why patches: a sweep vmaps this over runs, each with
    its own kernel, and vmap turns a per-run kernel into a grouped convolution, which XLA's CPU
    backend runs several times slower than the batched matmul that im2col gives.
    """
    return _conv_im2col(params, x, stride, padding, dilation)


def conv2d_lax(
    params: dict[str, jax.Array],
    x: jax.Array,
    stride: int | tuple[int, int] = 1,
    *,
    padding: Padding = "SAME",
    dilation: int | tuple[int, int] = 1,
) -> jax.Array:
    """`conv2d` by XLA's convolution, `lax.conv_general_dilated` (rhs_dilation is the dilation).

    x: (batch, h, w, c_in) -> (batch, out_h, out_w, c_out); CIRCULAR pads by wrapping first.
    """
    if isinstance(padding, str) and padding == "CIRCULAR":
        pads = conv_padding(x.shape[1:3], params["w"].shape[:2], stride, padding, dilation)
        x = jnp.pad(x, ((0, 0), *pads, (0, 0)), mode="wrap")  # (batch, h + pad, w + pad, c_in)
        padding = "VALID"
    out = jax.lax.conv_general_dilated(
        x,
        params["w"],
        _per_axis(stride, 2),
        padding if isinstance(padding, str) else tuple(padding),
        rhs_dilation=_per_axis(dilation, 2),
        dimension_numbers=DIMENSION_NUMBERS[2],
    )  # (batch, out_h, out_w, c_out)
    return out + params["b"]


def conv2d_loops(
    params: dict[str, jax.Array],
    x: jax.Array,
    stride: int | tuple[int, int] = 1,
    *,
    padding: Padding = "SAME",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """The module's formula written as loops: the reference the other versions are checked against.

    out[n, i, j, o] = b_o + sum_{u, v} x[n, s_h i + d_h u - p_h, s_w j + d_w v - p_w, :] @ W[u, v]
    x: (batch, h, w, c_in) -> (batch, out_h, out_w, c_out), numpy, summed in float64 and
    returned in x's dtype. Out-of-image reads are skipped (zero padding) or wrap (CIRCULAR).
    Python loops over (i, j, u, v): for tiny shapes only, and not traceable by jit or grad.
    """
    w = np.asarray(params["w"], np.float64)
    image = np.asarray(x, np.float64)
    kernel_h, kernel_w, _, c_out = w.shape
    batch, h, width, _ = image.shape
    (s_h, s_w), (d_h, d_w) = _per_axis(stride, 2), _per_axis(dilation, 2)
    (p_h, _), (p_w, _) = conv_padding((h, width), (kernel_h, kernel_w), stride, padding, dilation)
    out_h, out_w = conv_output_shape((h, width), (kernel_h, kernel_w), stride, padding, dilation)
    circular = isinstance(padding, str) and padding == "CIRCULAR"
    out = np.zeros((batch, out_h, out_w, c_out)) + np.asarray(params["b"], np.float64)
    for i in range(out_h):
        for j in range(out_w):
            for u in range(kernel_h):
                for v in range(kernel_w):
                    row, col = s_h * i + d_h * u - p_h, s_w * j + d_w * v - p_w
                    if circular:
                        row, col = row % h, col % width
                    elif not (0 <= row < h and 0 <= col < width):
                        continue  # a zero from the padding adds nothing
                    out[:, i, j, :] += image[:, row, col, :] @ w[u, v]  # (batch, c_out)
    return out.astype(np.asarray(x).dtype)


def init_conv1d(key: jax.Array, kernel: int, c_in: int, c_out: int) -> dict[str, jax.Array]:
    """He-normal kernel, zero bias: {"w": (kernel, c_in, c_out), "b": (c_out,)}.

    w ~ N(0, 2 / fan_in), fan_in = kernel c_in.
    """
    return {"w": he_normal(key, (kernel, c_in, c_out)), "b": jnp.zeros((c_out,))}


def conv1d(
    params: dict[str, jax.Array],
    x: jax.Array,
    stride: int = 1,
    *,
    padding: Padding = "SAME",
    dilation: int = 1,
) -> jax.Array:
    """1-D cross-correlation of signals by im2col, the same code as `conv2d`; takes a batch.

    out[n, i, o] = b_o + sum_{u, c} x[n, s i + d u - p, c] W[u, c, o]
    x: (batch, width, c_in), W: (kernel, c_in, c_out) -> (batch, out_width, c_out).
    """
    return _conv_im2col(params, x, stride, padding, dilation)


def shift_equivariance_error(
    f: Callable[[jax.Array], jax.Array],
    x: jax.Array,
    shift: Sequence[int],
    out_shift: Sequence[int] | None = None,
) -> jax.Array:
    """Where and by how much f fails to commute with a circular shift of its input.

    error[n, i, j] = || f(roll(x, shift))[n, i, j, :] - roll(f(x), out_shift)[n, i, j, :] ||
    f: (batch, *spatial, c) -> (batch, *out, c'); shift: one offset per spatial axis;
    out_shift defaults to shift (give shift // stride for a strided map) -> error: (batch, *out).
    A conv with CIRCULAR padding is exactly equivariant (error 0); with zero padding the
    error sits at the border, where the shift wraps pixels across it; an MLP has no such law.
    """
    out_shift = shift if out_shift is None else out_shift
    in_axes = tuple(range(1, 1 + len(shift)))
    out_axes = tuple(range(1, 1 + len(out_shift)))
    shifted_first = f(jnp.roll(x, shift, axis=in_axes))
    shifted_after = jnp.roll(f(x), out_shift, axis=out_axes)
    return jnp.linalg.norm(shifted_first - shifted_after, axis=-1)


def shift_invariance_error(
    f: Callable[[jax.Array], jax.Array], x: jax.Array, shift: Sequence[int]
) -> jax.Array:
    """How much a circular shift of the input changes f's output: ||f(roll(x)) - f(x)|| per example.

    f: (batch, *spatial, c) -> (batch, d_out) -> error: (batch,). Zero for an equivariant
    map followed by global pooling; not for an MLP.
    """
    axes = tuple(range(1, 1 + len(shift)))
    return jnp.linalg.norm(f(jnp.roll(x, shift, axis=axes)) - f(x), axis=-1)
