"""Partial derivatives: by `jax.grad(argnums=...)` and by central finite differences.

The partial derivative of f with respect to x_i is the slope of one slice of its graph:
fix every other coordinate, and differentiate the one-variable function
t -> f(x + t e_i) at t = 0. The central difference
    (f(x + h e_i) - f(x - h e_i)) / (2 h) = d_i f(x) + O(h^2)
estimates it without autodiff (its h^2 error term is f'''(x) h^2 / 6 along the slice).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def partial_derivative(f, argnum: int):
    """d f / d x_argnum for a function f(x_0, x_1, ...) of separate scalar arguments.

    The returned function takes the same arguments as f and returns a scalar.
    """
    return jax.grad(f, argnums=argnum)


def surface_slice(f, x: jax.Array, i: int):
    """The one-variable slice t -> f(x + t e_i) of the graph of f through x along axis i.

    Its derivative at t = 0 is the partial derivative d_i f(x). x: (n,).
    """
    e_i = jnp.zeros_like(x).at[i].set(1.0)
    return lambda t: f(x + t * e_i)


def central_difference(f, x: jax.Array, i: int, h: float = 1e-3) -> jax.Array:
    r"""(f(x + h e_i) - f(x - h e_i)) / (2 h), an O(h^2) estimate of d_i f(x).

    x: (n,) -> same shape as f(x) (a scalar for a scalar field).
    """
    slice_i = surface_slice(f, x, i)
    return (slice_i(h) - slice_i(-h)) / (2.0 * h)


def finite_difference_gradient(f, x: jax.Array, h: float = 1e-3) -> jax.Array:
    """Every partial derivative by central differences: 2 n evaluations of f.

    x: (n,) -> (n,) for a scalar field.
    """
    return jnp.stack([central_difference(f, x, i, h) for i in range(x.shape[0])])
