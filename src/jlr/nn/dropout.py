"""Dropout (Srivastava et al. 2014): zero each unit with probability drop_prob in training.

y = x * m / (1 - drop_prob),  m_i ~ Bernoulli(1 - drop_prob), so E[y] = x and evaluation
(key=None) is the identity. This is "inverted" dropout: the training-time division by the
keep probability is what lets evaluation skip any rescaling.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def dropout(x: jax.Array, drop_prob: float | jax.Array, *, key: jax.Array | None) -> jax.Array:
    """x: any shape -> same shape. key=None (or drop_prob=0) means evaluation: no dropout.

    drop_prob may be a traced array (a sweep vmaps over it); drop_prob = 1 drops everything,
    with zero (not NaN) gradients.
    """
    if not isinstance(drop_prob, jax.Array) and not 0.0 <= drop_prob <= 1.0:
        raise ValueError(f"drop_prob must be in [0, 1], got {drop_prob}")
    if key is None or (not isinstance(drop_prob, jax.Array) and drop_prob == 0.0):
        return x
    keep_prob = 1.0 - drop_prob
    keep = jax.random.bernoulli(key, keep_prob, x.shape)
    # keep_prob = 0 keeps nothing: dividing by 1 instead spares the gradient a 0 * inf = NaN
    safe_keep_prob = jnp.where(keep_prob > 0, keep_prob, 1.0).astype(x.dtype)
    return jnp.where(keep, x / safe_keep_prob, 0.0)
