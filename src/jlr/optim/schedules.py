"""Learning-rate schedules: functions `step -> learning rate`, optax's shape."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0):
    """lr(t) = init * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha)."""

    def schedule(step: jax.Array) -> jax.Array:
        progress = jnp.minimum(step, decay_steps) / decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(jnp.pi * progress))
        return init_value * ((1.0 - alpha) * cosine + alpha)

    return schedule
