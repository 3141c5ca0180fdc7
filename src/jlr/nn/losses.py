"""Classification losses computed from logits, stable for any finite logits.

Cross-entropy has one definition, `jlr.probability.cross_entropy.softmax_cross_entropy`
(logits (..., n_classes), integer labels (...) -> per-example losses (...)); it is re-exported
here so that a model's code finds its loss next to its layers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.probability.cross_entropy import softmax_cross_entropy

__all__ = ["accuracy", "softmax_cross_entropy"]


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of rows whose argmax is the label.  logits: (batch, n_classes) -> ()."""
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
