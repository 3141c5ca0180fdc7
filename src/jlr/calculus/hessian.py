"""Second derivatives: the Hessian matrix and Hessian-vector products.

For f: R^n -> R, H_ij = d^2 f / dx_i dx_j, symmetric when f is C^2 (Schwarz's theorem).
H is the Jacobian of the gradient, so it can be built forward-over-reverse: reverse mode
for grad f (one pass for all n partials), forward mode on top (n JVPs, one per column).
A Hessian-vector product H v is the directional derivative of the gradient along v,
    H v = d/dt grad f(x + t v) at t = 0 = jvp(grad f, x, v),
which costs a small constant times one gradient and never forms the n x n matrix
(Pearlmutter 1994, "Fast exact multiplication by the Hessian").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def hvp(f, x: jax.Array, v: jax.Array) -> jax.Array:
    """H_f(x) v forward-over-reverse: a JVP of grad f. x, v: (n,) -> (n,)."""
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def hvp_reverse_over_reverse(f, x: jax.Array, v: jax.Array) -> jax.Array:
    """H_f(x) v reverse-over-reverse: the gradient of x -> grad f(x) . v (as H = H^T).

    x, v: (n,) -> (n,).
    """
    return jax.grad(lambda y: jax.grad(f)(y) @ v)(x)


def hessian_fwd_over_rev(f, x: jax.Array) -> jax.Array:
    """The full Hessian, column j = H e_j = hvp(f, x, e_j): n HVPs. x: (n,) -> (n, n)."""
    basis = jnp.eye(x.shape[0], dtype=x.dtype)
    return jax.vmap(lambda e_j: hvp(f, x, e_j))(basis).T  # (n, n); .T is a no-op when H = H^T


def directional_curvature(f, x: jax.Array, v: jax.Array) -> jax.Array:
    """v^T H v / v^T v: the second derivative of t -> f(x + t v / |v|) at t = 0.

    x, v: (n,) -> scalar.
    """
    return v @ hvp(f, x, v) / (v @ v)
