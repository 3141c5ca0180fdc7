r"""Joint, marginal and conditional distributions of two discrete random variables.

A joint table P[i, j] = p(X = x_i, Y = y_j) holds everything:
  marginals      p(x_i) = sum_j P[i, j],   p(y_j) = sum_i P[i, j]
  conditionals   p(y_j | x_i) = P[i, j] / p(x_i)   (rows of P renormalized)
  product rule   P[i, j] = p(x_i) p(y_j | x_i)
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@jax.jit
def marginals(joint: jax.Array) -> tuple[jax.Array, jax.Array]:
    """joint: (n_x, n_y) summing to 1 -> (p_x: (n_x,), p_y: (n_y,))."""
    return joint.sum(axis=1), joint.sum(axis=0)


@jax.jit
def conditional_y_given_x(joint: jax.Array) -> jax.Array:
    r"""C[i, j] = p(y_j | x_i) = P[i, j] / sum_j P[i, j]; rows sum to 1. (n_x, n_y) -> same.

    A row with p(x_i) = 0 is undefined; it comes back as NaN rather than a made-up answer.
    """
    return joint / joint.sum(axis=1, keepdims=True)


@jax.jit
def conditional_x_given_y(joint: jax.Array) -> jax.Array:
    r"""C[i, j] = p(x_i | y_j) = P[i, j] / sum_i P[i, j]; columns sum to 1. (n_x, n_y) -> same."""
    return joint / joint.sum(axis=0, keepdims=True)


@jax.jit
def joint_from_conditional(p_x: jax.Array, p_y_given_x: jax.Array) -> jax.Array:
    r"""Product rule P[i, j] = p(x_i) p(y_j | x_i). p_x: (n_x,), p_y_given_x: (n_x, n_y)."""
    return p_x[:, None] * p_y_given_x  # (n_x, n_y)


@partial(jax.jit, static_argnames=("f",))
def expectation_from_table(
    joint: jax.Array, x_values: jax.Array, y_values: jax.Array, f
) -> jax.Array:
    r"""E[f(X, Y)] = sum_ij P[i, j] f(x_i, y_j); f acts on one pair (vmapped over the grid)."""
    grid = jax.vmap(jax.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(x_values, y_values)
    return jnp.sum(joint * grid)  # grid: (n_x, n_y)
