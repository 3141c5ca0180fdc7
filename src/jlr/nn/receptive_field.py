"""Receptive fields: which inputs an output unit of a stack of conv and pooling layers can see.

Along one spatial axis, a layer with kernel k, stride s, dilation d and low padding p maps
output position i to inputs s i - p + d u, u = 0..k-1. Composing layers, output unit i of
the stack sees the inputs start + i jump .. start + i jump + size - 1, where, layer by layer
(Araujo et al. 2019, "Computing receptive fields of convolutional neural networks"),

    size_l  = size_{l-1} + d_l (k_l - 1) jump_{l-1}     (size_0 = 1)
    jump_l  = jump_{l-1} s_l                            (jump_0 = 1: input pixels per output step)
    start_l = start_{l-1} - p_l jump_{l-1}              (start_0 = 0; negative = in the padding)

`measured_receptive_field` finds the same set empirically: the inputs on which the gradient
of one output unit is nonzero. Both give the extent (bounding interval); a dilated stack can
leave holes in it, which only the measurement shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp


class LayerGeometry(NamedTuple):
    """One conv or pooling layer along one axis (padding: its low pad, p in the formulas)."""

    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0


class ReceptiveField(NamedTuple):
    """Output unit i sees inputs start + i jump .. start + i jump + size - 1 (one axis)."""

    size: int
    jump: int
    start: int


def receptive_field(layers: Sequence[LayerGeometry | tuple[int, ...]]) -> ReceptiveField:
    """The recurrence of the module docstring over (kernel, stride, dilation, padding) layers.

    A pooling layer is a layer like any other (a max pool 2, stride 2: (2, 2, 1, 0)).
    """
    size, jump, start = 1, 1, 0
    for layer in layers:
        kernel, stride, dilation, padding = LayerGeometry(*layer)
        size += dilation * (kernel - 1) * jump
        start -= padding * jump
        jump *= stride
    return ReceptiveField(size, jump, start)


def measured_receptive_field(
    f: Callable[[jax.Array], jax.Array],
    input_shape: Sequence[int],
    out_index: tuple[int, ...],
    x: jax.Array | None = None,
) -> jax.Array:
    """The inputs that output f(x)[out_index] depends on: the support of its input gradient.

    f: input_shape -> any shape; out_index: an index into f's output; x: the point at which to
    differentiate, (input_shape), ones by default -> mask: bool (input_shape), True where
    d f(x)[out_index] / d x != 0. Give f random positive weights, so that no two paths'
    contributions cancel. A max pool passes gradient to its window's winner only (split among
    ties, which x = 1 makes common): measure through average pooling to see a whole window.
    """
    x = jnp.ones(input_shape) if x is None else x
    grad = jax.jit(jax.grad(lambda x: f(x)[out_index]))(x)
    return grad != 0
