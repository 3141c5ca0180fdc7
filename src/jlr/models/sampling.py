r"""Sampling text from a language model: temperature, top-k and top-p (nucleus) sampling.

From the next-token logits z (vocab,), the distribution sampled is built in three steps:

    temperature:  p = softmax(z / temperature)       < 1 sharpens, > 1 flattens, -> 0 argmax
    top-k:        keep the k most probable tokens (ties with the k-th kept too), renormalise
    top-p:        sort p descending; keep the smallest prefix whose mass is >= top_p (always
                  at least the most probable token; ties kept), renormalise   (Holtzman et al. 2019)

in that order (as Hugging Face's samplers): top-p sees the top-k distribution. A token
outside the kept set gets probability exactly 0.

`generate` extends a prompt one token at a time: each step runs the model on the last
block_size tokens (a fixed-shape window, so one compiled program serves every step, inside
`lax.fori_loop`), samples the next token from the filtered distribution at the window's last
real position, and writes it into a fixed-size buffer. There is no key/value cache: every
step recomputes the window, which is simple and, for the small models here, fast enough.
"""

from __future__ import annotations

import numbers
from functools import partial

import jax
import jax.numpy as jnp

from jlr.errors import UserError
from jlr.models.transformer import TransformerConfig, transformer


def check_sampling(temperature, top_k, top_p) -> None:
    """One-line UserError for temperature <= 0, top_k < 1 or top_p outside (0, 1].

    Traced values (inside jit) cannot be checked and pass through.
    """
    if isinstance(temperature, numbers.Real) and not temperature > 0:
        raise UserError(f"temperature={temperature} must be > 0 (1 samples the model as is)")
    if top_k is not None and isinstance(top_k, numbers.Integral) and top_k < 1:
        raise UserError(f"top_k={top_k} must be at least 1 (or None to keep every token)")
    if top_p is not None and isinstance(top_p, numbers.Real) and not 0.0 < top_p <= 1.0:
        raise UserError(f"top_p={top_p} must lie in (0, 1] (1 keeps every token)")


def filtered_probs(
    logits: jax.Array,
    *,
    temperature: float | jax.Array = 1.0,
    top_k: int | jax.Array | None = None,
    top_p: float | jax.Array | None = None,
) -> jax.Array:
    """The distribution `sample` draws from: logits (..., vocab) -> probs (..., vocab) float32.

    Formula in the module docstring. temperature, top_k and top_p may be traced arrays (one
    compiled program for every value); None turns a filter off.
    """
    check_sampling(temperature, top_k, top_p)
    logits = jnp.asarray(logits, jnp.float32)
    probs = jax.nn.softmax(logits / temperature, axis=-1)  # (..., vocab)
    if top_k is not None:
        descending = -jnp.sort(-probs, axis=-1)  # (..., vocab), largest first
        k = jnp.clip(top_k, 1, probs.shape[-1])
        kth = jnp.take(descending, k - 1, axis=-1)[..., None]  # (..., 1), the k-th largest
        probs = jnp.where(probs >= kth, probs, 0.0)
        probs = probs / probs.sum(axis=-1, keepdims=True)
    if top_p is not None:
        descending = -jnp.sort(-probs, axis=-1)  # (..., vocab)
        cumulative = jnp.cumsum(descending, axis=-1)  # (..., vocab)
        mass_before = jnp.concatenate(  # the mass of the tokens ahead of each one
            [jnp.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], axis=-1
        )
        n_kept = jnp.sum(mass_before < top_p, axis=-1, keepdims=True)  # >= 1: 0 < top_p
        smallest_kept = jnp.take_along_axis(descending, n_kept - 1, axis=-1)  # (..., 1)
        probs = jnp.where(probs >= smallest_kept, probs, 0.0)
        probs = probs / probs.sum(axis=-1, keepdims=True)
    return probs


def sample(
    key: jax.Array,
    logits: jax.Array,
    *,
    temperature: float | jax.Array = 1.0,
    top_k: int | jax.Array | None = None,
    top_p: float | jax.Array | None = None,
) -> jax.Array:
    """One token id per row of logits (..., vocab) -> (...) int32, drawn from `filtered_probs`."""
    probs = filtered_probs(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    return jax.random.categorical(key, jnp.log(probs), axis=-1).astype(jnp.int32)


@partial(jax.jit, static_argnames=("config", "n_new"))
def _generate(key, params, config, prompt_ids, n_new, temperature, top_k, top_p):
    n_prompt = prompt_ids.shape[0]
    total = n_prompt + n_new
    window = min(config.block_size, total)
    tokens = jnp.zeros((total,), jnp.int32).at[:n_prompt].set(prompt_ids)  # (total,)

    def step(i, tokens):
        position = n_prompt + i  # the index being filled
        start = jnp.maximum(position - window, 0)
        context = jax.lax.dynamic_slice(tokens, (start,), (window,))  # (window,)
        logits = transformer(params, context[None], config)[0]  # (window, vocab)
        last = jax.lax.dynamic_index_in_dim(logits, position - 1 - start, keepdims=False)
        token = sample(
            jax.random.fold_in(key, i), last, temperature=temperature, top_k=top_k, top_p=top_p
        )
        return tokens.at[position].set(token)

    return jax.lax.fori_loop(0, n_new, step, tokens)


def generate(
    key: jax.Array,
    params: dict,
    config: TransformerConfig,
    prompt_ids: jax.Array,
    n_new: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> jax.Array:
    """Continue one prompt: prompt_ids (n_prompt,) ints, n_prompt >= 1 -> (n_prompt + n_new,)
    int32, the prompt followed by n_new sampled tokens.

    Token n_prompt + i is drawn with key fold_in(key, i) from `filtered_probs` of the model's
    logits after the (at most block_size) tokens before it. One compiled program per
    (config, n_prompt, n_new, which filters are on); temperature, top_k and top_p values are
    traced, so sampling at several temperatures compiles once.
    """
    check_sampling(temperature, top_k, top_p)
    prompt_ids = jnp.asarray(prompt_ids, jnp.int32)
    if prompt_ids.ndim != 1 or prompt_ids.shape[0] < 1:
        raise UserError(f"the prompt must be at least one token, got shape {prompt_ids.shape}")
    if n_new < 0:
        raise UserError(f"n_new={n_new} must be >= 0")
    as_array = partial(jnp.asarray, dtype=jnp.float32)
    return _generate(
        key,
        params,
        config,
        prompt_ids,
        n_new,
        as_array(temperature),
        None if top_k is None else jnp.asarray(top_k, jnp.int32),
        None if top_p is None else as_array(top_p),
    )
