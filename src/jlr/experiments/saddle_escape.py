"""How long optimizers take to leave a strict saddle.

On f = x^2 / 2 + y^4 / 4 - y^2 / 2 (`jlr.calculus.functions.strict_saddle`) the origin is a
strict saddle: H = diag(1, -1). Started at (x0, y0) with y0 tiny, gradient descent's
y-coordinate grows like (1 + lr)^t y0, so it needs about log(1 / |y0|) / log(1 + lr) steps,
forever when y0 = 0 exactly (the stable manifold). Gradient noise kicks it off the manifold
(Ge et al. 2015; Jin et al. 2017). Adam divides each coordinate by the RMS of its own
gradient, so the tiny y-gradient becomes a full-sized step and it escapes in a few dozen steps
whatever y0 is.

Run by lesson 04 (`lessons/04_optimization.py`), section 8, "Saddle points and flat minima".
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.calculus.functions import strict_saddle
from jlr.optim.base import GradientTransformation
from jlr.optim.trajectory import trajectory


def escape_step(points: jax.Array, radius: float = 0.5) -> jax.Array:
    """First t with |y_t| > radius (left the saddle's neighbourhood), or len(points) if never.

    points: (n_steps + 1, 2) -> int32 ()
    """
    escaped = jnp.abs(points[:, 1]) > radius
    return jnp.where(jnp.any(escaped), jnp.argmax(escaped), points.shape[0]).astype(jnp.int32)


def saddle_escape_steps(
    optimizer: GradientTransformation,
    start: jax.Array,
    n_steps: int,
    *,
    noise_std: float = 0.0,
    key: jax.Array | None = None,
) -> jax.Array:
    """Steps for the optimizer, from start (2,), to leave |y| <= 0.5 on the strict saddle."""
    points = trajectory(optimizer, strict_saddle, start, n_steps, noise_std=noise_std, key=key)
    return escape_step(points)


def gd_escape_estimate(y0: float, lr: float, radius: float = 0.5) -> float:
    """log(radius / |y0|) / log(1 + lr): GD's escape time from the linearized dynamics."""
    return float(jnp.log(radius / abs(y0)) / jnp.log1p(lr))
