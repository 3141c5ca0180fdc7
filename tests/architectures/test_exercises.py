"""Lesson 06's exercises: every topic has one, wrong answers fail with their hint, shortcuts
are refused, the checks' oracles are right, and correct answers written by hand pass."""

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import (
    assert_exercises_cover_the_section,
    assert_mistake_fails,
    assert_stubs_and_solutions_define_every_exercise,
    mistake_cases,
)

from jlr.course.checker import grade
from jlr.course.checks import architectures as checks
from jlr.course.checks.architectures import EXERCISES
from jlr.nn.conv import conv2d, im2col

SECTION = "06"


def test_every_topic_of_section_06_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)


def test_stubs_and_solutions_define_every_exercise():
    assert_stubs_and_solutions_define_every_exercise(SECTION)


# -- The oracles themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "initializer"),
    [
        ("lecun", jax.nn.initializers.lecun_normal()),
        ("xavier", jax.nn.initializers.glorot_normal()),
        ("he", jax.nn.initializers.he_normal()),
    ],
)
@pytest.mark.parametrize("shape", [(256, 512), (3, 3, 64, 128)])
def test_init_variance_is_what_jax_initializers_draw(scheme, initializer, shape):
    """JAX's normal initializers (truncated, variance-corrected) have the check's variance:
    >= 131,072 draws give a sample variance within 2% (about 5 standard errors)."""
    sample = np.asarray(initializer(jax.random.key(1), shape, jnp.float32), np.float64)
    np.testing.assert_allclose(sample.var(), checks.init_variance64(scheme, shape), rtol=0.02)


@pytest.mark.parametrize("case", checks.PARAM_CASES)
def test_parameter_count_oracle_is_the_closed_form(case):
    d_in, w, n_hidden, n_classes = case
    sizes = [d_in, *[w] * n_hidden, n_classes]
    closed_form = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    assert checks.mlp_param_count64(*case) == closed_form == checks._count(*case)


@pytest.mark.parametrize(
    ("layers", "size_and_jump"),
    [
        (((3, 1, 1), (3, 1, 1)), (5, 1)),  # two 3-wide windows: 3 + 2
        (((3, 2, 1), (3, 2, 1)), (7, 4)),  # the second window steps 2 inputs at a time
        (((3, 1, 1), (3, 1, 4)), (11, 1)),  # taps -4, 0, 4 of 3-wide fields: -5 .. 5
    ],
)
def test_measured_receptive_field_of_stacks_worked_by_hand(layers, size_and_jump):
    assert checks.measured_field(layers) == size_and_jump


def test_graph_oracle_sums_the_products_over_paths():
    # x -> a (2), x -> b (3), a -> out (5), b -> out (7): d out / dx = 2*5 + 3*7 = 31
    parents = [[], [0], [0], [1, 2]]
    local = [[], [2.0], [3.0], [5.0, 7.0]]
    np.testing.assert_allclose(checks.graph_gradients(parents, local), [31, 5, 7, 1], rtol=1e-6)


@pytest.mark.parametrize(
    ("case", "size"), [((28, 3, 1, 1, 1), 28), ((9, 2, 2, 0, 1), 4), ((32, 3, 2, 1, 2), 15)]
)
def test_lax_output_size_on_cases_worked_by_hand(case, size):
    assert checks.lax_output_size(*case) == size


@pytest.mark.parametrize(
    "slips",
    [{}, {"padding": "VALID"}, {"flip": True, "pool": "avg"}, {"gap": "sum", "bias": False}],
)
def test_numpy_cnn_oracle_equals_a_lax_cnn(slips):
    params, x = checks._cnn_params(40), checks._normal(41, (3, 10, 12, 2))
    with jax.default_matmul_precision("highest"):
        lax_logits = _cnn(**slips)(params, x)
    np.testing.assert_allclose(
        checks.numpy_cnn(params, x, **slips), lax_logits, rtol=1e-5, atol=1e-5
    )


# -- Plausible wrong answers ------------------------------------------------------------------

OFF_LIMITS = "is off limits here"
FANS = {"lecun": lambda fi, fo: 1 / fi, "xavier": lambda fi, fo: 2 / (fi + fo),
        "he": lambda fi, fo: 2 / fi}  # fmt: skip


def _std(*, conv_fans=True, power=0.5, scale=1.0, xavier_two=True, he_two=True, by_fan_out=False):
    def wrong(scheme, shape):
        window = int(np.prod(shape[:-2])) if conv_fans else 1
        fan_in, fan_out = shape[-2] * window, shape[-1] * window
        if by_fan_out:
            fan_in = fan_out
        variance = FANS[scheme](fan_in, fan_out)
        if scheme == "xavier" and not xavier_two:
            variance /= 2
        if scheme == "he" and not he_two:
            variance /= 2
        return (scale * variance) ** power

    return wrong


def _param_count(*, biases=True, square_extra=0, readout_bias=True, layers_shift=0):
    def wrong(d_in, w, n_hidden, n_classes):
        n_hidden = n_hidden + layers_shift
        sizes = [d_in, *[w] * n_hidden, n_classes]
        total = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        total += square_extra * w * w if n_hidden else 0
        if biases:
            total += sum(sizes[1:-1]) + (n_classes if readout_bias else 0)
        return total

    return wrong


def _width(count, *, extra=0, strict=False):
    def wrong(d_in, n_classes, n_hidden, budget):
        w = 1
        while True:
            total = count(d_in, w + 1, n_hidden, n_classes)
            if total > budget or (strict and total == budget):
                return w + extra
            w += 1

    return wrong


def _linear(*, dw_t=False, db_mean=False, db_rows=False, dw_scale=1.0, dx_scale=1.0):
    def wrong(w, x, dy):
        dw = dy.T @ x if dw_t else x.T @ dy * dw_scale
        db = dy.mean(0) if db_mean else (dy if db_rows else dy.sum(0))
        return dy @ w.T * dx_scale, dw, db

    return wrong


def _ce_backward(*, mean=True, sign=1, probs=True, axis=-1, by_classes=False):
    def wrong(logits, labels):
        p = jax.nn.softmax(logits, axis=axis) if probs else logits
        grad = sign * (p - jax.nn.one_hot(labels, logits.shape[-1]))
        if by_classes:
            return grad / logits.shape[-1]
        return grad / logits.shape[0] if mean else grad

    return wrong


def _reverse(*, overwrite=False, forward=False, seed=1.0):
    def wrong(parents, local_grads):
        grads = [0.0] * len(parents)
        grads[-1] = seed
        order = range(len(parents)) if forward else reversed(range(len(parents)))
        for node in order:
            for p, local in zip(parents[node], local_grads[node], strict=True):
                grads[p] = grads[node] * local if overwrite else grads[p] + grads[node] * local
        return jnp.array(grads)

    return wrong


def _reverse_by_autodiff(parents, local_grads):
    def out(eps):
        values = []
        for i, (ps, ls) in enumerate(zip(parents, local_grads, strict=True)):
            values.append(eps[i] + sum(l * values[p] for p, l in zip(ps, ls, strict=True)))
        return values[-1]

    return jax.grad(out)(jnp.zeros(len(parents)))


def _windows(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c)  # (batch, i, u, j, v, c)


def _pool_backward(*, share=False, everyone=False, argmin=False):
    def wrong(x, dy):
        up = jnp.repeat(jnp.repeat(dy, 2, axis=1), 2, axis=2)  # (batch, h, w, c)
        if share:
            return up / 4
        if everyone:
            return up
        win = _windows(x)
        pick = (
            win.min(axis=(2, 4), keepdims=True) if argmin else win.max(axis=(2, 4), keepdims=True)
        )
        return (win == pick).reshape(x.shape) * up

    return wrong


def _pool_backward_by_vjp(x, dy):
    return jax.vjp(checks._max_pool, x)[1](dy)[0]


def _size(*, dilate=True, plus_one=True, ceil=False, both_sides=True, dilation_times_k=False):
    def wrong(n, k, s, p, d):
        span = d * k if dilation_times_k else (d * (k - 1) + 1 if dilate else k)
        padded = n + (2 * p if both_sides else p)
        steps = -(-(padded - span) // s) if ceil else (padded - span) // s
        return steps + (1 if plus_one else 0)

    return wrong


def _conv_by_hand(*, flip=False, channel_major=False, ignore_stride=False, same=False):
    def wrong(x, w, stride):
        k, _, c_in, c_out = w.shape
        if flip:
            w = w[::-1, ::-1]
        s = 1 if ignore_stride else stride
        if same:
            pad = k - 1
            x = jnp.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2), (0, 0)))
        h, width = x.shape[1:3]
        out_h, out_w = (h - k) // s + 1, (width - k) // s + 1
        views = [x[:, u : u + (out_h - 1) * s + 1 : s, v : v + (out_w - 1) * s + 1 : s]
                 for u in range(k) for v in range(k)]  # fmt: skip
        if channel_major:
            patches = jnp.stack(views, axis=-1).reshape(*views[0].shape[:3], -1)  # (c, u, v)
        else:
            patches = jnp.concatenate(views, axis=-1)  # (u, v, c)
        return patches @ w.reshape(k * k * c_in, c_out)

    return wrong


def _field(*, use_jump=True, own_stride=False, use_dilation=True, add_strides=False):
    def wrong(layers):
        size, jump = 1, 1
        for kernel, stride, dilation in layers:
            if own_stride:
                jump = jump + stride if add_strides else jump * stride
            size += (dilation if use_dilation else 1) * (kernel - 1) * (jump if use_jump else 1)
            if not own_stride:
                jump = jump + stride if add_strides else jump * stride
        return size, jump

    return wrong


def _equivariance(*, invariance=False, out_sign=1, swap=False, no_axes=False, reduce="max",
                  channel_norm=True):  # fmt: skip
    def wrong(f, x, shift):
        in_shift = shift[::-1] if swap else shift
        if no_axes:
            rolled, out = f(jnp.roll(x, shift)), jnp.roll(f(x), shift)
        else:
            rolled = f(jnp.roll(x, in_shift, axis=(0, 1)))
            out_shift = (out_sign * in_shift[0], out_sign * in_shift[1])
            out = f(x) if invariance else jnp.roll(f(x), out_shift, axis=(0, 1))
        diff = rolled - out
        error = jnp.linalg.norm(diff, axis=-1) if channel_norm else jnp.abs(diff).max(axis=-1)
        return error.max() if reduce == "max" else error.mean()

    return wrong


def _cnn(*, relu=True, pool="max", padding="SAME", gap="mean", bias=True, flip=False):
    dims = ("NHWC", "HWIO", "NHWC")

    def conv(layer, h):
        w = layer["w"][::-1, ::-1] if flip else layer["w"]
        out = jax.lax.conv_general_dilated(h, w, (1, 1), padding, dimension_numbers=dims)
        return out + layer["b"] if bias else out

    def wrong(params, x):
        act = jax.nn.relu if relu else (lambda z: z)
        h = act(conv(params["conv1"], x))
        b, hh, ww, c = h.shape
        blocks = h.reshape(b, hh // 2, 2, ww // 2, 2, c)
        if pool == "max":
            h = blocks.max(axis=(2, 4))
        elif pool == "avg":
            h = blocks.mean(axis=(2, 4))
        h = act(conv(params["conv2"], h))
        h = h.mean(axis=(1, 2)) if gap == "mean" else h.sum(axis=(1, 2))
        out = h @ params["head"]["w"]
        return out + params["head"]["b"] if bias else out

    return wrong


def _confusion(*, transpose=False, shrink=False, mark=False, rates=False):
    def wrong(predictions, labels, n_classes):
        n = int(max(predictions.max(), labels.max())) + 1 if shrink else n_classes
        counts = jnp.zeros((n, n))
        rows, cols = (predictions, labels) if transpose else (labels, predictions)
        counts = counts.at[rows, cols].set(1) if mark else counts.at[rows, cols].add(1)
        if rates:
            return counts / jnp.maximum(counts.sum(1, keepdims=True), 1)
        return counts

    return wrong


def _confusion_by_sklearn(predictions, labels, n_classes):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predictions, labels=range(n_classes))


def _im2col_library(x, w, stride):
    k, _, c_in, c_out = w.shape
    return im2col(x, (k, k), stride, "VALID") @ w.reshape(k * k * c_in, c_out)


MISTAKES = {
    "init_std": [
        (r"standard deviation sqrt\(Var\(w\)\), not the variance", _std(power=1.0)),
        (r"kernel_h \* kernel_w \* c_in", _std(conv_fans=False)),
        (r"uniform draw", _std(scale=3.0)),
        (r"Xavier's variance is 2 / \(fan_in \+ fan_out\)", _std(xavier_two=False)),
        (r"He's variance is 2 / fan_in", _std(he_two=False)),
        (r"divides by fan_in .*not fan_out", _std(by_fan_out=True)),
    ],
    "mlp_param_count": [
        (r"count the biases too", _param_count(biases=False)),
        (r"L - 1 hidden-to-hidden matrices", _param_count(square_extra=1)),
        (r"output layer has biases too", _param_count(readout_bias=False)),
        (r"n_hidden \+ 1 weight matrices", _param_count(layers_shift=-1)),
    ],
    "width_for_budget": [
        (r"goes over the budget", _width(checks._count, extra=1)),
        (r"count the biases too", _width(lambda *a: checks._count(*a, biases=False))),
        (r"L - 1 hidden-to-hidden", _width(lambda d, w, n, c: checks._count(d, w, n, c, square=n))),
        (r"count <= budget", _width(checks._count, strict=True)),
    ],
    "linear_backward": [
        (rf"jax.vjp {OFF_LIMITS}", lambda w, x, dy: jax.vjp(lambda x, w: x @ w, x, w)[1](dy)),
        (
            rf"jax.grad {OFF_LIMITS}",
            lambda w, x, dy: (jax.grad(lambda x: jnp.sum((x @ w) * dy))(x), x.T @ dy, dy.sum(0)),
        ),
        (r"dw = x\^T dy, not dy\^T x", _linear(dw_t=True)),
        (r"db SUMS dy over the batch", _linear(db_mean=True)),
        (r"db has b's shape", _linear(db_rows=True)),
        (r"no 1/batch in dw", _linear(dw_scale=1 / 4)),
        (r"no 1/batch in dx", _linear(dx_scale=1 / 4)),
    ],  # fmt: skip
    "softmax_cross_entropy_backward": [
        (
            rf"jax.grad {OFF_LIMITS}",
            lambda z, y: jax.grad(
                lambda z: jnp.mean(-jax.nn.log_softmax(z)[jnp.arange(len(y)), y])
            )(z),
        ),
        (r"MEAN over the batch", _ce_backward(mean=False)),
        (r"p - onehot \(predicted minus true\)", _ce_backward(sign=-1)),
        (r"probabilities p = softmax\(z\), not the logits", _ce_backward(probs=False)),
        (r"softmax over the classes", _ce_backward(axis=0)),
        (r"not the number of classes", _ce_backward(by_classes=True)),
    ],  # fmt: skip
    "reverse_accumulate": [
        (rf"jax.grad {OFF_LIMITS}", _reverse_by_autodiff),
        (r"\+= grad\[node\] \* local, not =", _reverse(overwrite=True)),
        (r"reverse topological order", _reverse(forward=True)),
        (r"d out / d out = 1", _reverse(seed=0.0)),
    ],
    "max_pool_backward": [
        (rf"jax.vjp {OFF_LIMITS}", _pool_backward_by_vjp),
        (r"average pooling's backward", _pool_backward(share=True)),
        (r"only the winning entry", _pool_backward(everyone=True)),
        (r"maximum, not its minimum", _pool_backward(argmin=True)),
        (r"dx has the shape of x", lambda x, dy: dy),
    ],
    "conv_output_size": [
        (r"covers dilation \* \(kernel - 1\) \+ 1 inputs, not kernel$", _size(dilate=False)),
        (r"count the first window too", _size(plus_one=False)),
        (r"round DOWN", _size(ceil=True)),
        (r"BOTH sides", _size(both_sides=False)),
        (r"not dilation \* kernel", _size(dilation_times_k=True)),
    ],
    "conv2d_im2col": [
        (r"computes conv_general_dilated", lambda x, w, s: checks.lax_conv_valid(x, w, s)),
        (
            rf"jlr.nn.conv.conv2d {OFF_LIMITS}",
            lambda x, w, s: conv2d({"w": w, "b": jnp.zeros(w.shape[-1])}, x, s, padding="VALID"),
        ),
        (rf"jlr.nn.conv.im2col {OFF_LIMITS}", _im2col_library),
        (r"does not flip the kernel", _conv_by_hand(flip=True)),
        (r"\(u, v, c\)", _conv_by_hand(channel_major=True)),
        (r"stride 1's", _conv_by_hand(ignore_stride=True)),
        (r"VALID means no padding", _conv_by_hand(same=True)),
    ],  # fmt: skip
    "receptive_field_size": [
        (r"product of the EARLIER", _field(use_jump=False)),
        (r"update jump AFTER size", _field(own_stride=True)),
        (r"dilated kernel spans", _field(use_dilation=False)),
        (r"strides compound", _field(add_strides=True)),
        (r"pair \(size, jump\)", lambda layers: 5),
    ],
    "equivariance_error": [
        (r"not with f\(x\)", _equivariance(invariance=True)),
        (r"not by -shift", _equivariance(out_sign=-1)),
        (r"shift\[0\] moves the rows", _equivariance(swap=True)),
        (r"axes \(0, 1\)", _equivariance(no_axes=True)),
        (r"MAXIMUM over positions", _equivariance(reduce="mean")),
        (r"norm over the channels", _equivariance(channel_norm=False)),
    ],
    "cnn_forward": [
        (r"apply ReLU", _cnn(relu=False)),
        (r"LARGEST of each 2x2 window", _cnn(pool="avg")),
        (r"pool 2x2", _cnn(pool="none")),
        (r"SAME padding", _cnn(padding="VALID")),
        (r"AVERAGE pooling", _cnn(gap="sum")),
        (r"add each layer's bias", _cnn(bias=False)),
        (r"does not flip the kernel", _cnn(flip=True)),
    ],
    "confusion_matrix": [
        (rf"sklearn.metrics.confusion_matrix {OFF_LIMITS}", _confusion_by_sklearn),
        (r"rows are the TRUE classes", _confusion(transpose=True)),
        (r"even when a class never occurs", _confusion(shrink=True)),
        (r"not .set\(1\)", _confusion(mark=True)),
        (r"return counts", _confusion(rates=True)),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# -- Correct answers written by hand pass (the guards refuse only the shortcuts) -----------

HAND_WRITTEN = """
import math

import jax
import jax.numpy as jnp


def init_std(scheme, shape):
    window = math.prod(shape[:-2])
    fan_in, fan_out = shape[-2] * window, shape[-1] * window
    variance = {"lecun": 1 / fan_in, "xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in}
    return math.sqrt(variance[scheme])


def mlp_param_count(d_in, d_hidden, n_hidden, n_classes):
    sizes = [d_in] + [d_hidden] * n_hidden + [n_classes]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def width_for_budget(d_in, n_classes, n_hidden, budget):
    w = 1
    while mlp_param_count(d_in, w + 1, n_hidden, n_classes) <= budget:
        w += 1
    return w


def linear_backward(w, x, dy):
    return dy @ w.T, x.T @ dy, dy.sum(axis=0)


def softmax_cross_entropy_backward(logits, labels):
    p = jax.nn.softmax(logits, axis=-1)
    return (p - jax.nn.one_hot(labels, logits.shape[-1])) / logits.shape[0]


def reverse_accumulate(parents, local_grads):
    grads = [0.0] * len(parents)
    grads[-1] = 1.0
    for node in range(len(parents) - 1, -1, -1):
        for parent, local in zip(parents[node], local_grads[node]):
            grads[parent] += grads[node] * local
    return jnp.array(grads)


def max_pool_backward(x, dy):
    b, h, w, c = x.shape
    windows = x.reshape(b, h // 2, 2, w // 2, 2, c)
    winner = windows == windows.max(axis=(2, 4), keepdims=True)
    return (winner * dy[:, :, None, :, None, :]).reshape(x.shape)


def conv_output_size(n, kernel, stride, padding, dilation):
    return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_im2col(x, w, stride):
    k, _, c_in, c_out = w.shape
    out_h = (x.shape[1] - k) // stride + 1
    out_w = (x.shape[2] - k) // stride + 1
    rows = []
    for u in range(k):
        for v in range(k):
            rows.append(x[:, u : u + stride * (out_h - 1) + 1 : stride,
                          v : v + stride * (out_w - 1) + 1 : stride])
    return jnp.concatenate(rows, axis=-1) @ w.reshape(k * k * c_in, c_out)


def receptive_field_size(layers):
    size, jump = 1, 1
    for kernel, stride, dilation in layers:
        size += dilation * (kernel - 1) * jump
        jump *= stride
    return size, jump


def equivariance_error(f, x, shift):
    diff = f(jnp.roll(x, shift, axis=(0, 1))) - jnp.roll(f(x), shift, axis=(0, 1))
    return jnp.linalg.norm(diff, axis=-1).max()


def cnn_forward(params, x):
    def conv(layer, h):
        out = jax.lax.conv_general_dilated(h, layer["w"], (1, 1), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return jax.nn.relu(out + layer["b"])

    h = conv(params["conv1"], x)
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    h = conv(params["conv2"], h).mean(axis=(1, 2))
    return h @ params["head"]["w"] + params["head"]["b"]


def confusion_matrix(predictions, labels, n_classes):
    return jnp.zeros((n_classes, n_classes), jnp.int32).at[labels, predictions].add(1)
"""


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "06_architectures.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_correct_hand_written_answer_passes(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
