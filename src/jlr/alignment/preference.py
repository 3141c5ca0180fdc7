r"""Pairwise preferences and a reward model fitted to them (Bradley & Terry 1952; the reward
model of RLHF, Christiano et al. 2017, Ouyang et al. 2022).

The Bradley–Terry model gives each item a scalar reward r and says a person prefers a to b
with probability

    P(a > b) = sigma(r(a) - r(b)),      sigma(x) = 1 / (1 + e^{-x})

so only reward differences matter (r + c explains the same choices). From n labelled pairs
(chosen y_w, rejected y_l) the rewards are fitted by maximum likelihood, i.e. by minimising

    L = -(1/n) sum_i log sigma(r(y_w,i) - r(y_l,i)) = (1/n) sum_i softplus(r(y_l,i) - r(y_w,i))

The reward model here reads a completion only: the mean of its tokens' embeddings (over the
mask), then a dense layer to one number,

    r(y) = (sum_t m_t E[y_t] / sum_t m_t) . w + b          E: (vocab, d_embed), w: (d_embed,)

which is linear in the completion's token frequencies: token v adds E[v] . w per occurrence,
averaged. That is enough for a preference about which characters a text uses, and the
per-token reward E w is there to look at (`token_rewards`).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jlr.nn.embedding import embed, init_embedding
from jlr.nn.linear import init_linear, linear
from jlr.optim import adam, apply_updates


class PreferencePairs(NamedTuple):
    """n pairs as padded token ids and masks, all (n, seq): mask 1 on the completion tokens
    (the ones a preference is about), 0 on the prompt and the padding."""

    chosen: jax.Array  # (n, seq) int32
    chosen_mask: jax.Array  # (n, seq) float32
    rejected: jax.Array  # (n, seq) int32
    rejected_mask: jax.Array  # (n, seq) float32


def bradley_terry_prob(reward_a: jax.Array, reward_b: jax.Array) -> jax.Array:
    """P(a > b) = sigma(r_a - r_b): reward_a, reward_b (...) -> (...)."""
    return jax.nn.sigmoid(reward_a - reward_b)


def bradley_terry_loss(reward_chosen: jax.Array, reward_rejected: jax.Array) -> jax.Array:
    """Mean negative log-likelihood of the choices: (n,), (n,) -> ().

    -mean log sigma(r_w - r_l), computed as mean softplus(r_l - r_w), which stays finite for
    any reward gap (log sigma(-50) underflows; softplus(50) = 50).
    """
    return jnp.mean(jax.nn.softplus(reward_rejected - reward_chosen))


def sample_preferences(key: jax.Array, score_a: jax.Array, score_b: jax.Array, scale: float):
    """Noisy labels from a true score: prefers_a (n,) bool, True with P = sigma(scale (s_a - s_b)).

    A Bradley–Terry labeller whose reward is scale * score: scale -> inf always picks the
    higher score, scale = 0 flips a fair coin. score_a, score_b: (n,).
    """
    return jax.random.bernoulli(key, bradley_terry_prob(scale * score_a, scale * score_b))


def init_reward_model(key: jax.Array, vocab_size: int, d_embed: int) -> dict:
    """{"embed": {"table": (vocab, d_embed)}, "head": {"w": (d_embed, 1), "b": (1,)}}."""
    embed_key, head_key = jax.random.split(key)
    return {
        "embed": init_embedding(embed_key, vocab_size, d_embed),
        "head": init_linear(head_key, d_embed, 1),
    }


def reward_model(params: dict, ids: jax.Array, mask: jax.Array) -> jax.Array:
    """r(y) of the module docstring: ids, mask (batch, seq) -> rewards (batch,).

    Only the masked tokens count (a row with an empty mask pools to the zero vector).
    """
    mask = mask.astype(jnp.float32)
    vectors = embed(params["embed"], ids)  # (batch, seq, d_embed)
    n_tokens = jnp.maximum(mask.sum(axis=-1, keepdims=True), 1.0)  # (batch, 1)
    pooled = jnp.einsum("bs,bsd->bd", mask, vectors) / n_tokens  # (batch, d_embed)
    return linear(params["head"], pooled)[:, 0]  # (batch,)


def token_rewards(params: dict) -> jax.Array:
    """The reward each token adds per occurrence, E w: (vocab,). r(y) = mean over y's masked
    tokens of these, plus b."""
    return (params["embed"]["table"] @ params["head"]["w"])[:, 0]  # (vocab,)


def pair_rewards(params: dict, pairs: PreferencePairs) -> tuple[jax.Array, jax.Array]:
    """(r(chosen), r(rejected)), each (n,)."""
    return (
        reward_model(params, pairs.chosen, pairs.chosen_mask),
        reward_model(params, pairs.rejected, pairs.rejected_mask),
    )


def reward_model_loss(params: dict, pairs: PreferencePairs) -> jax.Array:
    """The Bradley–Terry loss of the reward model on the pairs: ()."""
    return bradley_terry_loss(*pair_rewards(params, pairs))


def preference_accuracy(reward_chosen: jax.Array, reward_rejected: jax.Array) -> jax.Array:
    """Fraction of pairs where the chosen completion gets the higher reward: ()."""
    return jnp.mean(reward_chosen > reward_rejected)


def train_reward_model(
    params: dict, pairs: PreferencePairs, *, steps: int, lr: float
) -> tuple[dict, jax.Array]:
    """Full-batch Adam on `reward_model_loss` for `steps` steps (one `lax.scan`, jitted).

    Returns (trained params, losses (steps,), the loss before each step). Deterministic: no
    key, every step sees every pair.
    """
    return _train_reward_model(params, pairs, steps, lr)


@partial(jax.jit, static_argnames=("steps",))
def _train_reward_model(params, pairs, steps, lr):
    optimizer = adam(lr)

    def step(carry, _):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(reward_model_loss)(params, pairs)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (apply_updates(params, updates), opt_state), loss

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), length=steps)
    return params, losses
