"""The Jacobian as the best linear approximation: f(x + h) ~ f(x) + J_f(x) h.

For f twice continuously differentiable, Taylor's theorem bounds the remainder,
    |f(x + h) - f(x) - J h| <= (1/2) sup |D^2 f| |h|^2 = O(|h|^2),
so halving h divides the error by about 4: a slope of 2 on a log-log plot
(`jlr.calculus.error_order.loglog_slope` measures it).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def linear_approximation(f, x: jax.Array, h: jax.Array) -> jax.Array:
    """f(x) + J_f(x) h, computed with one JVP. x, h: (n,) -> (m,)."""
    f_x, j_h = jax.jvp(f, (x,), (h,))
    return f_x + j_h


def linearization_error(f, x: jax.Array, h: jax.Array) -> jax.Array:
    """|f(x + h) - (f(x) + J h)|, the Euclidean norm of the remainder. x, h: (n,) -> scalar."""
    return jnp.linalg.norm(f(x + h) - linear_approximation(f, x, h))


def errors_along_ray(error_fn, x: jax.Array, direction: jax.Array, step_sizes: jax.Array):
    """error_fn(x, t * direction) for each step size t: (n_steps,) -> (n_steps, ...)."""
    return jax.vmap(lambda t: error_fn(x, t * direction))(step_sizes)
