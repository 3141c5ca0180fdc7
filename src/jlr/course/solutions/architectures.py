"""Reference solutions to lesson 06's exercises (``exercises/06_architectures.py``).

Where the library computes what an exercise asks for (`jlr.nn.init`, `jlr.experiments.
depth_width`, `jlr.backprop.manual`, `jlr.nn.conv`, `jlr.nn.receptive_field`), the solution
calls it, adapting only the signature: the concept is written once, in the module named for
it, and tested there against its oracle. The rest is written out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from jlr.backprop import manual
from jlr.experiments import depth_width
from jlr.nn.conv import conv2d, conv_output_shape, shift_equivariance_error
from jlr.nn.init import init_variance
from jlr.nn.linear import linear
from jlr.nn.pooling import global_avg_pool, max_pool2d
from jlr.nn.receptive_field import receptive_field

# -- Multi-layer perceptrons and initialization ---------------------------------------------


def init_std(scheme: str, shape: Sequence[int]) -> float:
    """sqrt(Var(w)) of LeCun (1 / fan_in), Xavier (2 / (fan_in + fan_out)) or He (2 / fan_in)."""
    return math.sqrt(init_variance(scheme, shape))


def mlp_param_count(d_in: int, d_hidden: int, n_hidden: int, n_classes: int) -> int:
    """Weights and biases of an MLP with n_hidden hidden layers of width d_hidden."""
    return depth_width.mlp_param_count(d_in, d_hidden, n_hidden, n_classes)


# -- Depth vs width -------------------------------------------------------------------------


def width_for_budget(d_in: int, n_classes: int, n_hidden: int, budget: int) -> int:
    """The largest width whose MLP has at most `budget` parameters."""
    return depth_width.width_for_budget(d_in, n_classes, n_hidden, budget)


# -- Backpropagation derivation -------------------------------------------------------------


def linear_backward(w: jax.Array, x: jax.Array, dy: jax.Array):
    """(dx, dw, db) of y = x w + b: dx = dy w^T, dw = x^T dy, db = sum over the batch of dy."""
    dx, grads = manual.linear_backward({"w": w}, x, dy)
    return dx, grads["w"], grads["b"]


def softmax_cross_entropy_backward(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """d mean_n CE(z_n, y_n) / dz = (softmax(z) - onehot(y)) / batch."""
    return manual.softmax_cross_entropy_backward(logits, labels)


# -- Backpropagation implementation ---------------------------------------------------------


def reverse_accumulate(
    parents: Sequence[Sequence[int]], local_grads: Sequence[Sequence[float]]
) -> jax.Array:
    """d out / d node for every node of a graph in topological order (out = the last node).

    grad[out] = 1; then from the last node back, grad[parent] += grad[node] * local.
    """
    grads = [0.0] * len(parents)
    grads[-1] = 1.0
    for node in reversed(range(len(parents))):
        for parent, local in zip(parents[node], local_grads[node], strict=True):
            grads[parent] += grads[node] * local
    return jnp.asarray(grads)


def max_pool_backward(x: jax.Array, dy: jax.Array) -> jax.Array:
    """dx of 2x2, stride-2 max pooling: each window's dy goes to the entry that won the max."""
    return manual.max_pool_backward(x, dy, window=2)


# -- Convolution ----------------------------------------------------------------------------


def conv_output_size(n: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output positions along one axis: (n + 2 p - d (k - 1) - 1) // s + 1."""
    return conv_output_shape((n,), (kernel,), stride, ((padding, padding),), dilation)[0]


def conv2d_im2col(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
    """VALID cross-correlation as one matmul: every window a row, times w as a matrix.

    Written out, since the check refuses the library's patch builders (`jlr.nn.conv.im2col`
    is this exercise): one strided view per kernel offset (u, v), concatenated in (u, v, c)
    order, the order of w.reshape(k k c_in, c_out).
    """
    kernel, _, c_in, c_out = w.shape
    _, h, width, _ = x.shape
    out_h, out_w = (h - kernel) // stride + 1, (width - kernel) // stride + 1
    views = [
        x[:, u : u + (out_h - 1) * stride + 1 : stride, v : v + (out_w - 1) * stride + 1 : stride]
        for u in range(kernel)
        for v in range(kernel)
    ]  # each (batch, out_h, out_w, c_in): the input under kernel offset (u, v)
    patches = jnp.concatenate(views, axis=-1)  # (batch, out_h, out_w, k k c_in)
    return patches @ w.reshape(kernel * kernel * c_in, c_out)  # (batch, out_h, out_w, c_out)


# -- Receptive fields -----------------------------------------------------------------------


def receptive_field_size(layers: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """(size, jump) of a stack of (kernel, stride, dilation) layers, from the recurrence."""
    rf = receptive_field([(kernel, stride, dilation, 0) for kernel, stride, dilation in layers])
    return rf.size, rf.jump


# -- Translation invariance -----------------------------------------------------------------


def equivariance_error(
    f: Callable[[jax.Array], jax.Array], x: jax.Array, shift: tuple[int, int]
) -> jax.Array:
    """max over positions of || f(roll(x, shift))[i, j, :] - roll(f(x), shift)[i, j, :] ||."""
    per_position = shift_equivariance_error(jax.vmap(f), x[None], shift)  # (1, h, w)
    return jnp.max(per_position)


# -- CNN ------------------------------------------------------------------------------------


def cnn_forward(params: dict, x: jax.Array) -> jax.Array:
    """conv1, relu, 2x2 max pool, conv2, relu, global average pool, linear head -> logits."""
    h = max_pool2d(jax.nn.relu(conv2d(params["conv1"], x)), 2)  # (batch, h/2, w/2, c1)
    h = global_avg_pool(jax.nn.relu(conv2d(params["conv2"], h)))  # (batch, c2)
    return linear(params["head"], h)  # (batch, n_classes)


# -- The mini-project -----------------------------------------------------------------------


def confusion_matrix(predictions: jax.Array, labels: jax.Array, n_classes: int) -> jax.Array:
    """counts[i, j] = number of examples of true class i predicted as class j."""
    counts = jnp.zeros((n_classes, n_classes), jnp.int32)
    return counts.at[labels, predictions].add(1)
