"""Token embeddings: a table of vocab trainable vectors, one per token id.

    embed:    x[t] = E[ids[t]]                 (one_hot(ids) E, without the one-hot matmul)
    unembed:  logits[t] = h[t] E^T             (tied output layer: the same table E)

E: (vocab, d_model). Looking up row ids[t] is the product of a one-hot row with E, so the
gradient of the table is the one-hot transpose times the upstream gradient: each row
collects the gradients of the positions where its token occurs, and rows of tokens absent
from the batch get zero. A language model may reuse E as its output layer (weight tying,
Press & Wolf 2017): logits h E^T score each token by the dot product of the final hidden
state with that token's embedding, which saves vocab * d_model parameters and lets every
output gradient train the input embedding too.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def init_embedding(
    key: jax.Array, vocab: int, d_model: int, std: float | None = None
) -> dict[str, jax.Array]:
    """{"table": (vocab, d_model)}, entries ~ N(0, std^2), std = 1 / sqrt(d_model) by default.

    The default gives each embedding a norm near 1 and, used tied as the output layer on
    unit-variance hidden states, logits of variance near 1 (flax's nn.Embed draws the same
    variance from a truncated normal; GPT-2 uses std = 0.02).
    """
    std = 1.0 / math.sqrt(d_model) if std is None else std
    return {"table": std * jax.random.normal(key, (vocab, d_model))}


def embed(params: dict[str, jax.Array], ids: jax.Array) -> jax.Array:
    """ids: (...) ints in [0, vocab) -> (..., d_model), x[...] = table[ids[...]].

    An id >= vocab has no row and gives a row of NaN rather than a silent clamp to the last
    row (jnp.take's "fill" mode); negative ids count from the end, as in numpy.
    """
    return jnp.take(params["table"], ids, axis=0, mode="fill")  # (..., d_model)


def unembed(params: dict[str, jax.Array], h: jax.Array) -> jax.Array:
    """Tied logits: h: (..., d_model) -> (..., vocab), logits = h E^T with the embedding table.

    logits[..., v] = h[...] . table[v]: the score of token v is its embedding's dot product
    with the hidden state. The token axes are flattened into one first (a free reshape): the
    gradient of the table then contracts a single axis, which XLA:CPU computes without
    copying the (..., vocab) gradient into a transposed layout (see `jlr.nn.linear`).
    """
    *lead, d_model = h.shape
    tokens = h.reshape(-1, d_model)  # (n_tokens, d_model)
    logits = jnp.einsum("td,vd->tv", tokens, params["table"])  # (n_tokens, vocab)
    return logits.reshape(*lead, params["table"].shape[0])  # (..., vocab)
