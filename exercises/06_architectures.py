"""Lesson 06 exercises, core deep learning architectures: run `jlr check 06`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy. The
checker runs your functions on fixed random inputs and compares them with jax.grad,
lax.conv_general_dilated, optax, scikit-learn or a closed form; `jlr progress` shows what
you have done. Shapes follow docs/notation.md: a dense layer's w is (d_in, d_out) and
y = x w + b; images are (batch, height, width, channels), kernels (k, k, c_in, c_out).
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp


def init_std(scheme: str, shape: Sequence[int]) -> float:
    """Standard deviation of a normal initializer's weights for a kernel of this shape.

    shape: (d_in, d_out) for a dense layer or (k_h, k_w, c_in, c_out) for a convolution.
    fan_in = every input one output unit reads = prod(shape[:-1]);
    fan_out = every output one input feeds = prod(shape[:-2]) * shape[-1].
        "lecun":  Var(w) = 1 / fan_in
        "xavier": Var(w) = 2 / (fan_in + fan_out)
        "he":     Var(w) = 2 / fan_in
    -> sqrt(Var(w)), a float. (jax.nn.initializers.he_normal() draws with this std.)
    """
    raise NotImplementedError


def mlp_param_count(d_in: int, d_hidden: int, n_hidden: int, n_classes: int) -> int:
    """Number of parameters (weights and biases) of an MLP with n_hidden hidden layers.

    Layer sizes (d_in, d_hidden, ..., d_hidden, n_classes), with n_hidden copies of d_hidden
    (n_hidden = 0: a linear classifier d_in -> n_classes); each layer d_a -> d_b has a
    (d_a, d_b) weight matrix and d_b biases. -> int
    """
    raise NotImplementedError


def width_for_budget(d_in: int, n_classes: int, n_hidden: int, budget: int) -> int:
    """The largest hidden width w whose MLP (as in mlp_param_count) has <= budget parameters.

    This is how a depth-vs-width study holds the parameter count fixed: a deeper network
    must be narrower. You may solve the quadratic in w or search; an exact fit counts as
    fitting. -> int
    """
    raise NotImplementedError


def linear_backward(w: jax.Array, x: jax.Array, dy: jax.Array):
    """Backward pass of the dense layer y = x w + b, by hand (no jax.grad / jax.vjp).

    x: (batch, d_in), w: (d_in, d_out), dy = dL/dy: (batch, d_out)
    -> (dx, dw, db) = (dL/dx: (batch, d_in), dL/dw: (d_in, d_out), dL/db: (d_out,)).
    Hint: each gradient has the shape of what it is the gradient of; let the shapes tell
    you which products to take.
    """
    raise NotImplementedError


def softmax_cross_entropy_backward(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """dL/dlogits of the mean cross-entropy L = mean_n -log softmax(logits_n)[labels_n].

    logits: (batch, n_classes), labels: (batch,) ints -> (batch, n_classes). By hand: no
    jax.grad. Hint: for one example the gradient is "predicted minus true" probabilities.
    """
    raise NotImplementedError


def reverse_accumulate(
    parents: Sequence[Sequence[int]], local_grads: Sequence[Sequence[float]]
) -> jax.Array:
    """Reverse-mode accumulation on a computational graph, the heart of backpropagation.

    Nodes 0..n-1 are in topological order (every node after its parents); the output is
    the last node. parents[i] lists node i's parents (empty for an input), and
    local_grads[i][k] = d node_i / d node_{parents[i][k]}, already evaluated.
    -> d out / d node for every node: (n,). No jax.grad: apply the chain rule yourself.
    """
    raise NotImplementedError


def max_pool_backward(x: jax.Array, dy: jax.Array) -> jax.Array:
    """Backward pass of 2x2 max pooling with stride 2 (no padding), by hand.

    x: (batch, h, w, c) with h, w even (the pooling's input); dy = dL/dy: (batch, h/2, w/2, c)
    -> dL/dx: (batch, h, w, c). The inputs have no ties within a window. No jax.grad.
    """
    raise NotImplementedError


def conv_output_size(n: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output positions along one axis of a convolution.

    The input has n positions and `padding` zeros added on EACH side; the kernel has
    `kernel` taps spaced `dilation` apart; it moves `stride` positions per output.
    -> int, what lax.conv_general_dilated gives for these settings.
    """
    raise NotImplementedError


def conv2d_im2col(x: jax.Array, w: jax.Array, stride: int) -> jax.Array:
    """2-D convolution (a cross-correlation, no padding, no bias) as one matmul.

    out[n, i, j, o] = sum_{u, v, c} x[n, s i + u, s j + v, c] w[u, v, c, o]
    x: (batch, h, w, c_in), w: (k, k, c_in, c_out) -> (batch, out_h, out_w, c_out).
    im2col: gather each output position's k x k x c_in window into one row (ordered like
    w.reshape(k * k * c_in, c_out)), then one matmul. lax.conv_general_dilated is off limits.
    """
    raise NotImplementedError


def receptive_field_size(layers: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """Receptive field of a stack of layers along one axis.

    layers: [(kernel, stride, dilation), ...], first layer first (a pooling layer is one
    too). -> (size, jump): an output unit sees `size` consecutive input positions (the
    extent), and neighbouring output units' fields start `jump` inputs apart.
    """
    raise NotImplementedError


def equivariance_error(
    f: Callable[[jax.Array], jax.Array], x: jax.Array, shift: tuple[int, int]
) -> jax.Array:
    """How far f is from commuting with a circular shift of its input.

    f maps one image (h, w, c) to a map (h, w, c'); x: (h, w, c); shift = (rows, columns).
    error[i, j] = || f(roll(x, shift))[i, j, :] - roll(f(x), shift)[i, j, :] ||  (over c')
    -> its maximum over positions, a scalar (0 for a circularly padded convolution).
    """
    raise NotImplementedError


def cnn_forward(params: dict, x: jax.Array) -> jax.Array:
    """Forward pass of a small CNN on a batch of images x: (batch, h, w, c_in), h, w even.

    conv1 (3x3, stride 1, SAME padding, plus bias) -> ReLU -> 2x2 max pool (stride 2)
    -> conv2 (3x3, SAME, plus bias) -> ReLU -> global average pool (mean over positions)
    -> linear head -> logits (batch, n_classes).
    params: {"conv1": {"w": (3, 3, c_in, c1), "b": (c1,)}, "conv2": {"w": (3, 3, c1, c2),
    "b": (c2,)}, "head": {"w": (c2, n_classes), "b": (n_classes,)}}.
    You may use jax.lax.conv_general_dilated and jax.lax.reduce_window.
    """
    raise NotImplementedError


def confusion_matrix(predictions: jax.Array, labels: jax.Array, n_classes: int) -> jax.Array:
    """The confusion matrix of a classifier, as a project report shows it.

    predictions, labels: (n,) ints in 0..n_classes-1 -> counts: (n_classes, n_classes),
    counts[i, j] = number of examples of true class i predicted as class j.
    """
    raise NotImplementedError
