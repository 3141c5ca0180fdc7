"""Dropout (Srivastava et al. 2014): zero each unit with probability drop_prob in training.

y = x * m / (1 - drop_prob),  m_i ~ Bernoulli(1 - drop_prob), so E[y] = x and evaluation
(key=None) is the identity.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def dropout(x: jax.Array, drop_prob: float, *, key: jax.Array | None) -> jax.Array:
    """x: any shape -> same shape. key=None (or drop_prob=0) means evaluation: no dropout."""
    if key is None or drop_prob == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - drop_prob, x.shape)
    return jnp.where(keep, x / (1.0 - drop_prob), 0.0)
