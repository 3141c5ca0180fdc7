"""Directional derivatives by `jax.jvp`, and the gradient as the direction of steepest ascent.

D_v f(x) = d/dt f(x + t v) at t = 0 = grad f(x) . v. Over unit directions v, the
Cauchy-Schwarz inequality bounds it by |grad f(x)|, with equality exactly for
v = grad f(x) / |grad f(x)|: the gradient points uphill fastest, and its length is that rate.
A JVP computes D_v f(x) in one forward pass, without forming the gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def directional_derivative(f, x: jax.Array, v: jax.Array) -> jax.Array:
    """D_v f(x) = J_f(x) v, one forward-mode pass (`jax.jvp`).

    x, v: (n,) -> same shape as f(x).
    """
    _, tangent_out = jax.jvp(f, (x,), (v,))
    return tangent_out


def unit_directions(n_angles: int) -> jax.Array:
    """n_angles unit vectors of R^2 evenly spaced in angle from 0: (n_angles, 2)."""
    angles = jnp.linspace(0.0, 2.0 * jnp.pi, n_angles, endpoint=False)
    return jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1)


def steepest_ascent_direction(f, x: jax.Array) -> jax.Array:
    """The unit vector v maximizing D_v f(x): grad f(x) / |grad f(x)|. x: (n,) -> (n,)."""
    grad = jax.grad(f)(x)
    return grad / jnp.linalg.norm(grad)


def directional_derivative_sweep(f, x: jax.Array, directions: jax.Array) -> jax.Array:
    """D_v f(x) for every row v of directions: (k, n) -> (k,), one JVP per direction."""
    return jax.vmap(lambda v: directional_derivative(f, x, v))(directions)
