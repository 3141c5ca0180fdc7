"""Reference solutions to lesson 07's exercises (``exercises/07_sequence_models.py``).

Where the library computes what an exercise asks for (`jlr.models.rnn`, `jlr.nn.attention`,
`jlr.nn.positional`, `jlr.models.sampling`), the solution calls it, adapting only the
signature: the concept is written once, in the module named for it, and tested there
against its oracle. The rest is written out (the vocabulary, whose library class the check
refuses, and the exercises the library has no function for).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from jlr.models.rnn import gru_cell
from jlr.models.sampling import filtered_probs
from jlr.nn import attention
from jlr.nn.layer_norm import layer_norm
from jlr.nn.linear import linear
from jlr.nn.positional import rope, sinusoidal_encoding

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]

# -- Discrete sequences and tokenization ----------------------------------------------------


def build_vocab(tokens: Sequence[str], min_freq: int) -> list[str]:
    """Specials, then tokens with count >= min_freq by decreasing count, ties by code point."""
    counts = Counter(token for token in tokens if token not in SPECIALS)
    kept = [token for token, count in counts.items() if count >= min_freq]
    return SPECIALS + sorted(kept, key=lambda token: (-counts[token], token))


# -- Embedding layers -----------------------------------------------------------------------


def embedding_backward(ids: jax.Array, grad_out: jax.Array, vocab: int) -> jax.Array:
    """dL/dtable = onehot(ids)^T dL/dx: each row sums the gradients where its id occurs."""
    table_grad = jnp.zeros((vocab, grad_out.shape[-1]), grad_out.dtype)
    return table_grad.at[ids].add(grad_out)  # (vocab, d_model); repeated ids accumulate


# -- Recurrent networks ---------------------------------------------------------------------


def gru_step(params: dict, h: jax.Array, x: jax.Array) -> jax.Array:
    """One GRU step in flax's convention (`jlr.models.rnn.gru_cell`)."""
    return gru_cell(params, h, x)


# -- Limitations of recurrence --------------------------------------------------------------


def jacobian_products(jacobians: jax.Array) -> jax.Array:
    """P[t] = J_{T-1} ... J_t, accumulated backwards from P[T-1] = J_{T-1}."""

    def back(product, jacobian):  # product = dh_T / dh_{t+1}
        product = product @ jacobian  # dh_T / dh_t: (d, d)
        return product, product

    identity = jnp.eye(jacobians.shape[-1], dtype=jacobians.dtype)
    _, products = jax.lax.scan(back, identity, jacobians, reverse=True)
    return products  # (T, d, d)


# -- Self-attention -------------------------------------------------------------------------


def causal_attention(q: jax.Array, k: jax.Array, v: jax.Array):
    """softmax(q k^T / sqrt(d_head) + causal mask) v, with the weights."""
    return attention.dot_product_attention(q, k, v, is_causal=True)


# -- Query, key, value formulation ----------------------------------------------------------


def multi_head_attention(params: dict, x: jax.Array, n_heads: int) -> jax.Array:
    """Causal multi-head self-attention of one sequence (`jlr.nn.attention`)."""
    out, _ = attention.multi_head_attention(params, x, n_heads=n_heads, is_causal=True)
    return out


# -- Transformer architecture ---------------------------------------------------------------


def decoder_block(
    params: dict, x: jax.Array, attend: Callable[[dict, jax.Array], jax.Array]
) -> jax.Array:
    """x + attn(LN_1(x)), then x + MLP(LN_2(x)): pre-LN, the stream never normalised."""
    x = x + attend(params["attn"], layer_norm(params["ln_1"], x))
    hidden = jax.nn.gelu(linear(params["mlp"]["fc"], layer_norm(params["ln_2"], x)))
    return x + linear(params["mlp"]["proj"], hidden)  # (seq, d_ff) -> (seq, d_model)


# -- Positional encoding --------------------------------------------------------------------


def sinusoidal_positions(seq: int, d_model: int) -> jax.Array:
    """P[t, 2j] = sin(t theta_j), P[t, 2j + 1] = cos(t theta_j) (`jlr.nn.positional`)."""
    return sinusoidal_encoding(jnp.arange(seq), d_model)


def apply_rope(x: jax.Array, positions: jax.Array) -> jax.Array:
    """Rotate feature pairs (2j, 2j + 1) by positions * theta_j (`jlr.nn.positional.rope`)."""
    return rope(x, positions)


# -- The mini-project: sampling -------------------------------------------------------------


def top_k_probs(logits: jax.Array, k: int, temperature: float) -> jax.Array:
    """softmax(logits / temperature) kept on the k most probable tokens, renormalised."""
    return filtered_probs(logits, temperature=temperature, top_k=k)


def top_p_probs(logits: jax.Array, top_p: float) -> jax.Array:
    """softmax(logits) kept on the smallest most-probable prefix of mass >= top_p."""
    return filtered_probs(logits, top_p=top_p)
