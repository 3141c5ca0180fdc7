r"""A GPT-style Transformer language model (Radford et al. 2018, 2019; nanoGPT's layout).

Built from `jlr.nn`: token embedding with a tied unembedding (`jlr.nn.embedding`),
positions (`jlr.nn.positional`: learned, sinusoidal or rotary), multi-head causal
self-attention in the (batch, n_heads, seq, d_head) layout (`jlr.nn.attention`), layer norm
(`jlr.nn.layer_norm`) and the dense layer with the XLA:CPU-friendly backward pass
(`jlr.nn.linear.fast_linear`). With d_model = n_embd, n_heads = n_head, n_layers = n_layer,
d_ff = 4 d_model, for ids: (batch, seq):

    x_0 = E[ids] + P[0:seq]                        (batch, seq, d_model), the residual stream
    x   = x + attn(ln_1(x))                        each of the n_layers blocks, pre-LayerNorm:
    x   = x + mlp(ln_2(x))                         the stream itself is never normalised
    mlp(h) = gelu(h W_fc + b_fc) W_proj + b_proj   (.., d_model) -> (.., d_ff) -> (.., d_model)
    logits = ln_f(x) E^T                           (batch, seq, vocab), the embedding tied

Each block only *adds* to the residual stream, so at initialisation (residual projections
small) the model is close to the identity plus the embedding, and gradients reach the first
block through the sum unchanged. Attention is causal: logits[:, t] depend on ids[:, :t+1]
only, so one forward pass scores every next-token prediction of the sequence at once.

Mixed precision (`compute_dtype="bfloat16"`): every dense layer's matmuls (forward and both
backward products) take bfloat16 operands and accumulate in float32
(`preferred_element_type=float32`), which reaches the CPU's AMX units or a GPU's tensor
cores; the parameters stay float32 ("master weights"), and layer norm, softmax, both
attention products (scores and the mixing of the values), the tied logits and the loss are
float32. bfloat16 keeps float32's exponent
range, so no loss scaling is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from jlr.errors import UserError
from jlr.nn.attention import multi_head_attention
from jlr.nn.causal_lm import masked_mean_nats
from jlr.nn.dropout import dropout
from jlr.nn.embedding import embed, init_embedding, unembed
from jlr.nn.layer_norm import init_layer_norm, layer_norm
from jlr.nn.linear import fast_linear
from jlr.nn.positional import learned_positions, sinusoidal_encoding
from jlr.probability.cross_entropy import softmax_cross_entropy

POSITIONALS = ("learned", "sinusoidal", "rope")
COMPUTE_DTYPES = ("float32", "bfloat16")
INIT_STD = 0.02  # GPT-2's N(0, 0.02^2) for every weight matrix and embedding


@dataclass(frozen=True)
class TransformerConfig:
    """The architecture (nanoGPT's names): n_embd = d_model, n_head = n_heads, n_layer =
    n_layers; block_size is the longest sequence (the context window).

    dropout: drop probability on the embeddings, the attention weights, and each block's two
    outputs before they join the residual stream (training only). Hashable, so it can be a
    static argument of `jax.jit`. Invalid values raise a one-line UserError.
    """

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    positional: str = "learned"
    compute_dtype: str = "float32"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(f"{name}={value!r} must be a positive integer")
        if self.n_embd % self.n_head:
            raise UserError(
                f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}; each head "
                f"gets n_embd / n_head features: pick n_embd a multiple of {self.n_head}"
            )
        if self.positional not in POSITIONALS:
            raise UserError(
                f"positional={self.positional!r}; choose one of: {', '.join(POSITIONALS)}"
            )
        if self.positional == "rope" and self.d_head % 2:
            raise UserError(
                f"rope needs an even head width; n_embd / n_head = {self.d_head} is odd"
            )
        if self.positional == "sinusoidal" and self.n_embd % 2:
            raise UserError(f"sinusoidal positions need an even n_embd, got {self.n_embd}")
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"dropout={self.dropout} must lie in [0, 1)")
        if self.compute_dtype not in COMPUTE_DTYPES:
            raise UserError(
                f"compute_dtype={self.compute_dtype!r}; choose one of: {', '.join(COMPUTE_DTYPES)}"
            )

    @property
    def d_head(self) -> int:
        return self.n_embd // self.n_head


def _init_dense(key: jax.Array, d_in: int, d_out: int, std: float) -> dict[str, jax.Array]:
    """{"w": (d_in, d_out) ~ N(0, std^2), "b": zeros (d_out,)}, `jlr.nn.linear`'s layout."""
    return {"w": std * jax.random.normal(key, (d_in, d_out)), "b": jnp.zeros((d_out,))}


def _init_block(key: jax.Array, d_model: int, residual_std: float) -> dict:
    q_key, k_key, v_key, o_key, fc_key, proj_key = jax.random.split(key, 6)
    attn = {
        name: _init_dense(layer_key, d_model, d_model, INIT_STD)
        for name, layer_key in (("q", q_key), ("k", k_key), ("v", v_key))
    }
    attn["o"] = _init_dense(o_key, d_model, d_model, residual_std)
    return {
        "ln_1": init_layer_norm(d_model),
        "attn": attn,
        "ln_2": init_layer_norm(d_model),
        "mlp": {
            "fc": _init_dense(fc_key, d_model, 4 * d_model, INIT_STD),
            "proj": _init_dense(proj_key, 4 * d_model, d_model, residual_std),
        },
    }


def init_transformer(key: jax.Array, config: TransformerConfig) -> dict:
    """GPT-2 initialisation: every weight matrix and embedding ~ N(0, 0.02^2), biases 0,
    layer norms (scale 1, bias 0); the two projections that write into the residual stream
    (attn "o", mlp "proj") use std 0.02 / sqrt(2 n_layer), so the stream's variance after
    the 2 n_layer additions stays near that of the embedding.

    {"embed": {"table": (vocab, d_model)}, "positions": {"table": (block_size, d_model)}
    (learned positions only), "blocks": [n_layer x {"ln_1", "attn": {"q", "k", "v", "o"},
    "ln_2", "mlp": {"fc", "proj"}}], "ln_f"}.
    """
    embed_key, position_key, *block_keys = jax.random.split(key, 2 + config.n_layer)
    residual_std = INIT_STD / math.sqrt(2 * config.n_layer)
    params = {
        "embed": init_embedding(embed_key, config.vocab_size, config.n_embd, std=INIT_STD),
        "blocks": [_init_block(k, config.n_embd, residual_std) for k in block_keys],
        "ln_f": init_layer_norm(config.n_embd),
    }
    if config.positional == "learned":
        params["positions"] = init_embedding(
            position_key, config.block_size, config.n_embd, std=INIT_STD
        )
    return params


# Mixed precision: the dense layer of `jlr.nn.linear.fast_linear` (same custom backward
# pass, dW^T = dot(g, x) over the flattened token axis) with every product taking bfloat16
# operands and accumulating in float32. Without the custom VJP, autodiff would form the
# backward products from the float32 cotangent, i.e. in float32.


@jax.custom_vjp
def bf16_linear(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    """y = x W + b with bf16 operands, f32 accumulation:  x: (..., d_in) -> (..., d_out) f32.

    params and x stay float32 (the casts happen inside); gradients come back float32.
    """
    return _bf16_dot(x, params["w"]) + params["b"]


def _bf16_dot(a: jax.Array, b: jax.Array, contract: str = "...i,io->...o") -> jax.Array:
    bf16 = jnp.bfloat16
    return jnp.einsum(contract, a.astype(bf16), b.astype(bf16), preferred_element_type=jnp.float32)


def _bf16_linear_fwd(params, x):
    # the primal without calling bf16_linear, so that forward-over-reverse works
    return _bf16_dot(x, params["w"]) + params["b"], (params, x)


def _bf16_linear_bwd(residuals, g):
    params, x = residuals
    w = params["w"]
    d_in, d_out = w.shape
    g_tokens = g.reshape(-1, d_out)  # (n_tokens, d_out)
    x_tokens = x.reshape(-1, d_in)  # (n_tokens, d_in)
    dw = _bf16_dot(g_tokens, x_tokens, "to,ti->oi").T  # (d_in, d_out), as fast_linear's
    dx = _bf16_dot(g, w, "...o,io->...i")  # (..., d_in) = g W^T
    db = g_tokens.sum(axis=0)  # (d_out,), float32
    return {"w": dw.astype(w.dtype), "b": db.astype(params["b"].dtype)}, dx.astype(x.dtype)


bf16_linear.defvjp(_bf16_linear_fwd, _bf16_linear_bwd)


def dense_layer(compute_dtype: str):
    """The dense layer for a compute dtype: `fast_linear` (float32) or `bf16_linear`."""
    return bf16_linear if compute_dtype == "bfloat16" else fast_linear


def _split_key(key: jax.Array | None, n: int) -> list[jax.Array | None]:
    return [None] * n if key is None else list(jax.random.split(key, n))


def _block(
    params: dict,
    x: jax.Array,
    config: TransformerConfig,
    rope_positions: jax.Array | None,
    key: jax.Array | None,
    need_weights: bool,
) -> tuple[jax.Array, jax.Array | None]:
    """One pre-LN block: x: (batch, seq, d_model) -> same, weights (batch, n_heads, seq, seq)
    (None unless need_weights: training then attends by `blocked_causal_attention`)."""
    attn_key, attn_out_key, mlp_out_key = _split_key(key, 3)
    dense = dense_layer(config.compute_dtype)
    attended, weights = multi_head_attention(
        params["attn"],
        layer_norm(params["ln_1"], x),
        n_heads=config.n_head,
        is_causal=True,
        rope_positions=rope_positions,
        drop_prob=config.dropout,
        key=attn_key,
        dense=dense,
        need_weights=need_weights,
    )  # (batch, seq, d_model), (batch, n_heads, seq, seq) or None
    x = x + dropout(attended, config.dropout, key=attn_out_key)
    hidden = jax.nn.gelu(dense(params["mlp"]["fc"], layer_norm(params["ln_2"], x)))  # (.., d_ff)
    x = x + dropout(dense(params["mlp"]["proj"], hidden), config.dropout, key=mlp_out_key)
    return x, weights


def transformer(
    params: dict,
    ids: jax.Array,
    config: TransformerConfig,
    *,
    key: jax.Array | None = None,
    return_attention: bool = False,
) -> jax.Array | tuple[jax.Array, jax.Array]:
    """Next-token logits: ids (batch, seq) ints in [0, vocab), seq <= block_size
    -> logits (batch, seq, vocab) float32; logits[b, t] score the token after ids[b, t].

    Takes a batch for speed (every matmul sees batch * seq tokens). key: dropout's key in
    training (config.dropout > 0); None is evaluation, deterministic. return_attention=True
    also returns every layer's attention weights, (n_layer, batch, n_head, seq, seq), rows
    summing to 1 and zero above the diagonal.
    """
    seq = ids.shape[-1]
    if seq > config.block_size:
        raise ValueError(f"sequence of {seq} tokens exceeds block_size={config.block_size}")
    embed_key, *block_keys = _split_key(key, 1 + config.n_layer)
    positions = jnp.arange(seq)
    x = embed(params["embed"], ids)  # (batch, seq, d_model)
    if config.positional == "learned":
        x = x + learned_positions(params["positions"], positions)  # + (seq, d_model)
    elif config.positional == "sinusoidal":
        x = x + sinusoidal_encoding(positions, config.n_embd)  # + (seq, d_model)
    rope_positions = positions if config.positional == "rope" else None
    x = dropout(x, config.dropout, key=embed_key)
    all_weights = []
    for block_params, block_key in zip(params["blocks"], block_keys, strict=True):
        x, weights = _block(block_params, x, config, rope_positions, block_key, return_attention)
        all_weights.append(weights)
    logits = unembed(params["embed"], layer_norm(params["ln_f"], x))  # (batch, seq, vocab)
    if return_attention:
        return logits, jnp.stack(all_weights)  # (n_layer, batch, n_head, seq, seq)
    return logits


def lm_loss(
    params: dict,
    ids: jax.Array,
    targets: jax.Array,
    config: TransformerConfig,
    *,
    key: jax.Array | None = None,
    mask: jax.Array | None = None,
) -> jax.Array:
    """Mean next-token cross-entropy in nats: ids, targets (batch, seq) -> ().

    targets[b, t] is the token after ids[b, t] (nanoGPT's x = text[i:i+T], y =
    text[i+1:i+T+1]); exp(loss) is the perplexity. key as in `transformer`. mask: (batch,
    seq) weights, 1 for real targets and 0 for padding: the mean is then over real targets
    only (`jlr.nn.causal_lm.masked_mean_nats`); None scores every position.
    """
    logits = transformer(params, ids, config, key=key)  # (batch, seq, vocab)
    if mask is None:
        return jnp.mean(softmax_cross_entropy(logits, targets))
    return masked_mean_nats(logits, targets, mask)


def n_params(params: dict) -> int:
    """Number of scalar parameters (the tied embedding counted once)."""
    return sum(leaf.size for leaf in jax.tree.leaves(params))
