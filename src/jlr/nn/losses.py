"""Classification losses computed from logits, stable for any finite logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def softmax_cross_entropy(logits: jax.Array, label: jax.Array) -> jax.Array:
    r"""-log softmax(z)_y = logsumexp(z) - z_y, for one example.

    logits: (n_classes,); label: () int -> ()
    Uses log_softmax (which subtracts max z) so logits of +-1e4 give no NaN or Inf.
    """
    return -jax.nn.log_softmax(logits)[label]


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of rows whose argmax is the label.  logits: (batch, n_classes) -> ()."""
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
