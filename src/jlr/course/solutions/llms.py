"""Reference solutions to lesson 09's exercises (``exercises/09_llms.py``).

Where the library computes what an exercise asks for, the solution calls it, adapting only
the signature: the concept is written once, in the module named for it, and tested there
against its oracle: `jlr.text.bpe.merge_pair` (the merge), `jlr.nn.causal_lm` (shifted
targets, the masked mean, perplexity, bits per character), `jlr.text.sample_metrics`
(distinct-n) and `jlr.alignment.dpo` (the DPO loss). The rest is written out.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import jax
import jax.numpy as jnp

from jlr.alignment import dpo
from jlr.nn.causal_lm import bits_per_char, masked_mean_nats, perplexity, shift_targets
from jlr.text import sample_metrics
from jlr.text.bpe import merge_pair

# -- Subword tokenization (BPE / WordPiece) ---------------------------------------------------


def bpe_merge_step(
    words: list[list[int]], counts: list[int], new_id: int
) -> tuple[tuple[int, int], list[list[int]]]:
    """The most frequent pair (ties: the smallest), merged left to right in every word."""
    pair_counts: Counter[tuple[int, int]] = Counter()
    for word, count in zip(words, counts, strict=True):
        for pair in pairwise(word):
            pair_counts[pair] += count
    best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
    return best, [merge_pair(list(word), best, new_id) for word in words]


# -- Causal language modeling objective -------------------------------------------------------


def causal_lm_loss(logits: jax.Array, ids: jax.Array, mask: jax.Array) -> jax.Array:
    """Mean -log p(ids[:, t+1] | ids[:, :t+1]) over the real targets (`jlr.nn.causal_lm`)."""
    _, targets = shift_targets(ids)  # (batch, seq - 1)
    _, target_is_real = shift_targets(mask)  # (batch, seq - 1)
    return masked_mean_nats(logits[:, :-1], targets, target_is_real.astype(jnp.float32))


# -- Scaling laws -----------------------------------------------------------------------------


def fit_power_law(n_params: jax.Array, losses: jax.Array, offset: float) -> tuple:
    """Least squares of log(L - c) on log N: slope -alpha, intercept log a."""
    x = jnp.log(jnp.asarray(n_params, jnp.float32))
    y = jnp.log(jnp.asarray(losses, jnp.float32) - offset)
    x_centered = x - x.mean()
    slope = jnp.sum(x_centered * (y - y.mean())) / jnp.sum(x_centered**2)
    intercept = y.mean() - slope * x.mean()
    return jnp.exp(intercept), -slope


# -- Training dynamics at scale ---------------------------------------------------------------


def _flat(layer) -> jax.Array:
    return jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree.leaves(layer)])


def update_ratios(old_layers: list, new_layers: list) -> jax.Array:
    """||theta_l' - theta_l|| / ||theta_l|| per layer, over the layer's entries together."""
    return jnp.stack(
        [
            jnp.linalg.norm(_flat(new) - _flat(old)) / jnp.linalg.norm(_flat(old))
            for old, new in zip(old_layers, new_layers, strict=True)
        ]
    )


# -- Evaluation metrics (perplexity) ----------------------------------------------------------


def perplexities(token_nll: jax.Array, mask: jax.Array, n_chars: int) -> tuple:
    """exp of the nats per token and per character, and the bits per character."""
    total = jnp.sum(jnp.where(mask, token_nll, 0.0))
    n_tokens = jnp.sum(mask)
    return perplexity(total / n_tokens), perplexity(total / n_chars), bits_per_char(total, n_chars)


# -- Limitations of likelihood-based evaluation -----------------------------------------------


def distinct_n(samples: list[list[int]], n: int) -> float:
    """Different n-grams / all n-grams, n-grams inside one sample (`jlr.text.sample_metrics`)."""
    return sample_metrics.distinct_n(samples, n)


# -- Alignment overview (RLHF basics) ---------------------------------------------------------


def dpo_loss(
    policy_chosen: jax.Array,
    policy_rejected: jax.Array,
    ref_chosen: jax.Array,
    ref_rejected: jax.Array,
    beta: float,
) -> jax.Array:
    """mean -log sigmoid(beta [(pc - rc) - (pr - rr)]) (`jlr.alignment.dpo.dpo_loss`)."""
    return dpo.dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
