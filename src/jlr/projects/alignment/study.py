r"""The alignment study, in memory: pretrain, preferences, reward model, DPO, REINFORCE.

1. Pretrain a small character GPT on the text (the transformer project's data and recipe):
   the reference pi_ref, frozen from then on.
2. Sample two completions of each training prompt from pi_ref and label them with the
   Bradley–Terry-noisy true score (`task`), or read the pairs from a preference file.
3. Fit the reward model to the pairs (Bradley–Terry loss).
4. DPO from pi_ref on those pairs, against the frozen pi_ref.
5. REINFORCE on the learned reward, with the KL penalty and without it (the failure).
6. The limits of likelihood, on pi_ref (`likelihood`).

Every policy is evaluated on the same held-out prompts, with the same key, sampling at
temperature 1 (the policy as it is): the true score, the learned reward, the KL to pi_ref
(per-token estimate, nats per completion) and the completions' distinct-2 and repetition rate.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from jlr.alignment.dpo import make_dpo_step, pair_logprobs
from jlr.alignment.preference import (
    PreferencePairs,
    init_reward_model,
    pair_rewards,
    preference_accuracy,
    reward_model,
    token_rewards,
    train_reward_model,
)
from jlr.alignment.reinforce import (
    completion_mask,
    make_reinforce_step,
    path_kl,
    sample_completions,
)
from jlr.data.batches import batch_rows
from jlr.errors import TrainingDiverged
from jlr.models.transformer import init_transformer
from jlr.optim import adam, chain
from jlr.projects.alignment.likelihood import likelihood_limits
from jlr.projects.alignment.task import (
    label_pairs,
    line_prompts,
    read_preferences,
    target_mask,
    true_score,
)
from jlr.projects.transformer.data import (
    char_data,
    make_window_batch,
    training_windows,
    validation_windows,
)
from jlr.projects.transformer.training import (
    clip_by_global_norm,
    make_evaluate,
    make_loss_fn,
    make_optimizer,
)
from jlr.text.sample_metrics import distinct_n, repetition_rate
from jlr.train import init_train_state, make_multi_step, make_train_step

COMPLETION_N = 2  # n of distinct-n and the repetition rate on the short completions


def log(progress: bool, message: str) -> None:
    if progress:
        print(f"[alignment] {message}", flush=True)


def pretrain(key, config, data, model, evaluate):
    """The reference: config.pretrain_steps of the transformer project's recipe -> params,
    train losses (pretrain_steps,)."""
    init_key, train_key = jax.random.split(key)
    params = init_transformer(init_key, model)
    optimizer = make_optimizer(
        lr=config.lr,
        min_lr=config.lr / 10,
        warmup_steps=min(100, config.pretrain_steps // 10),
        steps=config.pretrain_steps,
        weight_decay=0.1,
        b2=0.99,
        grad_clip=1.0,
    )
    state = init_train_state(params, optimizer, train_key)
    windows = training_windows(data.train, config.block_size)
    multi_step = jax.jit(
        make_multi_step(
            make_train_step(make_loss_fn(model), optimizer), make_window_batch(config.block_size)
        )
    )
    losses, step, chunk = [], 0, 50
    while step < config.pretrain_steps:
        n_steps = min(chunk, config.pretrain_steps - step)
        rows = batch_rows(
            step, n_steps, seed=config.seed, n=len(windows.starts), batch_size=config.batch_size
        )
        state, metrics = multi_step(state, windows, jnp.asarray(rows))
        if not bool(np.all(metrics["finite"])):
            raise TrainingDiverged("pretraining diverged (NaN/Inf); lower lr")
        losses.extend(np.asarray(metrics["loss"]).tolist())
        step += n_steps
    return state.params, losses, float(evaluate(state.params, {})["val_loss"])


def sampled_pairs(key, params, model, prompts, n_new, targets, label_scale) -> PreferencePairs:
    """Two completions of every prompt from the model, labelled by the noisy true score."""
    a_key, b_key, label_key = jax.random.split(key, 3)
    a = sample_completions(a_key, params, model, prompts, n_new)
    b = sample_completions(b_key, params, model, prompts, n_new)
    mask = completion_mask(prompts.shape[0], prompts.shape[1], n_new)
    return label_pairs(label_key, a, b, mask, targets, label_scale)


def make_policy_eval(key, model, ref_params, reward_params, prompts, n_new, targets, vocab):
    """evaluate(params) -> {"true_score", "reward", "kl", "distinct_2", "repetition_rate",
    "sample"} on the held-out prompts, the same key for every policy."""
    n, n_prompt = prompts.shape
    mask = completion_mask(n, n_prompt, n_new)

    @jax.jit
    def sample_and_score(params):
        ids = sample_completions(key, params, model, prompts, n_new)
        scores = {
            "true_score": jnp.mean(true_score(ids, mask, targets)),
            "reward": jnp.mean(reward_model(reward_params, ids, mask)),
            "kl": jnp.mean(path_kl(params, ref_params, ids, mask, model)),
        }
        return ids, scores

    def evaluate(params) -> dict:
        ids, scores = sample_and_score(params)
        texts = [vocab.decode(row[n_prompt:]) for row in np.asarray(ids)]
        return {
            **{name: float(value) for name, value in scores.items()},
            f"distinct_{COMPLETION_N}": distinct_n(texts, COMPLETION_N),
            "repetition_rate": repetition_rate(texts, COMPLETION_N),
            "sample": vocab.decode(np.asarray(ids[0])),
        }

    return evaluate


def held_out_accuracy(reward_params, pairs: PreferencePairs) -> jax.Array:
    return preference_accuracy(*pair_rewards(reward_params, pairs))


def eval_steps(total: int, every: int) -> set[int]:
    return {0, total, *range(every, total, every)}


def train_dpo(config, model, ref_params, pairs: PreferencePairs, evaluate, progress):
    """DPO from pi_ref (minibatch order from the seed): (params, curve [{"step", "dpo_loss",
    **evaluate}]); DPO draws no random numbers."""
    optimizer = chain(clip_by_global_norm(1.0), adam(config.dpo_lr))
    step_fn = make_dpo_step(model, optimizer, config.dpo_beta)
    ref_chosen, ref_rejected = jax.jit(pair_logprobs, static_argnums=2)(ref_params, pairs, model)
    n = pairs.chosen.shape[0]
    batch = min(config.dpo_batch, n)
    rows = batch_rows(0, config.dpo_steps, seed=config.seed, n=n, batch_size=batch)
    params, opt_state = ref_params, optimizer.init(ref_params)
    curve, checkpoints, loss = [], eval_steps(config.dpo_steps, config.eval_every), float("nan")
    for step in range(config.dpo_steps + 1):
        if step in checkpoints:
            curve.append({"step": step, "dpo_loss": loss, **evaluate(params)})
            log(progress, f"dpo step {step}: {curve[-1]['true_score']:.3f} true score")
        if step == config.dpo_steps:
            break
        idx = jnp.asarray(rows[step])
        minibatch = jax.tree.map(lambda a, idx=idx: a[idx], pairs)
        params, opt_state, metrics = step_fn(
            params, opt_state, minibatch, ref_chosen[idx], ref_rejected[idx]
        )
        loss = float(metrics["loss"])
    return params, curve


def train_reinforce(key, config, ref_params, prompts, kl_coef, evaluate, step_parts):
    """REINFORCE on the learned reward with KL weight kl_coef: curve [{"step", **evaluate}].

    step_parts = (model, optimizer, reward_fn), the same objects for every kl_coef, so both
    runs share one compiled step.
    """
    model, optimizer, reward_fn = step_parts
    step_fn = make_reinforce_step(
        model, optimizer, reward_fn, kl_coef=kl_coef, n_new=config.completion_chars
    )
    params, opt_state = ref_params, optimizer.init(ref_params)
    batch = min(config.rl_batch, prompts.shape[0])
    rows = batch_rows(0, config.rl_steps, seed=config.seed, n=prompts.shape[0], batch_size=batch)
    curve, checkpoints = [], eval_steps(config.rl_steps, config.eval_every)
    for step in range(config.rl_steps + 1):
        if step in checkpoints:
            curve.append({"step": step, **evaluate(params)})
        if step == config.rl_steps:
            break
        params, opt_state, _ = step_fn(
            jax.random.fold_in(key, step), params, opt_state, ref_params, prompts[rows[step]]
        )
    return curve


def study(config, *, progress: bool = False) -> dict:
    """Run the whole study of the module docstring for a project Config; every number of the
    report, and the reference model, in one dict (no files written)."""
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}

    def lap(stage: str) -> None:  # wall-clock seconds of each stage, compilation included
        stage_seconds[stage] = time.perf_counter() - started - sum(stage_seconds.values())

    data = char_data(config.text, config.block_size)
    targets = target_mask(data.vocab, config.target)
    file_pairs = (
        read_preferences(config.preferences, data.vocab, config.block_size)
        if config.preferences
        else None
    )  # fail on a bad file before any training
    model = config.model(data.vocab.size)
    keys = jax.random.split(jax.random.key(config.seed), 7)
    pretrain_key, pair_key, reward_key, eval_key, rl_key, limits_key, held_key = keys
    x_val, y_val = validation_windows(data.val, config.block_size, 4 * config.batch_size)
    evaluate_loss = make_evaluate(model, x_val, y_val, config.batch_size)
    log(progress, f"pretraining the reference ({config.pretrain_steps} steps)")
    ref_params, pretrain_losses, ref_val_loss = pretrain(
        pretrain_key, config, data, model, evaluate_loss
    )
    log(progress, f"reference val loss {ref_val_loss:.3f} nats/char")
    lap("pretrain")

    train_text = data.vocab.decode(data.train)
    train_prompts = jnp.asarray(
        line_prompts(data.vocab, train_text, config.n_pairs, config.prompt_chars)
    )
    eval_prompts = jnp.asarray(
        line_prompts(data.vocab, data.val_text, config.eval_prompts, config.prompt_chars)
    )
    n_new = config.completion_chars
    if file_pairs is None:
        pairs = sampled_pairs(
            pair_key, ref_params, model, train_prompts, n_new, targets, config.label_scale
        )
    else:
        pairs = file_pairs
    reward_params, reward_losses = train_reward_model(
        init_reward_model(reward_key, data.vocab.size, config.reward_dim),
        pairs,
        steps=config.reward_steps,
        lr=config.reward_lr,
    )
    held_out = sampled_pairs(held_key, ref_params, model, eval_prompts, n_new, targets, 1e6)
    reward_accuracy = float(jax.jit(held_out_accuracy)(reward_params, held_out))
    log(progress, f"reward model: {reward_accuracy:.3f} held-out agreement with the true score")
    lap("pairs_and_reward_model")

    evaluate = make_policy_eval(
        eval_key, model, ref_params, reward_params, eval_prompts, n_new, targets, data.vocab
    )
    _, dpo_curve = train_dpo(config, model, ref_params, pairs, evaluate, progress)
    lap("dpo")
    rl_curves = {}

    def reward_fn(ids, mask):
        return reward_model(reward_params, ids, mask)

    step_parts = (model, chain(clip_by_global_norm(1.0), adam(config.rl_lr)), reward_fn)
    for name, kl_coef in (("with_kl", config.rl_kl_coef), ("without_kl", 0.0)):
        log(progress, f"REINFORCE {name.replace('_', ' ')} (kl_coef={kl_coef})")
        rl_curves[name] = train_reinforce(
            rl_key, config, ref_params, train_prompts, kl_coef, evaluate, step_parts
        )
    lap("reinforce")
    log(progress, "the limits of likelihood")
    limits_prompts = eval_prompts[: config.limit_samples]
    limits_new = 1 + 3 * config.block_size - limits_prompts.shape[1]
    limits = likelihood_limits(
        limits_key,
        ref_params,
        model,
        data.vocab,
        lambda params: evaluate_loss(params, {})["val_loss"],
        np.asarray(limits_prompts),
        limits_new,
        config.sharp_tau,
    )
    lap("likelihood_limits")
    weights = np.asarray(token_rewards(reward_params))
    return {
        "data": data,
        "model": model,
        "ref_params": ref_params,
        "ref_val_loss": ref_val_loss,
        "pretrain_losses": pretrain_losses,
        "n_pairs": int(pairs.chosen.shape[0]),
        "pairs_from": config.preferences or "reference samples, Bradley-Terry labels",
        "reward_losses": np.asarray(reward_losses).tolist(),
        "reward_accuracy": reward_accuracy,
        "token_rewards": dict(zip(data.vocab.chars, weights.tolist(), strict=True)),
        "dpo": dpo_curve,
        "reinforce": rl_curves,
        "limits": limits,
        "seconds": time.perf_counter() - started,
        "stage_seconds": stage_seconds,
    }
