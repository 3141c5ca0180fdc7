"""Multivariable Taylor polynomials of first and second order, and their remainders.

For f: R^n -> R, C^3 near x,
    T1(h) = f(x) + grad f(x) . h                      remainder O(|h|^2)
    T2(h) = f(x) + grad f(x) . h + 1/2 h^T H(x) h     remainder O(|h|^3)
Both are computed from JAX products only: the gradient term is a JVP and the quadratic
term an HVP, so no Hessian matrix is formed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.calculus.hessian import hvp
from jlr.calculus.linearization import linear_approximation


def taylor_first_order(f, x: jax.Array, h: jax.Array) -> jax.Array:
    """T1(h) = f(x) + grad f(x) . h, the linear approximation of a scalar field (one JVP).

    x, h: (n,) -> scalar.
    """
    return linear_approximation(f, x, h)


def taylor_second_order(f, x: jax.Array, h: jax.Array) -> jax.Array:
    """T2(h) = f(x) + grad f(x) . h + 1/2 h^T H h. x, h: (n,) -> scalar."""
    return taylor_first_order(f, x, h) + 0.5 * h @ hvp(f, x, h)


def taylor_remainders(f, x: jax.Array, h: jax.Array) -> jax.Array:
    """(|f(x + h) - T1(h)|, |f(x + h) - T2(h)|). x, h: (n,) -> (2,)."""
    f_xh = f(x + h)
    return jnp.abs(f_xh - jnp.stack([taylor_first_order(f, x, h), taylor_second_order(f, x, h)]))
