r"""Independence vs correlation.

X and Y are independent when p(x, y) = p(x) p(y) everywhere; they are uncorrelated when
Cov(X, Y) = E[XY] - E[X] E[Y] = 0. Independence implies zero covariance, not the converse:
X uniform on {-1, 0, 1} and Y = X^2 have Cov = E[X^3] - E[X] E[X^2] = 0, yet Y is a function
of X. Covariance only sees linear dependence; mutual information sees all of it.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jlr.probability.joint import marginals


@jax.jit
def covariance_from_table(joint: jax.Array, x_values: jax.Array, y_values: jax.Array) -> jax.Array:
    r"""Cov(X, Y) = sum_ij P[i, j] x_i y_j - E[X] E[Y]. joint: (n_x, n_y) -> scalar."""
    p_x, p_y = marginals(joint)
    e_xy = x_values @ joint @ y_values  # (n_x,) @ (n_x, n_y) @ (n_y,)
    return e_xy - (p_x @ x_values) * (p_y @ y_values)


@jax.jit
def independence_gap(joint: jax.Array) -> jax.Array:
    r"""max_ij |P[i, j] - p(x_i) p(y_j)|: zero exactly when X and Y are independent."""
    p_x, p_y = marginals(joint)
    return jnp.max(jnp.abs(joint - jnp.outer(p_x, p_y)))


def uncorrelated_dependent_table() -> tuple[jax.Array, jax.Array, jax.Array]:
    """X uniform on {-1, 0, 1}, Y = X^2: (joint (3, 2), x_values (3,), y_values (2,))."""
    x_values = jnp.array([-1.0, 0.0, 1.0])
    y_values = jnp.array([0.0, 1.0])
    joint = jnp.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]) / 3.0  # row x, column y = x^2
    return joint, x_values, y_values


@partial(jax.jit, static_argnames=("n",))
def sample_uncorrelated_dependent(
    key: jax.Array, n: int, noise_std: float = 0.1
) -> tuple[jax.Array, jax.Array]:
    r"""X ~ N(0, 1), Y = X^2 + noise_std * E: Cov(X, Y) = E[X^3] = 0, but Y depends on X.

    Returns x, y: (n,) each.
    """
    x_key, noise_key = jax.random.split(key)
    x = jax.random.normal(x_key, (n,))
    return x, x**2 + noise_std * jax.random.normal(noise_key, (n,))
