"""Alignment basics (RLHF): preferences, a reward model, DPO and REINFORCE with a KL penalty.

preference  Bradley–Terry P(a > b) = sigma(r_a - r_b) and its loss; noisy labels from a true
            score; a reward model (mean-pooled embeddings, a dense head) trained on pairs
dpo         sequence log-probabilities under a causal LM (a masked sum of token log-probs);
            the DPO loss -log sigma(beta [(log pi - log pi_ref)(y_w) - (log pi - log pi_ref)(y_l)])
            and a jitted DPO step
reinforce   sampled completions, KL estimates to the reference (per sequence and per token),
            REINFORCE with a leave-one-out baseline on the KL-penalized reward, a jitted step

The policy is the GPT of `jlr.models.transformer`; `jlr run alignment` puts the pieces
together on a character-level model.
"""

from jlr.alignment.dpo import (
    dpo_loss,
    dpo_objective,
    implicit_reward,
    make_dpo_step,
    pair_logprobs,
    sequence_logprob,
    token_logprobs,
)
from jlr.alignment.preference import (
    PreferencePairs,
    bradley_terry_loss,
    bradley_terry_prob,
    init_reward_model,
    pair_rewards,
    preference_accuracy,
    reward_model,
    reward_model_loss,
    sample_preferences,
    token_rewards,
    train_reward_model,
)
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

__all__ = [
    "PreferencePairs",
    "bradley_terry_loss",
    "bradley_terry_prob",
    "completion_mask",
    "dpo_loss",
    "dpo_objective",
    "implicit_reward",
    "init_reward_model",
    "kl_penalized_reward",
    "leave_one_out_baseline",
    "make_dpo_step",
    "make_reinforce_step",
    "pair_logprobs",
    "pair_rewards",
    "path_kl",
    "preference_accuracy",
    "reinforce_loss",
    "reward_model",
    "reward_model_loss",
    "sample_completions",
    "sample_preferences",
    "sequence_kl",
    "sequence_logprob",
    "token_kl",
    "token_logprobs",
    "token_rewards",
    "train_reward_model",
]
