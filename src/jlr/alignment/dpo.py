r"""Direct Preference Optimization (Rafailov et al. 2023): a causal LM trained on preference
pairs, against a frozen copy of itself, without a reward model or sampling.

Sequence log-probability of a completion y = (y_1..y_T) after a prompt x, under a causal LM:

    log pi(y | x) = sum_t log pi(y_t | x, y_<t)

computed from one forward pass over the concatenated ids [x, y]: the logits at position t
score the token at t + 1, and a mask keeps the completion's tokens only.

RLHF maximises E_y~pi[r(y)] - beta KL(pi || pi_ref). Its optimum is pi*(y) proportional to
pi_ref(y) e^{r(y) / beta}, so r(y) = beta log(pi*(y) / pi_ref(y)) + const: the policy itself
defines an implicit reward, and putting it into the Bradley–Terry likelihood
(`jlr.alignment.preference`) gives the DPO loss on pairs (chosen y_w, rejected y_l):

    h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))
    L = -mean log sigma(beta h) = mean softplus(-beta h)

At initialisation pi = pi_ref, so h = 0 and L = log 2 exactly, for any data and any beta.
The gradient, dL/dtheta = -beta sigma(-beta h) (grad log pi(y_w) - grad log pi(y_l)),
raises the chosen completion's likelihood and lowers the rejected one's, weighted by how
wrong the implicit reward still ranks the pair. beta plays the part of the KL weight: a
small beta lets the policy move far from pi_ref before the loss saturates.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jlr.alignment.preference import PreferencePairs
from jlr.models.transformer import TransformerConfig, transformer
from jlr.nn.causal_lm import token_nats
from jlr.optim import apply_updates
from jlr.optim.base import GradientTransformation


def token_logprobs(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """log p(targets) = -(the causal LM's per-token nats, `jlr.nn.causal_lm.token_nats`):
    logits (..., vocab), targets (...) ints -> (...)."""
    return -token_nats(logits, targets)


def sequence_logprob(
    params: dict, ids: jax.Array, mask: jax.Array, config: TransformerConfig
) -> jax.Array:
    """sum_t mask[b, t] log pi(ids[b, t] | ids[b, :t]): ids, mask (batch, seq) -> (batch,).

    mask is 1 on the completion's tokens and 0 on the prompt and padding; mask[:, 0] is
    ignored (the first token has no context to be predicted from). seq <= block_size + 1.
    """
    logits = transformer(params, ids[:, :-1], config)  # (batch, seq - 1, vocab)
    scored = token_logprobs(logits, ids[:, 1:])  # (batch, seq - 1): log pi(ids[t + 1] | ..)
    return jnp.sum(scored * mask[:, 1:], axis=-1)


def pair_logprobs(
    params: dict, pairs: PreferencePairs, config: TransformerConfig
) -> tuple[jax.Array, jax.Array]:
    """(log pi(chosen), log pi(rejected)), each (n,), from one forward pass over 2n rows."""
    ids = jnp.concatenate([pairs.chosen, pairs.rejected])  # (2n, seq)
    mask = jnp.concatenate([pairs.chosen_mask, pairs.rejected_mask])  # (2n, seq)
    logps = sequence_logprob(params, ids, mask, config)  # (2n,)
    n = pairs.chosen.shape[0]
    return logps[:n], logps[n:]


def dpo_loss(
    policy_chosen: jax.Array,
    policy_rejected: jax.Array,
    ref_chosen: jax.Array,
    ref_rejected: jax.Array,
    beta: float | jax.Array,
) -> jax.Array:
    """mean softplus(-beta h), h = (pi_w - ref_w) - (pi_l - ref_l): four (n,) -> ().

    The inputs are sequence log-probabilities (`sequence_logprob`) of the chosen (w) and
    rejected (l) completions under the policy and the frozen reference.
    """
    h = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)  # (n,)
    return jnp.mean(jax.nn.softplus(-beta * h))


def implicit_reward(policy_logp: jax.Array, ref_logp: jax.Array, beta) -> jax.Array:
    """DPO's reward of a completion, beta (log pi(y) - log pi_ref(y)): (...) -> (...)."""
    return beta * (policy_logp - ref_logp)


def dpo_objective(
    params: dict,
    pairs: PreferencePairs,
    ref_chosen: jax.Array,
    ref_rejected: jax.Array,
    config: TransformerConfig,
    beta: float | jax.Array,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """(DPO loss, {"accuracy", "margin"}) of the policy params on pairs; ref_* (n,) are the
    frozen reference's sequence log-probabilities, computed once.

    accuracy: fraction of pairs whose implicit reward ranks the chosen completion higher;
    margin: the mean implicit reward gap beta h.
    """
    policy_chosen, policy_rejected = pair_logprobs(params, pairs, config)
    loss = dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    margin = implicit_reward(policy_chosen, ref_chosen, beta) - implicit_reward(
        policy_rejected, ref_rejected, beta
    )  # (n,)
    return loss, {"accuracy": jnp.mean(margin > 0), "margin": jnp.mean(margin)}


def make_dpo_step(config: TransformerConfig, optimizer: GradientTransformation, beta: float):
    """A jitted DPO step: (params, opt_state, pairs, ref_chosen, ref_rejected) ->
    (params, opt_state, {"loss", "accuracy", "margin"}), on one minibatch of pairs."""

    @jax.jit
    def dpo_step(params, opt_state, pairs, ref_chosen, ref_rejected):
        objective = partial(dpo_objective, config=config, beta=beta)
        (loss, metrics), grads = jax.value_and_grad(objective, has_aux=True)(
            params, pairs, ref_chosen, ref_rejected
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return apply_updates(params, updates), opt_state, {"loss": loss, **metrics}

    return dpo_step
