"""Bradley–Terry against numpy, its MLE recovering known rewards, and the reward model."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from jlr.alignment.preference import (
    PreferencePairs,
    bradley_terry_loss,
    bradley_terry_prob,
    init_reward_model,
    pair_rewards,
    preference_accuracy,
    reward_model,
    sample_preferences,
    token_rewards,
    train_reward_model,
)

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32


def test_bradley_terry_loss_matches_numpy_even_for_huge_gaps():
    rng = np.random.default_rng(0)
    chosen = rng.normal(size=64) * 5
    rejected = rng.normal(size=64) * 5
    chosen[:3], rejected[:3] = [80.0, -80.0, 0.0], [-80.0, 80.0, 0.0]  # saturated both ways
    expected = np.mean(np.logaddexp(0.0, -(chosen - rejected)))  # -log sigma(r_w - r_l)
    loss = bradley_terry_loss(jnp.asarray(chosen, jnp.float32), jnp.asarray(rejected, jnp.float32))
    assert np.isfinite(float(loss))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-6)


def test_bradley_terry_prob_is_a_sigmoid_of_the_difference():
    a, b = jnp.array([0.0, 1.0, -2.0, 3.0]), jnp.array([0.0, -1.0, 1.0, 3.0])
    np.testing.assert_allclose(
        bradley_terry_prob(a, b), 1 / (1 + np.exp(-(np.asarray(a) - np.asarray(b)))), rtol=1e-6
    )
    np.testing.assert_allclose(bradley_terry_prob(a, b) + bradley_terry_prob(b, a), 1.0, rtol=1e-6)
    np.testing.assert_allclose(bradley_terry_prob(a + 7.0, b + 7.0), bradley_terry_prob(a, b), 1e-6)


def test_maximum_likelihood_recovers_known_rewards(float64):
    """Pairs labelled by sigma(r*_i - r*_j); minimising the BT loss finds r* up to a shift."""
    true_rewards = np.array([-1.0, -0.3, 0.0, 0.6, 1.4])
    pair_key, label_key = jax.random.split(jax.random.key(0))
    n_items, n_pairs = len(true_rewards), 20_000
    items = jax.random.randint(pair_key, (n_pairs, 2), 0, n_items)  # (n_pairs, 2)
    a, b = items[:, 0], items[:, 1]
    r = jnp.asarray(true_rewards)
    prefer_a = sample_preferences(label_key, r[a], r[b], scale=1.0)
    winner, loser = jnp.where(prefer_a, a, b), jnp.where(prefer_a, b, a)

    def loss(rewards):
        return bradley_terry_loss(rewards[winner], rewards[loser])

    fitted = scipy.optimize.minimize(
        jax.jit(loss), np.zeros(n_items), jac=jax.jit(jax.grad(loss)), method="BFGS"
    ).x
    # about 8000 comparisons per item: the MLE's standard error is about 0.03
    np.testing.assert_allclose(
        fitted - fitted.mean(), true_rewards - true_rewards.mean(), atol=0.12
    )


def test_noisy_labels_follow_the_bradley_terry_probability():
    n = 40_000
    score_a, score_b = jnp.full((n,), 0.6), jnp.full((n,), 0.5)
    prefer_a = sample_preferences(jax.random.key(1), score_a, score_b, scale=10.0)
    expected = 1 / (1 + np.exp(-1.0))  # sigma(10 * 0.1)
    assert float(prefer_a.mean()) == pytest.approx(expected, abs=4 * np.sqrt(0.25 / n))


def test_reward_model_is_the_mean_token_reward_over_the_mask():
    params = init_reward_model(jax.random.key(2), 6, 4)
    ids = jnp.array([[0, 1, 2, 3, 4], [5, 5, 1, 0, 0]])
    mask = jnp.array([[0, 0, 1, 1, 1], [1, 1, 1, 0, 0]], jnp.float32)
    per_token = np.asarray(token_rewards(params))  # (vocab,)
    bias = float(params["head"]["b"][0])
    expected = [per_token[[2, 3, 4]].mean() + bias, per_token[[5, 5, 1]].mean() + bias]
    np.testing.assert_allclose(reward_model(params, ids, mask), expected, rtol=1e-5, atol=1e-6)


def test_a_trained_reward_model_ranks_held_out_pairs_by_the_true_reward():
    """Sequences over 6 tokens scored by a known per-token reward; labels from that score."""
    vocab, seq, n = 6, 10, 400
    true_token_reward = jnp.array([1.0, 0.0, 0.0, 0.5, -0.5, 0.0])
    keys = jax.random.split(jax.random.key(3), 5)
    mask = jnp.ones((n, seq)).at[:, 0].set(0.0)  # token 0 is a "prompt"

    def make_pairs(key_a, key_b):
        a = jax.random.randint(key_a, (n, seq), 0, vocab)
        b = jax.random.randint(key_b, (n, seq), 0, vocab)
        score = lambda ids: (true_token_reward[ids] * mask).sum(-1)
        a_wins = (score(a) > score(b))[:, None]
        return PreferencePairs(jnp.where(a_wins, a, b), mask, jnp.where(a_wins, b, a), mask)

    train, held_out = make_pairs(keys[0], keys[1]), make_pairs(keys[2], keys[3])
    params = init_reward_model(keys[4], vocab, 8)
    before = float(preference_accuracy(*pair_rewards(params, held_out)))
    params, losses = train_reward_model(params, train, steps=300, lr=0.03)
    after = float(preference_accuracy(*pair_rewards(params, held_out)))
    assert losses.shape == (300,) and float(losses[-1]) < float(losses[0]) - 0.2
    assert after > 0.9 > before + 0.2, (before, after)
    learned = np.asarray(token_rewards(params))
    assert np.argmax(learned) == 0 and np.argmin(learned) == 4  # the best and worst tokens
