"""Classic 2-D test landscapes for optimizers; each takes one point p = (x, y): (2,) -> ().

rosenbrock  (a - x)^2 + b (y - x^2)^2              one minimum (a, a^2) in a curved flat valley
himmelblau  (x^2 + y - 11)^2 + (x + y^2 - 7)^2     four minima, value 0
rastrigin   2 A + sum_i (p_i^2 - A cos(2 pi p_i))  global minimum 0 at the origin, a grid of
                                                  local minima around it
saddle      x^2 / 2 + y^4 / 4 - y^2 / 2            strict saddle at the origin (H = diag(1, -1)),
                                                  minima (0, +-1) with value -1/4
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def rosenbrock(p: jax.Array, a: float = 1.0, b: float = 100.0) -> jax.Array:
    x, y = p
    return (a - x) ** 2 + b * (y - x**2) ** 2


def himmelblau(p: jax.Array) -> jax.Array:
    x, y = p
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def rastrigin(p: jax.Array, amplitude: float = 10.0) -> jax.Array:
    return amplitude * p.shape[0] + jnp.sum(p**2 - amplitude * jnp.cos(2 * jnp.pi * p))


def saddle(p: jax.Array) -> jax.Array:
    x, y = p
    return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2


# The known global minimizers, for tests and for marking the contour plots.
HIMMELBLAU_MINIMA = jnp.array(
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
)
LANDSCAPES = {
    "rosenbrock": (rosenbrock, jnp.array([[1.0, 1.0]])),
    "himmelblau": (himmelblau, HIMMELBLAU_MINIMA),
    "rastrigin": (rastrigin, jnp.array([[0.0, 0.0]])),
    "saddle": (saddle, jnp.array([[0.0, 1.0], [0.0, -1.0]])),
}
