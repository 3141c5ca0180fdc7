"""Checks for exercises/06_architectures.py, each against an independent oracle.

Oracles: closed forms in float64 (initialization variances, checked against
`jax.nn.initializers` in the tests), parameter counts read off `jax.eval_shape` of the
library MLP, brute-force searches, `jax.vjp`/`jax.grad` of independently written forward
passes (a dense layer, optax's cross-entropy, `lax.reduce_window` max pooling, a linear
graph with a perturbation at every node), `jax.eval_shape` and the values of
`lax.conv_general_dilated`, the input-gradient support of a 1-D `lax` conv stack (receptive
fields), numpy rolls, a float64 numpy CNN (checked against `lax` in the tests), and
scikit-learn's confusion matrix. Inputs come
from fixed seeds and are chosen so that each known mistake (a transposed gradient, a mean for
a sum, a flipped kernel, a forgotten jump...) gives an answer far from the right one: the
learner then sees that mistake's hint. Shortcuts an exercise exists to avoid (autodiff in
the backpropagation exercises, XLA's convolution, scikit-learn) are refused with
`jlr.course.guard`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64, scalar
from jlr.course.guard import (
    assert_close_or_distinct_mistake,
    assert_no_primitive,
    diagnose,
    without,
)
from jlr.models.mlp import init_mlp

TOPICS = section_by_number("06").topics  # the curriculum's titles, in order
MLPS, DEPTH_WIDTH, DERIVATION, IMPLEMENTATION, CONVOLUTION, RECEPTIVE, TRANSLATION, CNN, PROJECT = (
    TOPICS
)

AUTODIFF = {
    name: "the exercise is the chain rule written by hand"
    for name in (
        "jax.grad",
        "jax.value_and_grad",
        "jax.vjp",
        "jax.jvp",
        "jax.linearize",
        "jax.linear_transpose",
        "jax.jacfwd",
        "jax.jacrev",
        "jax.jacobian",
        "jax.hessian",
    )
}
HIGHEST = jax.lax.Precision.HIGHEST
NHWC = ("NHWC", "HWIO", "NHWC")


def _normal(seed: int, shape, scale: float = 1.0) -> jax.Array:
    """Fixed standard normals as float32 (numpy's generator: no compile per shape)."""
    return jnp.asarray(scale * np.random.default_rng(seed).normal(size=shape), jnp.float32)


def _integer(value, what: str) -> int:
    number = scalar(value, what)
    if number != round(number):
        raise CheckFailed(f"{what} = {number:g}: it counts things, so it is a whole number")
    return round(number)


# -- Multi-layer perceptrons: initialization and size ------------------------------------------


def kernel_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel (*window, d_in, d_out), as jax.nn.initializers counts."""
    window = math.prod(shape[:-2])
    return shape[-2] * window, shape[-1] * window


def init_variance64(scheme: str, shape: tuple[int, ...]) -> float:
    """Var(w): lecun 1 / fan_in, xavier 2 / (fan_in + fan_out), he 2 / fan_in."""
    fan_in, fan_out = kernel_fans(shape)
    return {"lecun": 1 / fan_in, "xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in}[scheme]


INIT_CASES = (  # dense kernels first: a conv-only slip passes them and shows on the conv ones
    ("lecun", (64, 32)),
    ("xavier", (64, 32)),
    ("he", (64, 32)),
    ("he", (3, 3, 16, 32)),
    ("xavier", (5, 5, 3, 8)),
    ("lecun", (3, 3, 8, 4)),
)


def check_init_std(fn) -> None:
    for scheme, shape in INIT_CASES:
        variance = init_variance64(scheme, shape)
        got = scalar(fn(scheme, shape), f"init_std({scheme!r}, {shape})")
        fan_in, fan_out = kernel_fans(shape)
        per_channel = {"lecun": 1 / shape[-2], "xavier": 2 / (shape[-2] + shape[-1]),
                       "he": 2 / shape[-2]}[scheme]  # fmt: skip
        mistakes = {
            "return the standard deviation sqrt(Var(w)), not the variance": variance,
            "a conv kernel's fan_in is kernel_h * kernel_w * c_in (every weight in the window "
            "feeds the output), not c_in alone": math.sqrt(per_channel),
            "that is the limit sqrt(3 Var(w)) of a uniform draw; return the std sqrt(Var(w))": (
                math.sqrt(3 * variance)
            ),
        }
        if scheme == "xavier":
            mistakes["Xavier's variance is 2 / (fan_in + fan_out): the 2 is missing"] = math.sqrt(
                1 / (fan_in + fan_out)
            )
        if scheme == "he":
            mistakes["He's variance is 2 / fan_in (ReLU zeroes half the signal's variance), "
                     "not 1 / fan_in"] = math.sqrt(1 / fan_in)  # fmt: skip
        if scheme in ("lecun", "he"):
            mistakes[f"{scheme} divides by fan_in (the inputs of a unit), not fan_out"] = math.sqrt(
                variance * fan_in / fan_out
            )
        assert_close_or_distinct_mistake(
            got, math.sqrt(variance), mistakes, rtol=1e-5, what=f"std of {scheme} {shape}"
        )


def mlp_param_count64(d_in: int, d_hidden: int, n_hidden: int, n_classes: int) -> int:
    """The parameter count of jlr.models.mlp's MLP, read off its shapes (no arithmetic)."""
    sizes = (d_in, *[d_hidden] * n_hidden, n_classes)
    shapes = jax.eval_shape(lambda: init_mlp(jax.random.key(0), sizes))
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(shapes))


PARAM_CASES = ((64, 32, 1, 10), (40, 100, 2, 10), (784, 256, 3, 10), (20, 7, 5, 4), (5, 99, 0, 3))


def _count(d_in, w, n_hidden, n_classes, *, biases=True, square=None, readout_bias=True):
    """A parameter count with optional slips: no biases, `square` hidden-to-hidden matrices."""
    if n_hidden == 0:
        return d_in * n_classes + (n_classes if biases and readout_bias else 0)
    square = n_hidden - 1 if square is None else square
    weights = d_in * w + square * w * w + w * n_classes
    bias = (n_hidden * w + (n_classes if readout_bias else 0)) if biases else 0
    return weights + bias


def check_mlp_param_count(fn) -> None:
    for d_in, w, n_hidden, n_classes in PARAM_CASES:
        expected = mlp_param_count64(d_in, w, n_hidden, n_classes)
        got = _integer(fn(d_in, w, n_hidden, n_classes), "the count")
        mistakes = {
            "count the biases too: every layer has d_out of them": _count(
                d_in, w, n_hidden, n_classes, biases=False
            ),
            "L hidden layers are joined by L - 1 hidden-to-hidden matrices (plus the input "
            "and output ones), not L": _count(d_in, w, n_hidden, n_classes, square=n_hidden),
            "the output layer has biases too (n_classes of them)": _count(
                d_in, w, n_hidden, n_classes, readout_bias=False
            ),
        }
        if n_hidden > 0:
            mistakes["n_hidden counts hidden LAYERS of width d_hidden; there are n_hidden + 1 "
                     "weight matrices"] = _count(d_in, w, n_hidden - 1, n_classes)  # fmt: skip
        diagnose(got, expected, mistakes, rtol=0, atol=0.01)
        assert_equal(got, expected, what=f"mlp_param_count{(d_in, w, n_hidden, n_classes)}")


# -- Depth vs width -------------------------------------------------------------------------


def _widest(d_in, n_classes, n_hidden, budget, count=_count, strict=False, **slips) -> int:
    """Brute force: the largest w with count(w) <= budget (< budget if strict), 0 if none."""
    best = 0
    for w in range(1, budget + 1):
        total = count(d_in, w, n_hidden, n_classes, **slips)
        if total > budget or (strict and total == budget):
            break
        best = w
    return best


WIDTH_CASES = (  # the last budget is exactly the count of width 50: it must fit
    (64, 10, 1, 20_000),
    (40, 10, 8, 20_000),
    (784, 10, 2, 100_000),
    (40, 10, 4, 5_000),
    (20, 5, 3, _count(20, 50, 3, 5)),
)


def check_width_for_budget(fn) -> None:
    for d_in, n_classes, n_hidden, budget in WIDTH_CASES:
        expected = _widest(d_in, n_classes, n_hidden, budget)
        assert mlp_param_count64(d_in, expected, n_hidden, n_classes) <= budget  # the oracle
        got = _integer(fn(d_in, n_classes, n_hidden, budget), "the width")
        mistakes = {
            "that width goes over the budget: return the largest width whose count is <= budget": (
                expected + 1
            ),
            "count the biases too: they are parameters": _widest(
                d_in, n_classes, n_hidden, budget, biases=False
            ),
            "L hidden layers have L - 1 hidden-to-hidden matrices, not L": _widest(
                d_in, n_classes, n_hidden, budget, square=n_hidden
            ),
            "a width whose count equals the budget fits: the test is count <= budget": _widest(
                d_in, n_classes, n_hidden, budget, strict=True
            ),
        }
        diagnose(got, expected, mistakes, rtol=0, atol=0.01)
        assert_equal(got, expected, what=f"width_for_budget{(d_in, n_classes, n_hidden, budget)}")


# -- Backpropagation derivation -------------------------------------------------------------


def check_linear_backward(fn) -> None:
    fn = without(fn, AUTODIFF)
    x, w, b, dy = _normal(1, (4, 5)), _normal(2, (5, 3)), _normal(3, (3,)), _normal(4, (4, 3))

    def layer(x, w, b):
        return jnp.dot(x, w, precision=HIGHEST) + b

    _, vjp = jax.vjp(layer, x, w, b)
    dx_ref, dw_ref, db_ref = (f64(g) for g in vjp(dy))
    result = fn(w, x, dy)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailed("return the three gradients as a tuple (dx, dw, db)")
    dx, dw, db = (f64(g) for g in result)
    dy64, x64 = f64(dy), f64(x)
    assert_close_or_distinct_mistake(dx, dx_ref, {
        "no 1/batch in dx: each example's dx is its own dy times w^T": dy64 @ f64(w).T / 4,
    }, what="dx")  # fmt: skip
    assert_close_or_distinct_mistake(dw, dw_ref, {
        "dw has w's shape (d_in, d_out): dw = x^T dy, not dy^T x": dy64.T @ x64,
        "no 1/batch in dw: the loss's mean over the batch is already inside dy": (
            x64.T @ dy64 / len(x64)),
    }, what="dw")  # fmt: skip
    assert_close_or_distinct_mistake(db, db_ref, {
        "db SUMS dy over the batch (each example adds its gradient), not the mean": (
            dy64.mean(axis=0)),
        "db has b's shape (d_out,): sum dy over the batch axis": dy64,
    }, what="db")  # fmt: skip


def _mean_cross_entropy(logits, labels):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def check_softmax_cross_entropy_backward(fn) -> None:
    fn = without(fn, AUTODIFF)
    logits = _normal(5, (6, 4), scale=2.0)  # batch 6, 4 classes: a /B and a /C slip differ
    labels = jnp.asarray(np.random.default_rng(6).integers(0, 4, size=6))
    expected = f64(jax.jit(jax.grad(_mean_cross_entropy))(logits, labels))
    z, onehot = f64(logits), np.eye(4)[np.asarray(labels)]
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    over_batch = np.exp(z - z.max(0, keepdims=True))
    over_batch /= over_batch.sum(0, keepdims=True)
    assert_close_or_distinct_mistake(fn(logits, labels), expected, {
        "the loss is the MEAN over the batch: divide (p - onehot) by the batch size": (
            probs - onehot),
        "the gradient is p - onehot (predicted minus true), not onehot - p": (onehot - probs) / 6,
        "use the probabilities p = softmax(z), not the logits z": (z - onehot) / 6,
        "softmax over the classes, the last axis, one distribution per example": (
            (over_batch - onehot) / 6),
        "divide by the batch size, not the number of classes": (probs - onehot) / 4,
    }, rtol=1e-4, atol=1e-6, what="dL/dlogits")  # fmt: skip


# -- Backpropagation implementation ---------------------------------------------------------


def _random_graph(seed: int, n_inputs: int, n_nodes: int):
    """(parents, local_grads): node i > inputs has 1-3 parents among the earlier nodes."""
    rng = np.random.default_rng(seed)
    parents, local = [[] for _ in range(n_inputs)], [[] for _ in range(n_inputs)]
    for node in range(n_inputs, n_nodes):
        count = min(node, int(rng.integers(1, 4)))
        chosen = sorted(rng.choice(node, size=count, replace=False).tolist())
        if node == n_inputs:  # make sure the graph has a diamond
            chosen = [0, 1] if n_inputs > 1 else [0]
        parents.append(chosen)
        local.append([round(float(v), 3) for v in rng.uniform(-1.5, 1.5, size=len(chosen))])
    return parents, local


GRAPHS = (
    # x0, x1, x2; n3 = g(x0, x1); n4 = g(x1, n3); n5 = g(n3); n6 = g(n4, n5, x2); n7 = g(n6, n3)
    (
        [[], [], [], [0, 1], [1, 3], [3], [4, 5, 2], [6, 3]],
        [[], [], [], [0.5, -2.0], [1.5, 0.7], [-1.2], [0.9, 2.0, -0.4], [1.1, 0.6]],
    ),
    _random_graph(7, 3, 14),
)


def graph_gradients(parents, local_grads) -> np.ndarray:
    """d out / d node by jax.grad of the linearized graph: node_i = eps_i + sum_j l_ij node_j;
    the gradient with respect to the perturbation eps_i is the gradient at node i."""

    def out(eps):
        values = []
        for i, (ps, ls) in enumerate(zip(parents, local_grads, strict=True)):
            values.append(eps[i] + sum(l * values[p] for p, l in zip(ps, ls, strict=True)))
        return values[-1]

    return f64(jax.grad(out)(jnp.zeros(len(parents))))


def _accumulate(parents, local_grads, *, overwrite=False, forward=False, seed=1.0):
    """Reverse accumulation with the usual slips."""
    grads = np.zeros(len(parents))
    grads[-1] = seed
    order = range(len(parents)) if forward else reversed(range(len(parents)))
    for node in order:
        for p, local in zip(parents[node], local_grads[node], strict=True):
            grads[p] = grads[node] * local if overwrite else grads[p] + grads[node] * local
    return grads


def check_reverse_accumulate(fn) -> None:
    fn = without(fn, AUTODIFF)
    for parents, local in GRAPHS:
        expected = graph_gradients(parents, local)
        got = fn([list(p) for p in parents], [list(ls) for ls in local])
        assert_close_or_distinct_mistake(got, expected, {
            "a node used by several nodes collects a gradient from each: "
            "grad[parent] += grad[node] * local, not =": _accumulate(parents, local,
                                                                     overwrite=True),
            "visit the nodes from the output back (reverse topological order): a node's "
            "gradient is complete only after every node that uses it has passed it on": (
                _accumulate(parents, local, forward=True)),
            "start from d out / d out = 1 at the last node": np.zeros(len(parents)),
        }, rtol=1e-5, atol=1e-6, what="d out / d node")  # fmt: skip


def _max_pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def check_max_pool_backward(fn) -> None:
    fn = without(fn, AUTODIFF)
    x = _normal(8, (2, 6, 8, 3))  # continuous values: no ties in a window
    dy = _normal(9, (2, 3, 4, 3))
    expected = f64(jax.vjp(_max_pool, x)[1](dy)[0])
    up = np.repeat(np.repeat(f64(dy), 2, axis=1), 2, axis=2)  # dy copied onto every entry
    windows = f64(x).reshape(2, 3, 2, 4, 2, 3)  # (batch, i, u, j, v, c)
    is_min = windows == windows.min(axis=(2, 4), keepdims=True)
    assert_close_or_distinct_mistake(fn(x, dy), expected, {
        "that is average pooling's backward: max pooling sends all of dy to the one entry "
        "that won the max, and 0 to the other three": up / 4,
        "only the winning entry of each window gets dy; the other three get 0": up,
        "route dy to each window's maximum, not its minimum": is_min.reshape(2, 6, 8, 3) * up,
        "dx has the shape of x (batch, h, w, c): put each dy at its window's winner": f64(dy),
    }, rtol=1e-5, atol=1e-6, what="dx")  # fmt: skip


# -- Convolution ----------------------------------------------------------------------------

CONV_SIZE_CASES = (  # (n, kernel, stride, padding, dilation)
    (20, 3, 1, 2, 4),  # each slip but rounding gives its own answer here: 22, 15, 14, 13 (16)
    (9, 2, 2, 0, 1),  # rounding up gives 5 (4)
    (28, 3, 1, 1, 1),
    (28, 5, 2, 0, 1),
    (32, 3, 2, 1, 2),
    (10, 3, 3, 2, 3),
    (11, 4, 3, 1, 1),
    (7, 7, 1, 0, 1),
)


def lax_output_size(n: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of lax.conv_general_dilated on a 1-D signal, by shape inference."""
    out = jax.eval_shape(
        lambda x, w: jax.lax.conv_general_dilated(
            x, w, (stride,), [(padding, padding)], rhs_dilation=(dilation,),
            dimension_numbers=("NWC", "WIO", "NWC"),
        ),
        jax.ShapeDtypeStruct((1, n, 1), jnp.float32),
        jax.ShapeDtypeStruct((kernel, 1, 1), jnp.float32),
    )  # fmt: skip
    return out.shape[1]


def check_conv_output_size(fn) -> None:
    for n, k, s, p, d in CONV_SIZE_CASES:
        expected = lax_output_size(n, k, s, p, d)
        got = _integer(fn(n, k, s, p, d), "the output size")
        span = d * (k - 1) + 1  # inputs a dilated window covers
        mistakes = {
            "a dilated window covers dilation * (kernel - 1) + 1 inputs, not kernel": (
                (n + 2 * p - k) // s + 1
            ),
            "count the first window too: out = (n + 2 padding - span) // stride + 1": (
                (n + 2 * p - span) // s
            ),
            "round DOWN: a window that would run past the padded input is not computed": (
                -(-(n + 2 * p - span) // s) + 1
            ),
            "padding is added on BOTH sides: n + 2 * padding": (n + p - span) // s + 1,
            "a dilated window covers dilation * (kernel - 1) + 1 inputs, not dilation * kernel": (
                (n + 2 * p - d * k) // s + 1
            ),
        }
        diagnose(got, expected, mistakes, rtol=0, atol=0.01)
        assert_equal(got, expected, what=f"conv_output_size{(n, k, s, p, d)}")


def lax_conv_valid(x, w, stride: int) -> jax.Array:
    """XLA's VALID cross-correlation at full precision: the oracle."""
    return jax.lax.conv_general_dilated(
        x, w, (stride, stride), "VALID", dimension_numbers=NHWC, precision=HIGHEST
    )


def _patches_channel_major(x, k: int, stride: int) -> np.ndarray:
    """Patches with entries ordered (c, u, v): the wrong order for w.reshape(k k c_in, c_out)."""
    x64 = f64(x)
    _, h, w, _ = x64.shape
    out_h, out_w = (h - k) // stride + 1, (w - k) // stride + 1
    views = [x64[:, u : u + (out_h - 1) * stride + 1 : stride, v : v + (out_w - 1) * stride + 1
                 : stride] for u in range(k) for v in range(k)]  # fmt: skip
    stacked = np.stack(views, axis=-1)  # (batch, out_h, out_w, c, k k): (c, u, v) order
    return stacked.reshape(*stacked.shape[:3], -1)


IM2COL_SHORTCUTS = {
    name: "it builds the patches for you; build them yourself"
    for name in (
        "jlr.nn.conv.im2col",
        "jlr.nn.conv.window_views",
        "jlr.nn.conv.conv2d",
        "jlr.backprop.manual.im2col",
        "jlr.backprop.manual.conv2d_forward",
    )
}
CONV_CASES = ((1, (2, 7, 9, 3), (3, 3, 3, 4), 1), (2, (2, 7, 9, 3), (3, 3, 3, 4), 2),
              (3, (1, 6, 6, 2), (2, 2, 2, 5), 2))  # fmt: skip


def check_conv2d_im2col(fn) -> None:
    fn = without(fn, IM2COL_SHORTCUTS)
    for seed, x_shape, w_shape, stride in CONV_CASES:
        x, w = _normal(10 + seed, x_shape), _normal(20 + seed, w_shape)
        assert_no_primitive(
            lambda x, w, stride=stride: fn(x, w, stride),
            (x, w),
            {"conv_general_dilated"},
            "that is XLA's convolution; build the patches and do one matmul",
        )
        expected = f64(lax_conv_valid(x, w, stride))
        k, _, c_in, c_out = w_shape
        got = f64(fn(x, w, stride))
        stride_one = (x_shape[0], x_shape[1] - k + 1, x_shape[2] - k + 1, c_out)
        if got.shape == stride_one and stride > 1:
            raise CheckFailed(f"shape {got.shape} is stride 1's: take every stride-th window")
        same = jax.eval_shape(lambda x, w, stride=stride: jax.lax.conv_general_dilated(
            x, w, (stride, stride), "SAME", dimension_numbers=NHWC), x, w).shape  # fmt: skip
        if got.shape == tuple(same) and same != expected.shape:
            raise CheckFailed("VALID means no padding: out = (n - kernel) // stride + 1")
        assert_close_or_distinct_mistake(got, expected, {
            "deep learning's convolution does not flip the kernel: "
            "out[i, j] = sum_(u, v) x[s i + u, s j + v] w[u, v]": lax_conv_valid(
                x, w[::-1, ::-1], stride),
            "order each patch's entries (u, v, c), the order of w.reshape(k * k * c_in, c_out)": (
                _patches_channel_major(x, k, stride) @ f64(w).reshape(k * k * c_in, c_out)),
        }, rtol=1e-4, atol=1e-5, what=f"conv with stride {stride}")  # fmt: skip


# -- Receptive fields -----------------------------------------------------------------------

RF_CASES = (  # a dilation-only stack before the strided ones: each slip shows on its own
    ((3, 1, 1), (3, 1, 1)),
    ((3, 1, 1), (3, 1, 4)),
    ((3, 2, 1), (3, 2, 1)),
    ((5, 1, 1), (2, 2, 1), (3, 1, 2)),
    ((7, 2, 1), (3, 2, 1), (3, 2, 1), (3, 2, 1)),
)


def measured_field(layers, n: int = 400) -> tuple[int, int]:
    """(size, jump) of a 1-D lax conv stack (VALID, weights 1), from input-gradient supports:
    size = the extent of output unit 1's support, jump = how far unit 2's support starts after."""

    def stack(x):
        h = x[None, :, None]  # (1, n, 1)
        for kernel, stride, dilation in layers:
            h = jax.lax.conv_general_dilated(
                h, jnp.ones((kernel, 1, 1)), (stride,), "VALID", rhs_dilation=(dilation,),
                dimension_numbers=("NWC", "WIO", "NWC"))  # fmt: skip
        return h[0, :, 0]

    def support(unit):
        grad = np.asarray(jax.grad(lambda x: stack(x)[unit])(jnp.ones(n)))
        where = np.nonzero(grad)[0]
        return int(where.min()), int(where.max())

    (lo1, hi1), (lo2, _) = support(1), support(2)
    return hi1 - lo1 + 1, lo2 - lo1


def _field(layers, *, use_jump=True, own_stride=False, use_dilation=True, add_strides=False):
    size, jump = 1, 1
    for kernel, stride, dilation in layers:
        if own_stride:
            jump = jump + stride if add_strides else jump * stride
        step = jump if use_jump else 1
        size += (dilation if use_dilation else 1) * (kernel - 1) * step
        if not own_stride:
            jump = jump + stride if add_strides else jump * stride
    return size, jump


def check_receptive_field_size(fn) -> None:
    for layers in RF_CASES:
        expected = measured_field(layers)
        result = fn([tuple(layer) for layer in layers])
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise CheckFailed("return a pair (size, jump)")
        got = (_integer(result[0], "size"), _integer(result[1], "jump"))
        diagnose(got, expected, {
            "each later kernel step covers `jump` input pixels: size += dilation * "
            "(kernel - 1) * jump, with jump the product of the EARLIER layers' strides": (
                _field(layers, use_jump=False)),
            "update jump AFTER size: a layer's own stride does not widen its own window": (
                _field(layers, own_stride=True)),
            "a dilated kernel spans dilation * (kernel - 1) + 1 inputs: size += dilation * "
            "(kernel - 1) * jump": _field(layers, use_dilation=False),
            "strides compound: jump *= stride, not jump += stride": _field(
                layers, add_strides=True),
        }, rtol=0, atol=0.01)  # fmt: skip
        assert_equal(got, expected, what=f"(size, jump) of {list(layers)}")


# -- Translation invariance -----------------------------------------------------------------


def _conv_map(seed: int, padding: str) -> Callable[[jax.Array], jax.Array]:
    """A 3x3 conv (2 -> 3 channels) on one image (h, w, 2) -> (h, w, 3), lax-written."""
    w = _normal(seed, (3, 3, 2, 3))

    def f(image):
        x = image[None]  # (1, h, w, 2)
        if padding == "CIRCULAR":
            x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        out = jax.lax.conv_general_dilated(
            x, w, (1, 1), "VALID" if padding == "CIRCULAR" else "SAME",
            dimension_numbers=NHWC, precision=HIGHEST)  # fmt: skip
        return out[0]

    return jax.jit(f)


@jax.jit
def _position_map(image):
    """Weights each pixel by its position: not equivariant at all."""
    h, w, _ = image.shape
    ramp = jnp.arange(h)[:, None, None] + 2.0 * jnp.arange(w)[None, :, None]  # (h, w, 1)
    return jnp.concatenate([image * ramp, image**2], axis=-1)  # (h, w, 4)


def _equivariance64(out_shifted, out, shift, *, reduce="max", norm=True) -> float:
    diff = f64(out_shifted) - np.roll(f64(out), shift, axis=(0, 1))
    per_position = np.linalg.norm(diff, axis=-1) if norm else np.abs(diff).max(axis=-1)
    return float(per_position.max() if reduce == "max" else per_position.mean())


def _flat_roll_error(f, x, shift) -> float:
    """The error measured with jnp.roll(a, shift) and no axes: a roll of the flattened array."""

    def roll_flat(a):
        return np.roll(f64(a).reshape(-1), sum(shift)).reshape(np.shape(a))

    diff = f64(f(jnp.asarray(roll_flat(x), jnp.float32))) - roll_flat(f(x))
    return float(np.linalg.norm(diff, axis=-1).max())


def check_equivariance_error(fn) -> None:
    x = _normal(30, (8, 9, 2))
    maps = {"a circular conv": _conv_map(31, "CIRCULAR"), "a zero-padded conv": _conv_map(
        31, "SAME"), "a position-weighted map": _position_map}  # fmt: skip
    for shift in ((2, 3), (1, -2)):
        rolled = jnp.roll(x, shift, axis=(0, 1))
        for name, f in maps.items():
            out, out_shifted = f(x), f(rolled)
            expected = _equivariance64(out_shifted, out, shift)
            got = scalar(fn(f, x, shift), f"the error of {name}")
            swapped = f(jnp.roll(x, shift[::-1], axis=(0, 1)))
            diagnose(got, expected, {
                "compare f(roll(x)) with roll(f(x)), the output shifted the same way "
                "(equivariance), not with f(x)": float(np.linalg.norm(
                    f64(out_shifted) - f64(out), axis=-1).max()),
                "roll f(x) by the same shift as x, not by -shift": _equivariance64(
                    out_shifted, out, (-shift[0], -shift[1])),
                "shift[0] moves the rows (axis 0), shift[1] the columns (axis 1)": (
                    _equivariance64(swapped, out, shift[::-1])),
                "give jnp.roll the axes (0, 1): without them it rolls the flattened array": (
                    _flat_roll_error(f, x, shift)),
                "return the MAXIMUM over positions, not the mean": _equivariance64(
                    out_shifted, out, shift, reduce="mean"),
                "the error at a position is the Euclidean norm over the channels, not the "
                "largest channel": _equivariance64(out_shifted, out, shift, norm=False),
            }, rtol=1e-4, atol=1e-5)  # fmt: skip
            assert_close(got, expected, rtol=1e-4, atol=1e-5,
                         what=f"equivariance error of {name}, shift {shift}")  # fmt: skip


# -- CNN implementation ---------------------------------------------------------------------


def _cnn_params(seed: int) -> dict:
    shapes = {"conv1": ((3, 3, 2, 4), 3), "conv2": ((3, 3, 4, 6), 5), "head": ((6, 5), 2)}
    return {
        name: {"w": _normal(seed + i, shape) / scale,
               "b": _normal(seed + 10 + i, shape[-1:], scale=0.3)}
        for i, (name, (shape, scale)) in enumerate(shapes.items())
    }  # fmt: skip


def numpy_cnn(params, x, *, relu=True, pool="max", padding="SAME", gap="mean", bias=True,
              flip=False) -> np.ndarray:  # fmt: skip
    """The exercise's CNN in float64 numpy (the oracle), with optional slips.

    A 3x3 conv is a sum over the 9 kernel offsets of a shifted view times w[u, v]."""
    p = jax.tree.map(f64, params)

    def conv(layer, h):
        w = layer["w"][::-1, ::-1] if flip else layer["w"]
        if padding == "SAME":
            h = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out_h, out_w = h.shape[1] - 2, h.shape[2] - 2
        out = sum(h[:, u : u + out_h, v : v + out_w] @ w[u, v] for u in range(3) for v in range(3))
        return out + layer["b"] if bias else out

    act = (lambda z: np.maximum(z, 0.0)) if relu else (lambda z: z)
    h = act(conv(p["conv1"], f64(x)))
    batch, height, width, channels = h.shape
    windows = h.reshape(batch, height // 2, 2, width // 2, 2, channels)
    if pool == "max":
        h = windows.max(axis=(2, 4))
    elif pool == "avg":
        h = windows.mean(axis=(2, 4))
    h = act(conv(p["conv2"], h))
    h = h.mean(axis=(1, 2)) if gap == "mean" else h.sum(axis=(1, 2))  # (batch, c2)
    out = h @ p["head"]["w"]
    return out + p["head"]["b"] if bias else out


def check_cnn_forward(fn) -> None:
    params, x = _cnn_params(40), _normal(41, (3, 10, 12, 2))  # VALID would end at 2x3
    expected = numpy_cnn(params, x)
    got = fn(params, x)
    assert_close_or_distinct_mistake(got, expected, {
        "apply ReLU after each convolution": numpy_cnn(params, x, relu=False),
        "max pooling keeps the LARGEST of each 2x2 window, not the mean": numpy_cnn(
            params, x, pool="avg"),
        "pool 2x2 (stride 2) after the first conv and ReLU": numpy_cnn(params, x, pool="none"),
        "SAME padding: each conv keeps the spatial size (pad 1 on each side for 3x3)": numpy_cnn(
            params, x, padding="VALID"),
        "global AVERAGE pooling: the mean over positions, not the sum": numpy_cnn(
            params, x, gap="sum"),
        "add each layer's bias b": numpy_cnn(params, x, bias=False),
        "deep learning's convolution does not flip the kernel (cross-correlation)": numpy_cnn(
            params, x, flip=True),
    }, rtol=1e-4, atol=1e-5, what="logits")  # fmt: skip


# -- The mini-project -----------------------------------------------------------------------

CONFUSION_SHORTCUTS = {
    "sklearn.metrics.confusion_matrix": "it is the answer; count with .at[...].add(1)",
}


def check_confusion_matrix(fn) -> None:
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    fn = without(fn, CONFUSION_SHORTCUTS)
    rng = np.random.default_rng(50)
    labels = rng.choice([0, 1, 3, 4], size=60)  # class 2 never occurs
    predictions = np.where(rng.random(60) < 0.6, labels, rng.choice([0, 1, 2, 3], size=60))
    n_classes = 6  # class 5 is neither true nor predicted
    expected = sklearn_confusion_matrix(labels, predictions, labels=range(n_classes))
    got = fn(jnp.asarray(predictions), jnp.asarray(labels), n_classes)
    top = max(labels.max(), predictions.max()) + 1
    assert_close_or_distinct_mistake(got, expected, {
        "rows are the TRUE classes and columns the predictions: counts[label, prediction]": (
            expected.T),
        "the matrix is (n_classes, n_classes) even when a class never occurs": expected[
            :top, :top],
        "a cell counts every example that falls in it: .at[...].add(1), not .set(1)": (
            expected > 0).astype(int),
        "return counts, not each row divided by its total": expected / np.maximum(
            expected.sum(1, keepdims=True), 1),
    }, rtol=0, atol=1e-6, what="counts")  # fmt: skip


EXERCISES: tuple[Exercise, ...] = (
    Exercise("init_std", MLPS, check_init_std),
    Exercise("mlp_param_count", MLPS, check_mlp_param_count),
    Exercise("width_for_budget", DEPTH_WIDTH, check_width_for_budget),
    Exercise("linear_backward", DERIVATION, check_linear_backward),
    Exercise("softmax_cross_entropy_backward", DERIVATION, check_softmax_cross_entropy_backward),
    Exercise("reverse_accumulate", IMPLEMENTATION, check_reverse_accumulate),
    Exercise("max_pool_backward", IMPLEMENTATION, check_max_pool_backward),
    Exercise("conv_output_size", CONVOLUTION, check_conv_output_size),
    Exercise("conv2d_im2col", CONVOLUTION, check_conv2d_im2col),
    Exercise("receptive_field_size", RECEPTIVE, check_receptive_field_size),
    Exercise("equivariance_error", TRANSLATION, check_equivariance_error),
    Exercise("cnn_forward", CNN, check_cnn_forward),
    Exercise("confusion_matrix", PROJECT, check_confusion_matrix),
)
