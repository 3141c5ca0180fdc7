"""Level sets {x : f(x) = c} of a scalar field, and why the gradient is normal to them.

If a curve x(t) stays on a level set, f(x(t)) = c, the chain rule gives
grad f(x(t)) . x'(t) = 0: every tangent of the level set is orthogonal to the gradient.
This module traces a level curve of f: R^2 -> R by predictor-corrector continuation
(step along the tangent, then Newton back onto the curve; Allgower & Georg 1990,
"Numerical Continuation Methods") and measures that orthogonality.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def project_to_level_set(f, x: jax.Array, level: float, n_steps: int = 8) -> jax.Array:
    r"""Move x onto {f = level} along the gradient, by Newton's method on f(x) - level = 0.

    x <- x - (f(x) - c) g / |g|^2,  g = grad f(x)   (the smallest step that zeroes the
    linearization f(x) + g . dx = c). x: (n,) -> (n,).
    """

    def newton_step(x, _):
        value, grad = jax.value_and_grad(f)(x)
        return x - (value - level) * grad / (grad @ grad), None

    x, _ = jax.lax.scan(newton_step, x, None, length=n_steps)
    return x


def level_set_tangent(f, x: jax.Array) -> jax.Array:
    """Unit tangent of the level curve of f: R^2 -> R through x: the gradient turned by +90 deg.

    x: (2,) -> (2,). Undefined where grad f(x) = 0 (a critical point).
    """
    grad = jax.grad(f)(x)
    tangent = jnp.stack([-grad[1], grad[0]])
    return tangent / jnp.linalg.norm(tangent)


def trace_level_set(f, x0: jax.Array, step_size: float, n_steps: int) -> jax.Array:
    """Points along the level curve of f: R^2 -> R through x0, by predictor-corrector steps.

    x_{k+1} = project(x_k + step_size * tangent(x_k)) onto {f = f(x0)}.
    x0: (2,) -> (n_steps + 1, 2), the first row x0.
    """
    level = f(x0)

    def step(x, _):
        x_next = project_to_level_set(f, x + step_size * level_set_tangent(f, x), level)
        return x_next, x_next

    _, path = jax.lax.scan(step, x0, None, length=n_steps)
    return jnp.concatenate([x0[None], path])


def gradient_level_set_cosines(f, points: jax.Array) -> jax.Array:
    """|cos| of the angle between each chord of a polyline and grad f at the chord's midpoint.

    Near 0 when the points lie on one level set and are close together (the chord is then
    nearly a tangent). points: (k, n) -> (k - 1,).
    """
    chords = points[1:] - points[:-1]  # (k - 1, n)
    grads = jax.vmap(jax.grad(f))(0.5 * (points[1:] + points[:-1]))  # (k - 1, n)
    dots = jnp.sum(chords * grads, axis=-1)
    return jnp.abs(dots) / (jnp.linalg.norm(chords, axis=-1) * jnp.linalg.norm(grads, axis=-1))
