"""The analytic receptive field of a stack of conv and pooling layers against the measured one,
the support of one output unit's input gradient (jax.grad through jlr's conv and pooling)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.nn.conv import conv1d, conv2d
from jlr.nn.pooling import avg_pool, max_pool
from jlr.nn.receptive_field import (
    LayerGeometry,
    ReceptiveField,
    measured_receptive_field,
    receptive_field,
)


def stack_1d(layers, seed=0):
    """A 1-D network of (kind, kernel, stride, dilation, pad) layers with symmetric padding,
    positive weights, 2 channels: f(x: (width,)) -> (out_width,), channel 0 of the output."""
    rng = np.random.default_rng(seed)

    def layer_fn(kind, kernel, stride, dilation, pad):
        padding = ((pad, pad),)
        if kind == "conv":
            params = {
                "w": jnp.asarray(rng.uniform(0.1, 1.0, (kernel, 2, 2)), jnp.float32),
                "b": jnp.zeros(2),
            }
            return lambda h: conv1d(params, h, stride, padding=padding, dilation=dilation)
        pool = {"avg": avg_pool, "max": max_pool}[kind]
        return lambda h: pool(h, (kernel,), (stride,), padding)

    fns = [layer_fn(*layer) for layer in layers]

    def f(x):
        h = jnp.stack([x, x], axis=-1)[None]  # (1, width, 2)
        for fn in fns:
            h = fn(h)
        return h[0, :, 0]  # (out_width,)

    return f


def geometry(layers):
    return [
        LayerGeometry(kernel, stride, dilation, pad) for _, kernel, stride, dilation, pad in layers
    ]


def interval_mask(field, unit, width):
    """The analytic field of output unit `unit`, clipped to the input: bool (width,)."""
    lo = field.start + unit * field.jump
    positions = np.arange(width)
    return (positions >= lo) & (positions <= lo + field.size - 1)


STACKS = {
    "three 3-convs": [("conv", 3, 1, 1, 1)] * 3,
    "strided convs": [("conv", 3, 2, 1, 1), ("conv", 3, 2, 1, 1), ("conv", 3, 1, 1, 0)],
    "dilations 1, 2, 4": [("conv", 3, 1, 1, 1), ("conv", 3, 1, 2, 2), ("conv", 3, 1, 4, 4)],
    "conv-pool (LeNet-like)": [
        ("conv", 5, 1, 1, 2),
        ("avg", 2, 2, 1, 0),
        ("conv", 3, 1, 1, 1),
        ("avg", 2, 2, 1, 0),
        ("conv", 3, 1, 1, 0),
    ],
    "padded pool, rectangular strides": [
        ("conv", 4, 3, 1, 2),
        ("avg", 3, 1, 1, 1),
        ("conv", 2, 2, 3, 0),
    ],
}


def test_recurrence_on_a_hand_computed_stack():
    """Two 3x3 convs then a 2x2 pool stride 2 then a 3x3 conv: 1 + 2 + 2 + 1 = 6, jump 2,
    6 + 2 * 2 = 10; pads 1, 1, 0, 1 shift the start by -1, -1, 0, -2."""
    field = receptive_field([(3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 1, 0), (3, 1, 1, 1)])
    assert field == ReceptiveField(size=10, jump=2, start=-4)
    assert receptive_field([(3, 1, 4, 0)]) == ReceptiveField(9, 1, 0)  # dilation spreads a kernel
    assert receptive_field([]) == ReceptiveField(1, 1, 0)


@pytest.mark.parametrize("name", STACKS)
def test_analytic_field_is_the_measured_support(name):
    layers, width = STACKS[name], 48
    f = stack_1d(layers)
    field = receptive_field(geometry(layers))
    n_out = jax.eval_shape(f, jnp.ones(width)).shape[0]
    for unit in (0, n_out // 2, n_out - 1):  # the edges see padding, the middle does not
        mask = measured_receptive_field(f, (width,), (unit,))
        np.testing.assert_array_equal(mask, interval_mask(field, unit, width), err_msg=str(unit))


def test_2d_field_is_the_product_of_the_per_axis_fields():
    """conv (3, 5), stride (1, 2), dilation (2, 1), pads (2, 2) -> avg pool 2x2 -> conv 3x3."""
    rng = np.random.default_rng(3)
    w1 = jnp.asarray(rng.uniform(0.1, 1.0, (3, 5, 1, 2)), jnp.float32)
    w2 = jnp.asarray(rng.uniform(0.1, 1.0, (3, 3, 2, 1)), jnp.float32)

    def f(x):  # (16, 20) -> (out_h, out_w)
        h = conv2d(
            {"w": w1, "b": jnp.zeros(2)},
            x[None, :, :, None],
            (1, 2),
            padding=((2, 2), (2, 2)),
            dilation=(2, 1),
        )
        h = avg_pool(h, (2, 2))
        return conv2d({"w": w2, "b": jnp.zeros(1)}, h, padding="VALID")[0, :, :, 0]

    rows = receptive_field([(3, 1, 2, 2), (2, 2, 1, 0), (3, 1, 1, 0)])
    cols = receptive_field([(5, 2, 1, 2), (2, 2, 1, 0), (3, 1, 1, 0)])
    for unit in [(0, 0), (3, 1), (5, 2)]:
        mask = measured_receptive_field(f, (16, 20), unit)
        expected = (
            interval_mask(rows, unit[0], 16)[:, None] & interval_mask(cols, unit[1], 20)[None, :]
        )
        np.testing.assert_array_equal(mask, expected, err_msg=str(unit))


def test_dilation_without_small_steps_leaves_holes_inside_the_extent():
    """Two 3-convs of dilation 2 reach offsets 0, 2, ..., 8 only: the analytic extent (9) is
    the support's span, and the odd inputs in it are holes."""
    layers = [("conv", 3, 1, 2, 0), ("conv", 3, 1, 2, 0)]
    mask = measured_receptive_field(stack_1d(layers), (20,), (3,))
    field = receptive_field(geometry(layers))
    support = np.flatnonzero(mask)
    assert (support.min(), support.max()) == (3 * field.jump + field.start, 3 + field.size - 1)
    np.testing.assert_array_equal(support, np.arange(3, 12, 2))


def test_max_pooling_gradient_reaches_only_part_of_the_field():
    """A max pool passes gradient to each window's winner: at a random input (no ties), the
    measured support lies inside the analytic field and is smaller (average pooling shows
    all of it, above)."""
    layers = [("conv", 3, 1, 1, 1), ("max", 2, 2, 1, 0), ("conv", 3, 1, 1, 1)]
    field = receptive_field(geometry(layers))
    x = jnp.asarray(np.random.default_rng(4).uniform(0.5, 1.5, 24), jnp.float32)
    mask = np.asarray(measured_receptive_field(stack_1d(layers), (24,), (5,), x))
    expected = interval_mask(field, 5, 24)
    assert np.all(expected[mask]) and mask.sum() < expected.sum()


@st.composite
def conv_stacks(draw):
    n_layers = draw(st.integers(1, 3))
    return [
        (
            "conv",
            draw(st.integers(1, 4)),
            draw(st.integers(1, 2)),
            draw(st.integers(1, 3)),
            draw(st.integers(0, 2)),
        )
        for _ in range(n_layers)
    ]


@settings(max_examples=15, deadline=None)
@given(conv_stacks())
def test_measured_support_spans_the_analytic_field(layers):
    """Any stack (holes allowed): the support lies in the field and reaches both of its ends
    wherever they fall inside the input."""
    width = 40
    f = stack_1d(layers)
    field = receptive_field(geometry(layers))
    unit = jax.eval_shape(f, jnp.ones(width)).shape[0] // 2
    support = np.flatnonzero(measured_receptive_field(f, (width,), (unit,)))
    lo, hi = field.start + unit * field.jump, field.start + unit * field.jump + field.size - 1
    assert support.min() == max(lo, 0) or lo < 0
    assert support.max() == min(hi, width - 1) or hi >= width
    assert lo <= support.min() and support.max() <= hi
