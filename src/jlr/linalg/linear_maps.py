r"""Linear transformations and their matrices.

A map f: R^n -> R^m is linear when f(alpha x + beta y) = alpha f(x) + beta f(y). Then
f(x) = f(sum_j x_j e_j) = sum_j x_j f(e_j), so f is the matrix whose j-th column is f(e_j):

    A = [f(e_1) ... f(e_n)]: (m, n),   f(x) = A x,   matrix of f o g = A_f A_g.

In the plane, A sends the unit square to a parallelogram of area |det A| and the unit circle
to an ellipse whose semi-axes are the singular values of A; a real eigenvector spans a line
that A maps onto itself.
Source: Strang, Introduction to Linear Algebra, ch. 8; 3Blue1Brown, Essence of Linear Algebra.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def matrix_of(f: Callable[[jax.Array], jax.Array], d_in: int) -> jax.Array:
    """The matrix of a linear f: R^d_in -> R^d_out, columns f(e_j). -> (d_out, d_in)."""
    columns = jax.vmap(f)(jnp.eye(d_in))  # (d_in, d_out): row j is f(e_j)
    return columns.T


def apply_to_points(a: jax.Array, points: jax.Array) -> jax.Array:
    """x -> a x for each row. a: (m, n), points: (n_points, n) -> (n_points, m)."""
    return points @ a.T


def unit_circle(n_points: int = 200) -> jax.Array:
    """Points (cos t, sin t) on the unit circle, t in [0, 2 pi). -> (n_points, 2)."""
    t = jnp.linspace(0.0, 2 * jnp.pi, n_points, endpoint=False)
    return jnp.stack([jnp.cos(t), jnp.sin(t)], axis=-1)


def grid_lines(half_width: float = 2.0, n_lines: int = 9, n_points: int = 50) -> jax.Array:
    """Horizontal and vertical lines of a square grid. -> (2 n_lines, n_points, 2)."""
    levels = jnp.linspace(-half_width, half_width, n_lines)
    along = jnp.linspace(-half_width, half_width, n_points)
    lvl, alg = jnp.meshgrid(levels, along, indexing="ij")  # (n_lines, n_points) each
    horizontal = jnp.stack([alg, lvl], axis=-1)  # y fixed per line
    vertical = jnp.stack([lvl, alg], axis=-1)  # x fixed per line
    return jnp.concatenate([horizontal, vertical], axis=0)


@jax.jit
def polygon_area(points: jax.Array) -> jax.Array:
    """Shoelace formula: area = 1/2 |sum_i x_i y_{i+1} - x_{i+1} y_i|. points: (n, 2) -> ()."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * jnp.abs(jnp.sum(x * jnp.roll(y, -1) - jnp.roll(x, -1) * y))
