"""The causal LM objective: shifted targets, masks, nats/bits, per token and per character.

Oracles: a numpy loop over positions (float64 log-softmax), the closed form of a uniform
model (ln V nats per token), and the causal model itself scored on the unpadded prefix.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.models.transformer import TransformerConfig, init_transformer, lm_loss
from jlr.nn.causal_lm import (
    bits_per_char,
    causal_lm_loss,
    lm_summary,
    masked_mean_nats,
    nats_to_bits,
    perplexity,
    shift_targets,
    target_weights,
    total_nats,
)

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

VOCAB = 7
PAD = 0  # real tokens are 1 .. VOCAB - 1


def numpy_loss(logits: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> float:
    """sum w_t (-log softmax(z_t)[y_t]) / sum w_t, one position at a time, in float64."""
    total, count = 0.0, 0.0
    for b in range(targets.shape[0]):
        for t in range(targets.shape[1]):
            z = logits[b, t].astype(np.float64)
            log_probs = z - z.max() - np.log(np.sum(np.exp(z - z.max())))
            total += weights[b, t] * -log_probs[targets[b, t]]
            count += weights[b, t]
    return total / count


def bigram_logits_fn(table):
    """A causal model whose logits at t depend on inputs[t] only: logits = table[inputs]."""
    return lambda inputs: table[inputs]  # (..., seq) -> (..., seq, vocab)


def test_shift_targets_pairs_each_token_with_the_next():
    ids = jnp.array([[5, 1, 4, 2, 3]])
    inputs, targets = shift_targets(ids)
    np.testing.assert_array_equal(inputs, [[5, 1, 4, 2]])
    np.testing.assert_array_equal(targets, [[1, 4, 2, 3]])


def test_target_weights_drop_padding_and_everything_after_the_first_eos():
    targets = jnp.array([[3, 6, 2, 6, 0, 0], [1, 2, 3, 4, 5, 1]])
    np.testing.assert_array_equal(target_weights(targets, pad_id=0), [[1, 1, 1, 1, 0, 0], [1] * 6])
    weights = target_weights(targets, pad_id=0, eos_id=6)  # the first EOS counts, later ones not
    np.testing.assert_array_equal(weights, [[1, 1, 0, 0, 0, 0], [1] * 6])


def test_masked_mean_equals_a_numpy_loop(key):
    logits_key, targets_key, weights_key = jax.random.split(key, 3)
    logits = 3.0 * jax.random.normal(logits_key, (3, 5, VOCAB))
    targets = jax.random.randint(targets_key, (3, 5), 0, VOCAB)
    weights = jax.random.bernoulli(weights_key, 0.6, (3, 5)).astype(jnp.float32).at[0, 0].set(1.0)
    expected = numpy_loss(np.asarray(logits), np.asarray(targets), np.asarray(weights))
    np.testing.assert_allclose(masked_mean_nats(logits, targets, weights), expected, rtol=1e-5)
    ones = np.ones((3, 5))
    plain = numpy_loss(np.asarray(logits), np.asarray(targets), ones)
    np.testing.assert_allclose(masked_mean_nats(logits, targets), plain, rtol=1e-5)
    np.testing.assert_allclose(total_nats(logits, targets, weights), expected * weights.sum(),
                               rtol=1e-5)  # fmt: skip


TABLE = 2.0 * jax.random.normal(jax.random.key(1), (VOCAB, VOCAB))


@settings(max_examples=25, deadline=None)
@given(
    tokens=st.lists(st.integers(1, VOCAB - 1), min_size=2, max_size=10),
    n_pads=st.integers(1, 6),
)
def test_appending_pads_never_changes_the_loss(tokens, n_pads):
    logits_fn = bigram_logits_fn(TABLE)
    ids = jnp.array([tokens])
    padded = jnp.array([tokens + [PAD] * n_pads])
    plain = causal_lm_loss(logits_fn, ids)
    with_pads = causal_lm_loss(logits_fn, padded, pad_id=PAD)
    inputs, targets = np.array(tokens[:-1])[None], np.array(tokens[1:])[None]
    expected = numpy_loss(np.asarray(TABLE)[inputs], targets, np.ones(targets.shape))
    np.testing.assert_allclose(plain, expected, rtol=1e-5)
    np.testing.assert_allclose(with_pads, expected, rtol=1e-5)
    unmasked = causal_lm_loss(logits_fn, padded)  # the bug the mask prevents: pads scored
    assert abs(float(unmasked) - expected) > 1e-4


def test_lm_loss_mask_equals_the_loss_of_the_unpadded_prefix(key):
    """The transformer is causal, so masking the last 3 targets equals scoring the first 5."""
    config = TransformerConfig(vocab_size=VOCAB, block_size=8, n_layer=1, n_head=2, n_embd=8)
    init_key, ids_key = jax.random.split(key)
    params = init_transformer(init_key, config)
    ids = jax.random.randint(ids_key, (2, 9), 1, VOCAB)
    inputs, targets = shift_targets(ids)
    mask = jnp.ones((2, 8)).at[:, 5:].set(0.0)
    with jax.default_matmul_precision("highest"):
        masked = lm_loss(params, inputs, targets, config, mask=mask)
        prefix = lm_loss(params, inputs[:, :5], targets[:, :5], config)
        plain = lm_loss(params, inputs, targets, config)
        all_ones = lm_loss(params, inputs, targets, config, mask=jnp.ones((2, 8)))
    np.testing.assert_allclose(masked, prefix, rtol=1e-5)
    np.testing.assert_allclose(all_ones, plain, rtol=1e-6)


def test_a_uniform_model_scores_log_vocab_nats_and_log2_vocab_bits():
    vocab, n_tokens, n_chars = 50, 40, 130
    logits = jnp.zeros((1, n_tokens, vocab))
    targets = jnp.arange(n_tokens)[None] % vocab
    nats = masked_mean_nats(logits, targets)
    np.testing.assert_allclose(nats, math.log(vocab), rtol=1e-6)
    np.testing.assert_allclose(nats_to_bits(nats), math.log2(vocab), rtol=1e-6)
    total = total_nats(logits, targets)
    expected_bpc = math.log2(vocab) * n_tokens / n_chars  # bits per token x tokens per char
    np.testing.assert_allclose(bits_per_char(float(total), n_chars), expected_bpc, rtol=1e-6)
    np.testing.assert_allclose(perplexity(nats), vocab, rtol=1e-5)


@settings(max_examples=50, deadline=None)
@given(
    total=st.floats(0.0, 500.0),  # exp(500) still fits a float
    n_tokens=st.integers(1, 10_000),
    n_chars=st.integers(1, 40_000),
)
def test_per_char_and_per_token_units_agree(total, n_tokens, n_chars):
    summary = lm_summary(total, n_tokens, n_chars)
    assert summary["bits_per_token"] == pytest.approx(total / n_tokens / np.log(2), rel=1e-12)
    assert summary["bits_per_char"] == pytest.approx(total / n_chars / np.log(2), rel=1e-12)
    # bits per char = bits per token x tokens per char
    assert summary["bits_per_char"] == pytest.approx(
        summary["bits_per_token"] * n_tokens / n_chars, rel=1e-12, abs=1e-300
    )
    # ppl_char = ppl_token ** (n_tokens / n_chars), compared in log space (no overflow)
    assert math.log(summary["ppl_char"]) == pytest.approx(
        math.log(summary["ppl_token"]) * n_tokens / n_chars, rel=1e-9, abs=1e-12
    )
    assert summary["chars_per_token"] == n_chars / n_tokens


def test_lm_summary_refuses_empty_counts():
    with pytest.raises(ValueError, match="n_tokens"):
        lm_summary(1.0, 0, 5)
