r"""The limits of likelihood-based evaluation, measured on the alignment project's reference LM.

1. Two models with equal perplexity, different samples. Scaling the final layer norm's gain
   and bias by 1/tau scales every logit by 1/tau, so the model M_tau predicts softmax(z / tau):
   two parameter vectors changed, and sampling M_tau at temperature 1 is sampling M at
   temperature tau. Near tau = 1 the validation loss L(tau) is flat (tau = 1 is close to its
   minimum for a trained model), so a sharpened model (tau < 1) and a flattened one (tau > 1)
   are found with the *same* L (bisection on tau > 1 for L(tau_flat) = L(tau_sharp)). Their
   samples differ: the sharp one repeats itself, the flat one is diverse and noisy.
2. Decoding at equal likelihood. One model, so one perplexity, sampled by greedy decoding
   (top_k = 1), two temperatures and nucleus (top-p) sampling: distinct-n and the repetition
   rate of the samples move a lot, and greedy text, the most repetitive, is the one the model
   itself finds most likely (lowest nats per character): likelihood does not measure quality.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jlr.alignment.dpo import token_logprobs
from jlr.alignment.reinforce import sample_completions
from jlr.models.transformer import TransformerConfig, transformer
from jlr.text.char_vocab import CharVocab
from jlr.text.sample_metrics import distinct_n, repetition_rate

DIVERSITY_N = 4  # n of distinct-n and the repetition rate on long samples (character 4-grams)
DECODINGS = {  # name: the sampling filters of `jlr.models.sampling`
    "greedy (top_k=1)": {"top_k": 1},
    "temperature 0.7": {"temperature": 0.7},
    "temperature 1.0": {"temperature": 1.0},
    "top_p 0.9": {"top_p": 0.9},
}


def sharpened(params: dict, tau: float) -> dict:
    """The model M_tau: the final layer norm's scale and bias divided by tau, so logits / tau."""
    ln_f = {name: value / tau for name, value in params["ln_f"].items()}
    return {**params, "ln_f": ln_f}


def equal_loss_temperature(
    loss_at, tau_sharp: float, *, high: float = 4.0, iterations: int = 20
) -> float:
    """tau_flat > 1 with loss_at(tau_flat) = loss_at(tau_sharp), by bisection on [1, high]
    (loss_at increasing there); `high` if even M_high's loss stays below the target, and 1.0
    if loss_at(1) already exceeds it (an under-confident model, which sharpening improves:
    no flatter model then matches the sharp one)."""
    target = loss_at(tau_sharp)
    low = 1.0
    if loss_at(low) >= target:
        return low
    if loss_at(high) <= target:
        return high
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if loss_at(middle) < target else (low, middle)
    return 0.5 * (low + high)


@partial(jax.jit, static_argnames=("config",))
def chunked_logprob(params: dict, ids: jax.Array, mask: jax.Array, config: TransformerConfig):
    """Log-probability of sequences longer than the context, in windows of block_size + 1
    that overlap by one token (each window's tokens see only the window before them):
    ids, mask (batch, 1 + k block_size) -> (batch,)."""
    batch, length = ids.shape
    block = config.block_size
    n_windows = (length - 1) // block
    starts = jnp.arange(n_windows) * block  # (n_windows,)
    offsets = starts[:, None] + jnp.arange(block + 1)  # (n_windows, block + 1)
    windows = ids[:, offsets].reshape(batch * n_windows, block + 1)  # (batch n_windows, block+1)
    window_mask = mask[:, offsets].reshape(batch * n_windows, block + 1)
    logits = transformer(params, windows[:, :-1], config)  # (batch n_windows, block, vocab)
    scored = token_logprobs(logits, windows[:, 1:]) * window_mask[:, 1:]
    return scored.reshape(batch, -1).sum(axis=-1)


def sample_rows(key, params, config, vocab: CharVocab, prompts, n_new: int, **decoding):
    """Sampled ids (n, n_prompt + n_new) and the generated texts (prompt left out)."""
    ids = sample_completions(key, params, config, jnp.asarray(prompts), n_new, **decoding)
    n_prompt = prompts.shape[1]
    return ids, [vocab.decode(row[n_prompt:]) for row in np.asarray(ids)]


def sample_stats(params, config, ids, texts, n_prompt: int) -> dict[str, float]:
    """distinct-n, repetition rate (n = DIVERSITY_N) and the model's nats per generated char."""
    n, length = ids.shape
    mask = (jnp.arange(length) >= n_prompt).astype(jnp.float32)  # (length,)
    mask = jnp.broadcast_to(mask, (n, length))
    logp = chunked_logprob(params, ids, mask, config)  # (n,)
    return {
        "distinct_n": distinct_n(texts, DIVERSITY_N),
        "repetition_rate": repetition_rate(texts, DIVERSITY_N),
        "nats_per_char": float(-jnp.mean(logp) / (length - n_prompt)),
    }


def likelihood_limits(
    key, params, config, vocab, evaluate_loss, prompts, n_new: int, tau_sharp: float
) -> dict:
    """Both studies of the module docstring: {"models": [...], "decodings": [...], "samples"}.

    evaluate_loss(params) -> validation loss (nats per char); prompts (n, n_prompt);
    n_prompt + n_new must be 1 + k block_size for `chunked_logprob`.
    """
    models_key, decoding_key = jax.random.split(key)

    def loss_at(tau: float) -> float:
        return float(evaluate_loss(sharpened(params, tau)))

    tau_flat = equal_loss_temperature(loss_at, tau_sharp)
    rows, samples = [], {}
    for tau in (1.0, tau_sharp, tau_flat):
        model_params = sharpened(params, tau)
        ids, texts = sample_rows(models_key, model_params, config, vocab, prompts, n_new)
        stats = sample_stats(model_params, config, ids, texts, prompts.shape[1])
        rows.append({"tau": tau, "val_loss": loss_at(tau), **stats})
        samples[f"M_tau, tau={tau:.3g}"] = texts[0]
    base_loss = loss_at(1.0)
    decodings = []
    for name, decoding in DECODINGS.items():
        ids, texts = sample_rows(decoding_key, params, config, vocab, prompts, n_new, **decoding)
        stats = sample_stats(params, config, ids, texts, prompts.shape[1])
        decodings.append({"decoding": name, "val_loss": base_loss, **stats})
        samples[name] = texts[0]
    return {"models": rows, "decodings": decodings, "samples": samples}
