r"""The causal language-modeling objective: next-token cross-entropy, its units and perplexity.

A causal LM reads a token sequence ids_0 .. ids_T and at every position t predicts the next
token. Training pairs are the sequence shifted by one (nanoGPT's x = text[i:i+T],
y = text[i+1:i+T+1]):

    inputs  = ids[:, :-1],   targets = ids[:, 1:]              (batch, seq + 1) -> (batch, seq)
    loss    = sum_t w_t * (-log p(targets_t | inputs_0..t)) / sum_t w_t      nats per token

with weights w_t = 0 on positions that are not real text: padding (a target equal to the pad
id) and, optionally, everything after the first end-of-sequence token. Padding therefore
never changes the loss; a plain mean over a padded batch would.

Units. One nat is log_e; one bit is log_2, so bits = nats / ln 2. Per token is not
comparable across tokenizers: a subword token carries several characters. Dividing the
total over a text by the number of characters (or UTF-8 bytes) the predicted tokens encode,

    bits per character = total_nats / (n_chars * ln 2)

gives a rate that is, so a character model and a BPE model can be compared on the same text.

Perplexity is exp of the mean loss: ppl_token = exp(total_nats / n_tokens), the number of
equally likely tokens the model is as unsure as; per character ppl_char = exp(total_nats /
n_chars) = ppl_token ** (n_tokens / n_chars).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jlr.probability.cross_entropy import softmax_cross_entropy

LN2 = math.log(2.0)


def shift_targets(ids: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ids (..., seq + 1) -> inputs, targets (..., seq): inputs = ids[..., :-1], targets =
    ids[..., 1:], so targets[..., t] is the token after inputs[..., t]."""
    return ids[..., :-1], ids[..., 1:]


def target_weights(
    targets: jax.Array, *, pad_id: int | None = None, eos_id: int | None = None
) -> jax.Array:
    """1.0 for targets that are real text, 0.0 for the rest: targets (..., seq) -> (..., seq).

    pad_id: a target equal to it weighs 0 (padding appended to a short sequence).
    eos_id: the first end-of-sequence target is predicted (weight 1: the model must learn to
    stop); every target after it weighs 0, whatever it is.
    """
    weights = jnp.ones(targets.shape, jnp.float32)
    if pad_id is not None:
        weights = jnp.where(targets == pad_id, 0.0, weights)
    if eos_id is not None:
        is_eos = (targets == eos_id).astype(jnp.int32)
        seen_before = jnp.cumsum(is_eos, axis=-1) - is_eos  # EOS targets strictly earlier
        weights = jnp.where(seen_before > 0, 0.0, weights)
    return weights


def token_nats(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """-log p(target) per position: logits (..., seq, vocab), targets (..., seq) -> (..., seq)."""
    return softmax_cross_entropy(logits, targets)


def total_nats(
    logits: jax.Array, targets: jax.Array, weights: jax.Array | None = None
) -> jax.Array:
    """sum_t w_t * (-log p(targets_t)): logits (..., seq, vocab), targets, weights (..., seq)
    -> (). weights None counts every position."""
    nats = token_nats(logits, targets)  # (..., seq)
    return jnp.sum(nats if weights is None else weights * nats)


def masked_mean_nats(
    logits: jax.Array, targets: jax.Array, weights: jax.Array | None = None
) -> jax.Array:
    """The loss in nats per real token, sum_t w_t l_t / sum_t w_t: (..., seq, vocab), (..., seq)
    -> (). weights None is the plain mean. All weights 0 gives 0 (there is nothing to score)."""
    if weights is None:
        return jnp.mean(token_nats(logits, targets))
    return total_nats(logits, targets, weights) / jnp.maximum(jnp.sum(weights), 1.0)


def causal_lm_loss(
    logits_fn, ids: jax.Array, *, pad_id: int | None = None, eos_id: int | None = None
) -> jax.Array:
    """The objective from one token array: shift, score, mask, mean. -> () nats per token.

    logits_fn: inputs (..., seq) -> logits (..., seq, vocab), e.g. `lambda x: transformer(
    params, x, config)`; ids (..., seq + 1); pad_id, eos_id as in `target_weights`.
    """
    inputs, targets = shift_targets(ids)
    weights = target_weights(targets, pad_id=pad_id, eos_id=eos_id)
    return masked_mean_nats(logits_fn(inputs), targets, weights)


def nats_to_bits(nats):
    """bits = nats / ln 2 (log_2 x = ln x / ln 2)."""
    return nats / LN2


def bits_per_char(total: float, n_chars: int):
    """total nats over a text -> bits per character (or per byte, given the byte count):
    total / (n_chars ln 2)."""
    return total / (n_chars * LN2)


def perplexity(mean_nats):
    """exp(mean loss in nats): per token given nats per token, per character given nats per
    character."""
    return math.exp(mean_nats) if isinstance(mean_nats, int | float) else jnp.exp(mean_nats)


def lm_summary(total: float, n_tokens: int, n_chars: int) -> dict[str, float]:
    """Every unit of one evaluation, from its total nats, scored tokens and the characters
    (or bytes) those tokens encode:

    {"nats_per_token", "bits_per_token", "ppl_token", "nats_per_char", "bits_per_char",
     "ppl_char", "n_tokens", "n_chars", "chars_per_token"}; ppl_char = ppl_token **
    (n_tokens / n_chars).
    """
    total = float(total)
    if n_tokens < 1 or n_chars < 1:
        raise ValueError(f"need n_tokens, n_chars >= 1, got {n_tokens}, {n_chars}")
    per_token, per_char = total / n_tokens, total / n_chars
    return {
        "nats_per_token": per_token,
        "bits_per_token": nats_to_bits(per_token),
        "ppl_token": math.exp(per_token),
        "nats_per_char": per_char,
        "bits_per_char": bits_per_char(total, n_chars),
        "ppl_char": math.exp(per_char),
        "n_tokens": int(n_tokens),
        "n_chars": int(n_chars),
        "chars_per_token": n_chars / n_tokens,
    }
