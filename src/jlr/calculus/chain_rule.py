"""The total derivative and the multivariable chain rule.

The total derivative of f: R^n -> R^m at x is the linear map dx -> J_f(x) dx that best
approximates f(x + dx) - f(x). Composing maps composes these linear maps:
    J_{f o g}(x) = J_f(g(x)) J_g(x)      (m, k) = (m, n) (n, k)
and, applied to one tangent v, the chain rule is a forward pass of tangents:
    d(f o g)(x) v = J_f(g(x)) (J_g(x) v),
which is exactly how `jax.jvp` propagates through a program.
"""

from __future__ import annotations

import jax


def compose(f, g):
    """The composition f o g: x -> f(g(x))."""
    return lambda x: f(g(x))


def chain_rule_jacobian(f, g, x: jax.Array) -> jax.Array:
    """J_f(g(x)) @ J_g(x): the Jacobian of f o g as a product of the two Jacobians.

    x: (k,), g: R^k -> R^n, f: R^n -> R^m -> (m, k).
    """
    return jax.jacfwd(f)(g(x)) @ jax.jacfwd(g)(x)  # (m, n) @ (n, k) -> (m, k)


def chain_rule_jvp(f, g, x: jax.Array, v: jax.Array) -> jax.Array:
    """d(f o g)(x) v, pushing the tangent v through g and then through f.

    x, v: (k,) -> (m,).
    """
    g_x, g_tangent = jax.jvp(g, (x,), (v,))  # (n,), (n,)
    _, f_tangent = jax.jvp(f, (g_x,), (g_tangent,))
    return f_tangent
