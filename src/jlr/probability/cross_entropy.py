r"""Cross-entropy loss, computed stably from logits.

H(p, q) = -sum_k p_k log q_k = H(p) + KL(p || q), with q = softmax(z). The stable route never
forms q: log softmax(z)_k = z_k - m - log sum_j exp(z_j - m), m = max_j z_j, so every exponent
is <= 0 and logits of 1e4 neither overflow exp nor produce log 0.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("axis",))
def logsumexp(logits: jax.Array, axis: int = -1) -> jax.Array:
    r"""log sum_k exp(z_k) = m + log sum_k exp(z_k - m), m = max z (stop_gradient: m cancels).

    logits: (..., K) -> (...).
    """
    m = jax.lax.stop_gradient(jnp.max(logits, axis=axis, keepdims=True))
    return jnp.squeeze(m, axis) + jnp.log(jnp.sum(jnp.exp(logits - m), axis=axis))


@partial(jax.jit, static_argnames=("axis",))
def log_softmax(logits: jax.Array, axis: int = -1) -> jax.Array:
    """log softmax(z)_k = z_k - logsumexp(z). (..., K) -> (..., K)."""
    return logits - jnp.expand_dims(logsumexp(logits, axis), axis)


@jax.jit
def naive_softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """-sum p log(exp(z) / sum exp(z)): the textbook formula that overflows (kept to show why)."""
    probs = jnp.exp(logits) / jnp.sum(jnp.exp(logits), axis=-1, keepdims=True)
    return -jnp.sum(labels * jnp.log(probs), axis=-1)


@jax.jit
def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""-sum_k p_k log softmax(z)_k. logits, labels (probabilities): (..., K) -> (...)."""
    return -jnp.sum(labels * log_softmax(logits), axis=-1)


@jax.jit
def softmax_cross_entropy_with_integer_labels(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""-log softmax(z)_y = logsumexp(z) - z_y. logits: (..., K), labels: (...) ints -> (...)."""
    label_logits = jnp.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    return logsumexp(logits) - label_logits


@jax.jit
def sigmoid_binary_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""-y log sigma(z) - (1 - y) log sigma(-z) = max(z, 0) - z y + log(1 + exp(-|z|)).

    Elementwise; labels in [0, 1].
    """
    return jnp.maximum(logits, 0.0) - logits * labels + jnp.log1p(jnp.exp(-jnp.abs(logits)))
