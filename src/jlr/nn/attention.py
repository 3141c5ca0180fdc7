"""Self-attention (Vaswani et al. 2017, "Attention is all you need"), written from scratch.

Each query asks every key how well it matches and takes the values in those proportions:

    A = softmax(Q K^T / sqrt(d_head) + M),   out = A V,   M_ij = -inf where i may not see j

Rows of the attention weights A sum to 1. A causal mask (M_ij = -inf for j > i) lets token i
see only tokens 0..i, so a language model cannot read the token it predicts. Multi-head
attention projects x: (seq, d_model) to n_heads sets of queries, keys and values of width
d_head = d_model / n_heads, attends in each head separately, and mixes the heads' outputs
with a last projection.

Layout: the heads sit before the sequence, (batch, n_heads, seq, d_head), so both attention
matmuls are batched over (batch, n_heads) with the contracted axes innermost; the projections
produce (batch, seq, n_heads, d_head) and are transposed once. On a 2-core CPU a GPT step
(6 layers, d_model 384, seq 256, batch 64) took 7.3 s with attention computed in the
(batch, seq, n_heads, d_head) layout and 5.9 s in this one (issue 13): XLA:CPU's batched
dots of the backward pass crawl when the batch axes are not in front.

Without positions, attention is permutation equivariant: permuting the tokens permutes the
output rows the same way. Order enters through a causal mask or a positional encoding
(`jlr.nn.positional`); RoPE is applied here, to q and k, when `rope_positions` is given.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jlr.nn.dropout import dropout
from jlr.nn.linear import init_linear, linear
from jlr.nn.positional import rope


def causal_mask(seq_q: int, seq_k: int | None = None) -> jax.Array:
    """(seq_q, seq_k) bool, True where query i may attend to key j, i.e. j <= i.

    seq_k defaults to seq_q. Aligned at the top left, as `jax.nn.dot_product_attention`'s
    is_causal: query i sees keys 0..i whatever seq_k is.
    """
    seq_k = seq_q if seq_k is None else seq_k
    return jnp.tril(jnp.ones((seq_q, seq_k), dtype=bool))


def padding_mask(valid: jax.Array) -> jax.Array:
    """valid: (..., seq) bool, True for real tokens -> (..., 1, 1, seq) key mask.

    Broadcasts against scores (..., n_heads, seq_q, seq): no query attends to a padding key.
    Combine with a causal mask by `&`. Padded queries still produce outputs: ignore them in
    the loss.
    """
    return valid[..., None, None, :]


def dot_product_attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    *,
    mask: jax.Array | None = None,
    is_causal: bool = False,
    drop_prob: float = 0.0,
    key: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    r"""Scaled dot-product attention, heads (and batch) as leading axes.

        scores = q k^T / sqrt(d_head)                      where mask, else -inf (see below)
        weights = softmax(scores) over the keys,           out = weights v

    q: (..., seq_q, d_head), k: (..., seq_k, d_head), v: (..., seq_k, d_v)
      -> out: (..., seq_q, d_v), weights: (..., seq_q, seq_k), each row summing to 1.
    The leading axes are typically (batch, n_heads). mask: bool, broadcastable to
    (..., seq_q, seq_k), True where a query may attend to a key; is_causal ands in
    `causal_mask(seq_q, seq_k)`. Masked scores are set to the dtype's most negative finite
    number, so their weights are exactly 0, and a query allowed no key at all gets uniform
    weights rather than NaN (as `jax.nn.dot_product_attention`). Scores and softmax are
    computed in at least float32, so bf16 inputs get float32 weights.

    drop_prob with a key applies dropout to the weights before they mix the values (key=None:
    no dropout); the returned weights are those before dropout.
    """
    d_head = q.shape[-1]
    score_dtype = jnp.promote_types(q.dtype, jnp.float32)
    scores = jnp.einsum("...qd,...kd->...qk", q, k, preferred_element_type=score_dtype)
    scores = scores / math.sqrt(d_head)  # (..., seq_q, seq_k), a Python float keeps the dtype
    if is_causal:
        causal = causal_mask(q.shape[-2], k.shape[-2])
        mask = causal if mask is None else mask & causal
    if mask is not None:
        scores = jnp.where(mask, scores, jnp.finfo(score_dtype).min)
    weights = jax.nn.softmax(scores, axis=-1)  # (..., seq_q, seq_k), rows sum to 1
    mixing = dropout(weights, drop_prob, key=key).astype(v.dtype)
    out = jnp.einsum("...qk,...kd->...qd", mixing, v)  # (..., seq_q, d_v)
    return out, weights


def blocked_causal_attention(
    q: jax.Array, k: jax.Array, v: jax.Array, *, block: int = 64
) -> jax.Array:
    r"""Causal `dot_product_attention` by query blocks, keeping no attention weights for the
    backward pass: the output only, the same values (up to the order of float sums).

    q, k, v: (..., seq, d_head) -> out: (..., seq, d_head). The queries are cut into blocks of
    `block` rows (one block when seq is not a multiple of it, or not above it); block i,
    queries i m ... (i + 1) m - 1, is scored against keys 0 ... (i + 1) m - 1 only, the keys
    it may see, so the fully masked part of the score matrix is never computed: with b
    blocks, (b + 1) / 2b of it is. The backward pass recomputes each block's weights P from
    q and k, as FlashAttention does (Dao et al. 2022), instead of storing the
    (..., seq, seq) weights of the forward pass; with dO the cotangent of the output O:

        dV = P^T dO,   dP = dO V^T,   dS = P * (dP - rowsum(dO * O)) / sqrt(d_head),
        dQ = dS K,     dK = dS^T Q

    (rowsum(dO * O) = rowsum(P * dP): the softmax's Jacobian). Why: at a GPT step of 6 layers,
    seq 256, batch 64 and 6 heads, the float32 scores are 100 MB per layer, and on a CPU every
    pass over them (mask, softmax, their backward) is bound by memory bandwidth; here one
    layer's attention, forward and backward, took 224 ms instead of 295 ms
    (benchmarks/bench_transformer.py's notes). Reverse mode only (a `jax.custom_vjp`): use
    `dot_product_attention` for forward mode, for the weights, or with dropout.
    """
    seq = q.shape[-2]
    n_blocks = seq // block if seq > block and seq % block == 0 else 1
    return _blocked_causal(q, k, v, n_blocks)


def _block_mask(m: int, start: int) -> jax.Array:
    """(m, start + m) bool: query start + i may see keys 0 ... start + i (causal, offset)."""
    return jnp.tril(jnp.ones((m, start + m), dtype=bool), k=start)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _blocked_causal(q, k, v, n_blocks):
    return _blocked_causal_fwd(q, k, v, n_blocks)[0]


def _blocked_causal_fwd(q, k, v, n_blocks):
    m = q.shape[-2] // n_blocks
    blocks = []
    for i in range(n_blocks):
        start, stop = i * m, (i + 1) * m
        block_out, _ = dot_product_attention(
            q[..., start:stop, :], k[..., :stop, :], v[..., :stop, :], mask=_block_mask(m, start)
        )  # (..., m, d_head); the weights are not kept
        blocks.append(block_out)
    out = jnp.concatenate(blocks, axis=-2)  # (..., seq, d_head)
    return out, (q, k, v, out)


def _blocked_causal_bwd(n_blocks, residuals, d_out):
    q, k, v, out = residuals
    m = q.shape[-2] // n_blocks
    dtype = jnp.promote_types(q.dtype, jnp.float32)
    d_out = d_out.astype(dtype)
    row_dot = jnp.sum(d_out * out, axis=-1, keepdims=True)  # (..., seq, 1) = rowsum(dO * O)
    dq_blocks, dk, dv = [], jnp.zeros(k.shape, dtype), jnp.zeros(v.shape, dtype)
    for i in range(n_blocks):
        start, stop = i * m, (i + 1) * m
        q_i, d_out_i = q[..., start:stop, :], d_out[..., start:stop, :]
        _, weights = dot_product_attention(
            q_i, k[..., :stop, :], v[..., :stop, :], mask=_block_mask(m, start)
        )  # (..., m, stop), recomputed
        dv = dv.at[..., :stop, :].add(jnp.einsum("...qk,...qd->...kd", weights, d_out_i))
        d_weights = jnp.einsum("...qd,...kd->...qk", d_out_i, v[..., :stop, :])
        d_scores = weights * (d_weights - row_dot[..., start:stop, :]) / math.sqrt(q.shape[-1])
        dq_blocks.append(jnp.einsum("...qk,...kd->...qd", d_scores, k[..., :stop, :]))
        dk = dk.at[..., :stop, :].add(jnp.einsum("...qk,...qd->...kd", d_scores, q_i))
    dq = jnp.concatenate(dq_blocks, axis=-2)
    return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype)


_blocked_causal.defvjp(_blocked_causal_fwd, _blocked_causal_bwd)


def split_heads(x: jax.Array, n_heads: int) -> jax.Array:
    """(..., seq, d_model) -> (..., n_heads, seq, d_head), d_head = d_model / n_heads.

    Head h takes features h * d_head ... (h + 1) * d_head - 1 of each token.
    """
    *lead, seq, d_model = x.shape
    x = x.reshape(*lead, seq, n_heads, d_model // n_heads)  # (..., seq, n_heads, d_head)
    return jnp.swapaxes(x, -3, -2)  # (..., n_heads, seq, d_head)


def merge_heads(x: jax.Array) -> jax.Array:
    """(..., n_heads, seq, d_head) -> (..., seq, d_model), the inverse of `split_heads`."""
    *lead, n_heads, seq, d_head = x.shape
    x = jnp.swapaxes(x, -3, -2)  # (..., seq, n_heads, d_head)
    return x.reshape(*lead, seq, n_heads * d_head)  # (..., seq, d_model)


def init_multi_head_attention(
    key: jax.Array, d_model: int, n_heads: int
) -> dict[str, dict[str, jax.Array]]:
    """{"q", "k", "v", "o"}: four `init_linear(d_model, d_model)` layers (LeCun normal).

    n_heads only checks that it divides d_model: the weights do not depend on it, and
    `multi_head_attention` takes it again.
    """
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
    q_key, k_key, v_key, o_key = jax.random.split(key, 4)
    return {
        name: init_linear(layer_key, d_model, d_model)
        for name, layer_key in zip("qkvo", (q_key, k_key, v_key, o_key), strict=True)
    }


def multi_head_attention(
    params: dict[str, dict[str, jax.Array]],
    x: jax.Array,
    *,
    n_heads: int,
    mask: jax.Array | None = None,
    is_causal: bool = False,
    rope_positions: jax.Array | None = None,
    drop_prob: float = 0.0,
    key: jax.Array | None = None,
    dense: Callable[[dict[str, jax.Array], jax.Array], jax.Array] = linear,
    need_weights: bool = True,
) -> tuple[jax.Array, jax.Array | None]:
    """Multi-head self-attention: x: (..., seq, d_model) -> out: (..., seq, d_model),
    weights: (..., n_heads, seq, seq).

        Q, K, V = x W_q + b_q, x W_k + b_k, x W_v + b_v        each (..., seq, d_model)
        head_h = attention(Q_h, K_h, V_h)                       Q_h: (..., seq, d_head)
        out = concat_h(head_h) W_o + b_o

    x may be one sequence (seq, d_model) or a batch (batch, seq, d_model); a batch is one
    call for speed (the leading axes stay in front of the heads). mask, is_causal, drop_prob
    and key as in `dot_product_attention` (mask broadcasts against (..., n_heads, seq, seq)).
    rope_positions: (seq,) positions to rotate q and k by (`jlr.nn.positional.rope`), or
    None for no rotation. dense computes each projection: `linear`, or
    `jlr.nn.linear.fast_linear` for its faster backward pass on XLA:CPU. need_weights=False
    (training) returns None for the weights, and causal attention with no other mask and no
    dropout then runs as `blocked_causal_attention` (same values, less memory traffic).
    """
    d_model = x.shape[-1]
    if d_model % n_heads:
        raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
    q = split_heads(dense(params["q"], x), n_heads)  # (..., n_heads, seq, d_head)
    k = split_heads(dense(params["k"], x), n_heads)  # (..., n_heads, seq, d_head)
    v = split_heads(dense(params["v"], x), n_heads)  # (..., n_heads, seq, d_head)
    if rope_positions is not None:
        q, k = rope(q, rope_positions), rope(k, rope_positions)
    if not need_weights and is_causal and mask is None and (drop_prob == 0 or key is None):
        heads, weights = blocked_causal_attention(q, k, v), None  # (..., n_heads, seq, d_head)
    else:
        heads, weights = dot_product_attention(
            q, k, v, mask=mask, is_causal=is_causal, drop_prob=drop_prob, key=key
        )  # (..., n_heads, seq, d_head), (..., n_heads, seq, seq)
        weights = weights if need_weights else None
    return dense(params["o"], merge_heads(heads)), weights
