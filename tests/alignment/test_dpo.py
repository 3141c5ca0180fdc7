"""Sequence log-probabilities against a loop over prefixes, and the DPO loss: ln 2 at
initialisation, its gradient against a hand-written version, finite differences and the
closed form."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.alignment.dpo import (
    dpo_loss,
    dpo_objective,
    make_dpo_step,
    pair_logprobs,
    sequence_logprob,
)
from jlr.alignment.preference import PreferencePairs
from jlr.models.transformer import TransformerConfig, init_transformer, transformer
from jlr.optim import adam

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

CONFIG = TransformerConfig(vocab_size=7, block_size=12, n_layer=1, n_head=2, n_embd=16)
SEQ = 8
# jitted once for the module: eager op-by-op dispatch of a transformer compiles every primitive
jit_transformer = jax.jit(transformer, static_argnames=("config",))
logprob = jax.jit(sequence_logprob, static_argnames=("config",))
logprobs_of_pairs = jax.jit(pair_logprobs, static_argnames=("config",))
objective_of = jax.jit(dpo_objective, static_argnames=("config",))


def random_pairs(key, n=6, seq=SEQ) -> PreferencePairs:
    """Random ids; prompts of 2..4 tokens, completions ending 0..2 tokens before seq (padding)."""
    w_key, l_key, p_key, e_key = jax.random.split(key, 4)
    prompt_end = jax.random.randint(p_key, (n, 1), 2, 5)
    end = seq - jax.random.randint(e_key, (n, 1), 0, 3)
    positions = jnp.arange(seq)[None, :]
    mask = ((positions >= prompt_end) & (positions < end)).astype(jnp.float32)  # (n, seq)
    chosen = jax.random.randint(w_key, (n, seq), 0, CONFIG.vocab_size)
    rejected = jax.random.randint(l_key, (n, seq), 0, CONFIG.vocab_size)
    return PreferencePairs(chosen, mask, rejected, mask[::-1])


@pytest.fixture(scope="module")
def policy_and_ref():
    ref = init_transformer(jax.random.key(0), CONFIG)
    noise = jax.tree.map(
        lambda p: 0.05 * jax.random.normal(jax.random.key(1), p.shape, p.dtype), ref
    )
    return jax.tree.map(jnp.add, ref, noise), ref


def logprob_by_prefix_loop(params, ids, mask):
    """Oracle: for every scored position t, run the model on ids[:, :t] alone and read the
    log-probability of ids[:, t] from its last logits."""
    total = np.zeros(ids.shape[0])
    for t in range(1, ids.shape[1]):
        last_logits = jit_transformer(params, ids[:, :t], config=CONFIG)[:, -1]  # (batch, vocab)
        log_probs = np.asarray(jax.nn.log_softmax(last_logits, axis=-1))
        total += np.asarray(mask[:, t]) * log_probs[np.arange(ids.shape[0]), np.asarray(ids[:, t])]
    return total


def test_sequence_logprob_equals_a_loop_over_prefixes(policy_and_ref):
    params, _ = policy_and_ref
    pairs = random_pairs(jax.random.key(2))
    got = logprob(params, pairs.chosen, pairs.chosen_mask, config=CONFIG)
    expected = logprob_by_prefix_loop(params, pairs.chosen, pairs.chosen_mask)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.all(np.asarray(got) < 0)


def test_pair_logprobs_is_two_sequence_logprobs(policy_and_ref):
    params, _ = policy_and_ref
    pairs = random_pairs(jax.random.key(3))
    chosen, rejected = logprobs_of_pairs(params, pairs, config=CONFIG)
    np.testing.assert_allclose(
        chosen, logprob(params, pairs.chosen, pairs.chosen_mask, config=CONFIG), rtol=1e-5
    )
    np.testing.assert_allclose(
        rejected, logprob(params, pairs.rejected, pairs.rejected_mask, config=CONFIG), rtol=1e-5
    )


@pytest.mark.parametrize("beta", [0.01, 0.1, 1.0, 30.0])
@pytest.mark.parametrize("seed", [4, 5])
def test_dpo_loss_at_initialisation_is_ln_2_for_any_batch(policy_and_ref, beta, seed):
    _, ref = policy_and_ref
    pairs = random_pairs(jax.random.key(seed))
    ref_chosen, ref_rejected = logprobs_of_pairs(ref, pairs, config=CONFIG)
    loss, metrics = objective_of(ref, pairs, ref_chosen, ref_rejected, beta=beta, config=CONFIG)
    assert float(loss) == pytest.approx(math.log(2), abs=1e-6)
    assert float(metrics["margin"]) == 0.0


def hand_written_dpo(params, ref, pairs, beta):
    """-mean log sigma(beta h) with h from the prefix-free formula log pi = sum mask log p."""

    def logp(model_params, ids, mask):
        logits = transformer(model_params, ids[:, :-1], CONFIG)
        log_probs = jax.nn.log_softmax(logits, axis=-1)
        picked = jnp.take_along_axis(log_probs, ids[:, 1:, None], axis=-1)[..., 0]
        return (picked * mask[:, 1:]).sum(-1)

    h = (
        logp(params, pairs.chosen, pairs.chosen_mask) - logp(ref, pairs.chosen, pairs.chosen_mask)
    ) - (
        logp(params, pairs.rejected, pairs.rejected_mask)
        - logp(ref, pairs.rejected, pairs.rejected_mask)
    )
    return -jnp.mean(jnp.log(jax.nn.sigmoid(beta * h)))


def test_dpo_gradient_matches_a_hand_written_loss_and_finite_differences(float64):
    ref = init_transformer(jax.random.key(0), CONFIG)
    params = jax.tree.map(lambda p: p + 0.05 * jnp.sin(jnp.arange(p.size).reshape(p.shape)), ref)
    pairs = random_pairs(jax.random.key(6))
    beta = 0.7
    ref_chosen, ref_rejected = logprobs_of_pairs(ref, pairs, config=CONFIG)

    def objective(p):
        return dpo_objective(p, pairs, ref_chosen, ref_rejected, CONFIG, beta)[0]

    objective = jax.jit(objective)
    loss, grads = jax.jit(jax.value_and_grad(objective))(params)
    oracle = jax.jit(jax.value_and_grad(hand_written_dpo), static_argnames=("beta",))
    oracle_loss, oracle_grads = oracle(params, ref, pairs, beta=beta)
    assert float(loss) == pytest.approx(float(oracle_loss), rel=1e-10)
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(oracle_grads), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
    direction = jax.tree.map(lambda p: jnp.cos(jnp.arange(p.size).reshape(p.shape)), params)
    eps = 1e-5
    shifted = lambda s: jax.tree.map(lambda p, d: p + s * d, params, direction)
    finite_difference = (objective(shifted(eps)) - objective(shifted(-eps))) / (2 * eps)
    pairs_of_leaves = zip(jax.tree.leaves(grads), jax.tree.leaves(direction), strict=True)
    directional = sum(jnp.vdot(g, d) for g, d in pairs_of_leaves)
    assert float(directional) == pytest.approx(float(finite_difference), rel=1e-6)


def test_dpo_loss_gradient_in_the_log_probabilities_is_the_closed_form():
    """dL/dlog pi(y_w) = -beta sigma(-beta h) / n = -dL/dlog pi(y_l) = -dL/dlog pi_ref(y_w)."""
    rng = np.random.default_rng(7)
    pw, pl, rw, rl = (jnp.asarray(rng.normal(size=5) * 3, jnp.float32) for _ in range(4))
    beta = 0.5
    grads = jax.grad(dpo_loss, argnums=(0, 1, 2, 3))(pw, pl, rw, rl, beta)
    h = (np.asarray(pw) - np.asarray(rw)) - (np.asarray(pl) - np.asarray(rl))
    expected = -beta / (1 + np.exp(beta * h)) / 5  # -beta sigma(-beta h) / n
    for got, sign in zip(grads, (1, -1, -1, 1), strict=True):
        np.testing.assert_allclose(got, sign * expected, rtol=1e-5, atol=1e-7)


def test_dpo_steps_lower_the_loss_and_rank_the_pairs(policy_and_ref):
    _, ref = policy_and_ref
    pairs = random_pairs(jax.random.key(8), n=8)
    ref_chosen, ref_rejected = logprobs_of_pairs(ref, pairs, config=CONFIG)
    optimizer = adam(3e-3)
    step = make_dpo_step(CONFIG, optimizer, beta=0.5)
    params, opt_state = ref, optimizer.init(ref)
    for _ in range(25):
        params, opt_state, metrics = step(params, opt_state, pairs, ref_chosen, ref_rejected)
    loss, metrics = objective_of(params, pairs, ref_chosen, ref_rejected, beta=0.5, config=CONFIG)
    assert float(loss) < math.log(2) - 0.2
    assert float(metrics["accuracy"]) == 1.0
