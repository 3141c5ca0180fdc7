r"""A scalar reverse-mode automatic differentiation engine, small enough to read in one sitting.

After Andrej Karpathy's micrograd. Every arithmetic step on a `Value` records a new node:
its number (`data`) and, for each input it was computed from, the local derivative
d(node)/d(input), evaluated there and then. The graph of these nodes is the computation.

`backward(output)` then applies the chain rule from the output back to the inputs: visiting
nodes in reverse topological order (every node after all the nodes that use it), it adds
grad[node] * d(node)/d(parent) into grad[parent]. The `+=` matters: a node used twice
(x * x, or a shared subexpression) collects a contribution from each use.

    x, y = Value(2.0), Value(3.0)
    z = x * y + sin(x)
    grads = backward(z)          # {node: dz/dnode}; grads[x] = y + cos(x), grads[y] = x

`value_and_grad(f)(2.0, 3.0)` wraps the same steps like `jax.value_and_grad` over every argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Value:
    """A scalar node: `data` and `parents`, pairs (input node, d(this node)/d(input))."""

    __slots__ = ("data", "parents")

    def __init__(self, data: float, parents: tuple[tuple[Value, float], ...] = ()):
        self.data = float(data)
        self.parents = parents

    def __repr__(self) -> str:
        return f"Value({self.data!r})"

    # Each rule: the forward number, and the local derivative with respect to each input.
    def __add__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)))

    def __sub__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data - other.data, ((self, 1.0), (other, -1.0)))

    def __mul__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data * other.data, ((self, other.data), (other, self.data)))

    def __truediv__(self, other: Value | float) -> Value:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        other = as_value(other)
        quotient = self.data / other.data
        return Value(quotient, ((self, 1.0 / other.data), (other, -quotient / other.data)))

    def __pow__(self, exponent: float) -> Value:  # constant c: d(a^c)/da = c a^(c-1)
        # (a > 0 unless c is a whole number; a power with a Value exponent is not supported)
        if not isinstance(exponent, int | float):
            return NotImplemented
        return Value(self.data**exponent, ((self, exponent * self.data ** (exponent - 1)),))

    def __neg__(self) -> Value:
        return Value(-self.data, ((self, -1.0),))

    # float op Value: Python asks the Value, with the operands swapped.
    def __radd__(self, other: float) -> Value:
        return as_value(other) + self

    def __rsub__(self, other: float) -> Value:
        return as_value(other) - self

    def __rmul__(self, other: float) -> Value:
        return as_value(other) * self

    def __rtruediv__(self, other: float) -> Value:
        return as_value(other) / self


def as_value(x: Value | float) -> Value:
    """A Value as is; a number as a constant: a leaf node with no parents."""
    return x if isinstance(x, Value) else Value(x)


def exp(x: Value | float) -> Value:
    """e^x; d/dx = e^x."""
    x = as_value(x)
    out = math.exp(x.data)
    return Value(out, ((x, out),))


def log(x: Value | float) -> Value:
    """Natural log, x > 0; d/dx = 1/x."""
    x = as_value(x)
    return Value(math.log(x.data), ((x, 1.0 / x.data),))


def tanh(x: Value | float) -> Value:
    """tanh x; d/dx = 1 - tanh^2 x."""
    x = as_value(x)
    out = math.tanh(x.data)
    return Value(out, ((x, 1.0 - out * out),))


def relu(x: Value | float) -> Value:
    """max(x, 0); d/dx = 1 for x > 0, else 0 (0 at x = 0, as `jax.nn.relu`)."""
    x = as_value(x)
    return Value(max(x.data, 0.0), ((x, 1.0 if x.data > 0 else 0.0),))


def sin(x: Value | float) -> Value:
    """sin x; d/dx = cos x."""
    x = as_value(x)
    return Value(math.sin(x.data), ((x, math.cos(x.data)),))


def cos(x: Value | float) -> Value:
    """cos x; d/dx = -sin x."""
    x = as_value(x)
    return Value(math.cos(x.data), ((x, -math.sin(x.data)),))


def topological_order(output: Value) -> list[Value]:
    """Every node `output` depends on, once each, each after all of its parents.

    A depth-first search that lists a node when it finishes (after its parents). It keeps its
    own stack rather than recursing, so a chain of ten thousand steps is fine; in a diamond
    (two paths from x to the output) x is still listed once, because a visited node is skipped.
    """
    order: list[Value] = []
    visited: set[Value] = set()  # nodes hash by identity: two equal numbers are two nodes
    stack = [(output, False)]  # (node, are its parents listed yet?)
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back after the parents pushed next
            stack.extend((parent, False) for parent, _ in node.parents)
    return order


def backward(output: Value) -> dict[Value, float]:
    r"""d output / d node for every node `output` depends on (reverse-mode, one sweep).

    grad[output] = 1; then for each node, children before parents:
    grad[parent] += grad[node] * d(node)/d(parent).
    A node is only visited after every node that uses it, so its gradient is complete then.
    """
    grads = {output: 1.0}
    for node in reversed(topological_order(output)):
        for parent, local_derivative in node.parents:
            grads[parent] = grads.get(parent, 0.0) + grads[node] * local_derivative
    return grads


def value_and_grad(
    f: Callable[..., Value | float],
) -> Callable[..., tuple[float, tuple[float, ...]]]:
    """f(Values...) -> Value, as floats in, (f's value, its gradient in every argument) out.

    Like `jax.value_and_grad(f, argnums=(0, 1, ...))`; an unused argument's gradient is 0.
    """

    def value_and_grad_f(*xs: float) -> tuple[float, tuple[float, ...]]:
        inputs = [Value(x) for x in xs]
        output = as_value(f(*inputs))
        grads = backward(output)
        return output.data, tuple(grads.get(x, 0.0) for x in inputs)

    return value_and_grad_f
