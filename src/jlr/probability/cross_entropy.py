r"""Cross-entropy loss, computed stably from logits: the one definition in JLR.

H(p, q) = -sum_k p_k log q_k = H(p) + KL(p || q), with q = softmax(z). The stable route never
forms q: log softmax(z)_k = z_k - m - log sum_j exp(z_j - m), m = max_j z_j, so every exponent
is <= 0 and logits of 1e4 neither overflow exp nor produce log 0.

Two forms, both per example (a batch mean is `jnp.mean(...)` at the call site):
  softmax_cross_entropy(logits, labels)   integer labels y: -log softmax(z)_y   (optax's
                                          `softmax_cross_entropy_with_integer_labels`)
  cross_entropy(logits, target_probs)     soft targets p: -sum_k p_k log softmax(z)_k   (optax's
                                          `softmax_cross_entropy`)
`naive_softmax_cross_entropy` is the textbook formula that overflows, kept to show why.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("axis",))
def logsumexp(logits: jax.Array, axis: int = -1) -> jax.Array:
    r"""log sum_k exp(z_k) = m + log sum_k exp(z_k - m), m = max z (stop_gradient: m cancels).

    logits: (..., n_classes) -> (...).
    """
    m = jax.lax.stop_gradient(jnp.max(logits, axis=axis, keepdims=True))
    return jnp.squeeze(m, axis) + jnp.log(jnp.sum(jnp.exp(logits - m), axis=axis))


@partial(jax.jit, static_argnames=("axis",))
def log_softmax(logits: jax.Array, axis: int = -1) -> jax.Array:
    """log softmax(z)_k = z_k - logsumexp(z). (..., n_classes) -> (..., n_classes)."""
    return logits - jnp.expand_dims(logsumexp(logits, axis), axis)


@jax.jit
def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""Per-example loss -log softmax(z)_y = logsumexp(z) - z_y, for integer labels y.

    logits: (..., n_classes), labels: (...) ints -> (...). One example is logits
    (n_classes,), label () -> (); `jnp.mean` of a batch's losses is the usual training loss.
    """
    labels = jnp.asarray(labels)[..., None]  # (..., 1), the index of each example's label
    label_logits = jnp.take_along_axis(logits, labels, axis=-1)[..., 0]  # z_y: (...)
    return logsumexp(logits) - label_logits


@jax.jit
def cross_entropy(logits: jax.Array, target_probs: jax.Array) -> jax.Array:
    r"""H(p, softmax(z)) = -sum_k p_k log softmax(z)_k, for target distributions p.

    logits, target_probs: (..., n_classes) -> (...). With one-hot p it equals
    `softmax_cross_entropy` at the hot label.
    """
    return -jnp.sum(target_probs * log_softmax(logits), axis=-1)


@jax.jit
def naive_softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """-log(exp(z_y) / sum_k exp(z_k)): the textbook formula, which overflows (kept to show why).

    Same signature as `softmax_cross_entropy`; logits of 1e2 in float32 already give inf/inf.
    """
    probs = jnp.exp(logits) / jnp.sum(jnp.exp(logits), axis=-1, keepdims=True)
    labels = jnp.asarray(labels)[..., None]
    return -jnp.log(jnp.take_along_axis(probs, labels, axis=-1)[..., 0])
