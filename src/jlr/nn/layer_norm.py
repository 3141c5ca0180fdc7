"""Layer normalization (Ba, Kiros & Hinton 2016): normalise each example over its features.

    mu = mean(x),  var = mean((x - mu)^2)      over the normalised (trailing) axes of one example
    y = scale * (x - mu) / sqrt(var + eps) + bias

Why transformers use layer norm and CNNs batch norm. Layer norm's statistics belong to one
token: its output does not depend on the other examples in the batch, nor on the other
positions of the sequence, so it is the same function in training and evaluation, works at
batch size 1 (autoregressive decoding, one token at a time), with sequences of any length
and with padding, and needs no running averages. Batch norm (`jlr.nn.batch_norm`) averages
each channel over the batch and every pixel: in a CNN that is many numbers per channel even
for small batches, and the batch noise regularises, but it couples the examples of a batch,
needs running averages for evaluation, and fails at batch 1 or for variable-length
sequences, where position t of one sequence would be averaged with padding of another.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def init_layer_norm(shape: int | tuple[int, ...]) -> dict[str, jax.Array]:
    """{"scale": ones, "bias": zeros}, each of `shape`: the trailing axes to normalise over
    (an int for the last axis only, e.g. d_model), as torch.nn.LayerNorm(normalized_shape)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return {"scale": jnp.ones(shape), "bias": jnp.zeros(shape)}


def layer_norm(params: dict[str, jax.Array], x: jax.Array, eps: float = 1e-5) -> jax.Array:
    """x: (..., *shape) -> same shape; statistics over the trailing params["scale"].ndim axes.

    For a Transformer, x: (seq, d_model) with params of shape (d_model,): one mean and one
    variance per token. eps is added to the variance (flax's `epsilon`, default 1e-6 there).
    """
    axes = tuple(range(x.ndim - params["scale"].ndim, x.ndim))
    mean = jnp.mean(x, axis=axes, keepdims=True)  # (..., 1, ..., 1)
    var = jnp.mean((x - mean) ** 2, axis=axes, keepdims=True)  # biased, as flax and PyTorch
    return params["scale"] * (x - mean) * jax.lax.rsqrt(var + eps) + params["bias"]
