"""KL estimators against the exact KL of small categoricals, REINFORCE's gradient against
jax.grad of the exact objective, and the jitted step on a tiny GPT."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.alignment.reinforce import (
    completion_mask,
    kl_penalized_reward,
    leave_one_out_baseline,
    make_reinforce_step,
    path_kl,
    reinforce_loss,
    sample_completions,
    sequence_kl,
    token_kl,
)
from jlr.models.transformer import TransformerConfig, init_transformer
from jlr.optim import adam

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

VOCAB = 3
# Two-token sequences y = (y1, y2): logits of y1, and of y2 given y1 (row y1), for p and q.
P_FIRST, P_SECOND = np.log([0.5, 0.3, 0.2]), np.log([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [1 / 3] * 3])
Q_FIRST, Q_SECOND = (
    np.log([0.2, 0.4, 0.4]),
    np.log([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3], [0.6, 0.2, 0.2]]),
)


def joint(first, second) -> np.ndarray:
    """p(y1, y2) = p(y1) p(y2 | y1): (VOCAB, VOCAB)."""
    return np.exp(first)[:, None] * np.exp(second)


def exact_kl() -> float:
    p, q = joint(P_FIRST, P_SECOND), joint(Q_FIRST, Q_SECOND)
    return float(np.sum(p * np.log(p / q)))


def per_sequence_estimates(samples: np.ndarray):
    """(k1, per-token) KL estimates for sequences samples (n, 2) drawn from p."""
    y1, y2 = samples[:, 0], samples[:, 1]
    log_p = P_FIRST[y1] + P_SECOND[y1, y2]
    log_q = Q_FIRST[y1] + Q_SECOND[y1, y2]
    k1 = sequence_kl(jnp.asarray(log_p), jnp.asarray(log_q))
    policy_logits = jnp.stack([jnp.broadcast_to(P_FIRST, (len(y1), VOCAB)), P_SECOND[y1]], 1)
    ref_logits = jnp.stack([jnp.broadcast_to(Q_FIRST, (len(y1), VOCAB)), Q_SECOND[y1]], 1)
    per_token = token_kl(policy_logits, ref_logits, jnp.ones((len(y1), 2)))  # (n,)
    return np.asarray(k1), np.asarray(per_token)


def test_both_kl_estimates_are_exact_in_expectation(float64):
    """Weighting every one of the 9 sequences by p(y) gives KL(p || q) exactly."""
    samples = np.array(list(itertools.product(range(VOCAB), repeat=2)))  # (9, 2)
    weights = joint(P_FIRST, P_SECOND)[samples[:, 0], samples[:, 1]]  # (9,)
    k1, per_token = per_sequence_estimates(samples)
    assert float(weights @ k1) == pytest.approx(exact_kl(), rel=1e-12)
    assert float(weights @ per_token) == pytest.approx(exact_kl(), rel=1e-12)  # chain rule


def test_kl_estimates_on_samples_and_the_per_token_one_is_less_noisy(float64):
    n = 50_000
    first_key, second_key = jax.random.split(jax.random.key(0))
    y1 = jax.random.categorical(first_key, jnp.asarray(P_FIRST), shape=(n,))
    y2 = jax.random.categorical(second_key, jnp.asarray(P_SECOND)[y1])
    k1, per_token = per_sequence_estimates(np.stack([np.asarray(y1), np.asarray(y2)], 1))
    for estimate in (k1, per_token):
        stderr = estimate.std() / np.sqrt(n)
        assert abs(estimate.mean() - exact_kl()) < 5 * stderr
    assert per_token.std() < 0.5 * k1.std()
    assert np.all(per_token >= 0) and np.any(k1 < 0)  # k1 is unbiased but not a distance


def test_token_kl_matches_numpy_per_position():
    rng = np.random.default_rng(1)
    policy_logits, ref_logits = rng.normal(size=(2, 4, 5, 6)) * 2
    mask = (rng.random((4, 5)) > 0.3).astype(np.float32)
    p = np.exp(policy_logits) / np.exp(policy_logits).sum(-1, keepdims=True)
    q = np.exp(ref_logits) / np.exp(ref_logits).sum(-1, keepdims=True)
    expected = (np.sum(p * np.log(p / q), axis=-1) * mask).sum(-1)
    got = token_kl(jnp.asarray(policy_logits), jnp.asarray(ref_logits), jnp.asarray(mask))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_leave_one_out_baseline_and_completion_mask():
    values = jnp.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(leave_one_out_baseline(values), [4.0, 3.5, 1.5], rtol=1e-6)
    np.testing.assert_array_equal(completion_mask(2, 3, 2), [[0, 0, 0, 1, 1]] * 2)


def test_reinforce_gradient_is_unbiased_for_the_kl_penalized_objective(float64):
    """Policy softmax(theta) over 5 outcomes; J = E[r] - c KL(pi || pi_ref). The mean over
    many batches of the surrogate's gradient (RLOO advantages of r - c k1) is -grad J."""
    theta = jnp.array([0.2, -0.5, 1.0, 0.0, 0.3])
    ref_logits = jnp.array([0.0, 0.5, -0.5, 1.0, 0.0])
    reward = jnp.array([1.0, -1.0, 0.5, 2.0, 0.0])
    kl_coef = 0.7

    def objective(theta):
        pi = jax.nn.softmax(theta)
        kl = jnp.sum(pi * (jax.nn.log_softmax(theta) - jax.nn.log_softmax(ref_logits)))
        return pi @ reward - kl_coef * kl

    def surrogate_grad(key, n=8):
        y = jax.random.categorical(key, theta, shape=(n,))

        def loss(theta):
            policy_logp = jax.nn.log_softmax(theta)[y]
            shaped = kl_penalized_reward(
                reward[y], policy_logp, jax.nn.log_softmax(ref_logits)[y], kl_coef
            )
            return reinforce_loss(policy_logp, shaped - leave_one_out_baseline(shaped))

        return jax.grad(loss)(theta)

    n_batches = 8_000
    grads = jax.jit(jax.vmap(surrogate_grad))(jax.random.split(jax.random.key(2), n_batches))
    stderr = np.asarray(grads).std(0) / np.sqrt(n_batches)
    exact = -np.asarray(jax.grad(objective)(theta))
    np.testing.assert_array_less(np.abs(np.asarray(grads).mean(0) - exact), 5 * stderr + 1e-9)


CONFIG = TransformerConfig(vocab_size=5, block_size=10, n_layer=1, n_head=2, n_embd=16)
jit_path_kl = jax.jit(path_kl, static_argnames=("config",))


def test_path_kl_is_zero_against_itself_and_the_step_starts_at_zero_kl():
    ref = init_transformer(jax.random.key(3), CONFIG)
    prompts = jnp.zeros((4, 2), jnp.int32)
    ids = sample_completions(jax.random.key(4), ref, CONFIG, prompts, 5)
    assert ids.shape == (4, 7) and np.all(np.asarray(ids[:, :2]) == 0)
    mask = completion_mask(4, 2, 5)
    np.testing.assert_allclose(jit_path_kl(ref, ref, ids, mask, config=CONFIG), 0.0, atol=1e-6)
    optimizer = adam(1e-2)

    def reward_fn(ids, mask):  # the fraction of token 3 in the completion
        return ((ids == 3) * mask).sum(-1) / mask.sum(-1)

    step = make_reinforce_step(CONFIG, optimizer, reward_fn, kl_coef=0.1, n_new=5)
    params, opt_state, metrics = step(jax.random.key(5), ref, optimizer.init(ref), ref, prompts)
    assert float(metrics["kl"]) == pytest.approx(0.0, abs=1e-6)  # policy == reference
    moved = jit_path_kl(params, ref, ids, mask, config=CONFIG)
    assert np.all(np.isfinite(np.asarray(moved))) and float(moved.mean()) > 0
