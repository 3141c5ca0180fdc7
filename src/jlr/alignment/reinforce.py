r"""REINFORCE with a KL penalty to a frozen reference: the RL step of RLHF, in its simplest form
(Williams 1992; the KL-shaped reward of Ziegler et al. 2019 and Ouyang et al. 2022).

The policy pi (a causal LM) is trained to maximise

    J(theta) = E_{y ~ pi}[ r(y) ] - c KL(pi || pi_ref)
    KL(pi || pi_ref) = E_{y ~ pi}[ log pi(y) - log pi_ref(y) ]

over completions y sampled from the policy itself. The score-function identity
grad E_pi[f] = E_pi[f grad log pi] (for f not depending on theta) gives, with the per-sequence
KL estimate k(y) = log pi(y) - log pi_ref(y) folded into the reward (E_pi[grad log pi] = 0
removes the term that k's own dependence on theta adds),

    grad J = E_{y ~ pi}[ (R(y) - b) grad log pi(y) ],   R(y) = r(y) - c k(y)

for any baseline b that does not depend on y. Here b is the leave-one-out mean of the other
samples' R (Kool et al. 2019's RLOO), which keeps the estimate unbiased and lowers its variance.
The loss whose gradient is that estimate is -mean_i stop_gradient(R_i - b_i) log pi(y_i).

Two estimates of KL(pi || pi_ref) for samples y ~ pi:

    sequence (k1)   k(y) = log pi(y) - log pi_ref(y)              unbiased, noisy, can be < 0
    per token       sum_t KL(pi(. | y_<t) || pi_ref(. | y_<t))     unbiased (chain rule of KL),
                                                                   >= 0, far less noisy

Without the penalty (c = 0) nothing holds the policy near pi_ref: it finds whatever string
the reward model scores highest and repeats it (reward hacking; the text degenerates).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp

from jlr.alignment.dpo import sequence_logprob
from jlr.models.sampling import generate
from jlr.models.transformer import TransformerConfig, transformer
from jlr.optim import apply_updates
from jlr.optim.base import GradientTransformation
from jlr.probability.kl import kl_categorical


@partial(jax.jit, static_argnames=("config", "n_new"))
def sample_completions(
    key: jax.Array,
    params: dict,
    config: TransformerConfig,
    prompts: jax.Array,
    n_new: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> jax.Array:
    """One sampled continuation per prompt: prompts (n, n_prompt) -> ids (n, n_prompt + n_new).

    `jlr.models.sampling.generate` vmapped over the prompts, with key i = split(key, n)[i];
    jitted, one program per (config, prompt shape, n_new, which filters are on).
    """
    keys = jax.random.split(key, prompts.shape[0])

    def one(row_key, prompt):
        filters = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
        return generate(row_key, params, config, prompt, n_new, **filters)

    return jax.vmap(one)(keys, prompts)  # (n, n_prompt + n_new)


def completion_mask(n: int, n_prompt: int, n_new: int) -> jax.Array:
    """(n, n_prompt + n_new) float32: 0 on the prompt, 1 on the n_new completion tokens."""
    row = (jnp.arange(n_prompt + n_new) >= n_prompt).astype(jnp.float32)
    return jnp.broadcast_to(row, (n, n_prompt + n_new))


def sequence_kl(policy_logp: jax.Array, ref_logp: jax.Array) -> jax.Array:
    """The k1 estimate log pi(y) - log pi_ref(y) for y ~ pi: (n,), (n,) -> (n,)."""
    return policy_logp - ref_logp


def token_kl(policy_logits: jax.Array, ref_logits: jax.Array, mask: jax.Array) -> jax.Array:
    """sum_t mask_t KL(softmax(z_t) || softmax(z_ref,t)): logits (batch, seq, vocab), mask
    (batch, seq) -> (batch,), each position's exact KL between the two next-token distributions."""
    kls = kl_categorical(
        jax.nn.softmax(policy_logits, axis=-1), jax.nn.softmax(ref_logits, axis=-1)
    )  # (batch, seq)
    return jnp.sum(kls * mask, axis=-1)


def path_kl(
    params: dict, ref_params: dict, ids: jax.Array, mask: jax.Array, config: TransformerConfig
) -> jax.Array:
    """The per-token KL estimate along sampled sequences: ids, mask (batch, seq) -> (batch,).

    Position t's term compares the distributions of the token ids[:, t] was drawn from (mask
    as in `sequence_logprob`: 1 on the sampled completion tokens).
    """
    policy_logits = transformer(params, ids[:, :-1], config)  # (batch, seq - 1, vocab)
    ref_logits = transformer(ref_params, ids[:, :-1], config)  # (batch, seq - 1, vocab)
    return token_kl(policy_logits, ref_logits, mask[:, 1:])


def kl_penalized_reward(
    reward: jax.Array, policy_logp: jax.Array, ref_logp: jax.Array, kl_coef: float | jax.Array
) -> jax.Array:
    """R(y) = r(y) - c (log pi(y) - log pi_ref(y)): (n,) each -> (n,)."""
    return reward - kl_coef * sequence_kl(policy_logp, ref_logp)


def leave_one_out_baseline(values: jax.Array) -> jax.Array:
    """b_i = mean of the other n - 1 values: (n,) -> (n,), n >= 2."""
    n = values.shape[0]
    return (jnp.sum(values) - values) / (n - 1)


def reinforce_loss(policy_logp: jax.Array, advantages: jax.Array) -> jax.Array:
    """-mean_i stop_gradient(A_i) log pi(y_i): (n,), (n,) -> (); its gradient is the
    score-function estimate of -grad E[R] when A_i = R_i - b_i."""
    return -jnp.mean(jax.lax.stop_gradient(advantages) * policy_logp)


def make_reinforce_step(
    config: TransformerConfig,
    optimizer: GradientTransformation,
    reward_fn: Callable[[jax.Array, jax.Array], jax.Array],
    *,
    kl_coef: float,
    n_new: int,
    temperature: float = 1.0,
):
    """A jitted REINFORCE step on fresh samples: (key, params, opt_state, ref_params, prompts
    (n, n_prompt)) -> (params, opt_state, {"reward", "kl", "objective", "loss"}).

    reward_fn(ids, mask) -> (n,) scores the sampled sequences (the reward model, or a true
    score); "kl" is the mean k1 estimate, "objective" the mean R = r - kl_coef k. kl_coef is
    traced: steps made with the same config, optimizer, reward_fn and n_new share one program.
    """
    static = {
        "config": config,
        "optimizer": optimizer,
        "reward_fn": reward_fn,
        "n_new": n_new,
        "temperature": temperature,
    }

    def reinforce_step(key, params, opt_state, ref_params, prompts):
        return _reinforce_step(key, params, opt_state, ref_params, prompts, kl_coef, **static)

    return reinforce_step


@partial(jax.jit, static_argnames=("config", "optimizer", "reward_fn", "n_new", "temperature"))
def _reinforce_step(
    key, params, opt_state, ref_params, prompts, kl_coef, *, config, optimizer, reward_fn, n_new,
    temperature,
):  # fmt: skip
    n, n_prompt = prompts.shape
    ids = sample_completions(key, params, config, prompts, n_new, temperature=temperature)
    ids = jax.lax.stop_gradient(ids)
    mask = completion_mask(n, n_prompt, n_new)
    reward = reward_fn(ids, mask)  # (n,)
    ref_logp = sequence_logprob(ref_params, ids, mask, config)  # (n,)

    def loss_fn(params):
        policy_logp = sequence_logprob(params, ids, mask, config)  # (n,)
        shaped = kl_penalized_reward(reward, policy_logp, ref_logp, kl_coef)
        advantages = shaped - leave_one_out_baseline(shaped)
        kl = jnp.mean(sequence_kl(policy_logp, ref_logp))
        return reinforce_loss(policy_logp, advantages), (jnp.mean(shaped), kl)

    (loss, (objective, kl)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    metrics = {"reward": jnp.mean(reward), "kl": kl, "objective": objective, "loss": loss}
    return apply_updates(params, updates), opt_state, metrics
