"""Lesson 07 exercises, NLP and sequence modeling: run `jlr check 07`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy. The
checker runs your functions on fixed random inputs and compares them with flax, jax.nn,
jax.vjp, numpy in float64 or a closed form; `jlr progress` shows what you have done. Shapes
follow docs/notation.md: ids (seq,), activations (seq, d_model), heads (n_heads, seq,
d_head); a dense layer {"w": (d_in, d_out), "b": (d_out,)} computes x w + b.
"""

from collections.abc import Callable, Sequence

import jax


def build_vocab(tokens: Sequence[str], min_freq: int) -> list[str]:
    """A word-level vocabulary from a list of tokens: the list of tokens, id i = position i.

    First the four special tokens, in this order: "<pad>", "<unk>", "<bos>", "<eos>" (a
    token of the input spelled like one of them is not counted again). Then every token
    seen at least min_freq times, most frequent first; tokens with the same count in
    code-point order (Python's sorted order of strings). -> list[str]
    """
    raise NotImplementedError


def embedding_backward(ids: jax.Array, grad_out: jax.Array, vocab: int) -> jax.Array:
    """The gradient of an embedding table, by hand (no jax.grad / jax.vjp).

    The forward pass is x = table[ids]: ids (seq,) ints in [0, vocab) -> x (seq, d_model).
    Given grad_out = dL/dx: (seq, d_model), return dL/dtable: (vocab, d_model). Hint: the
    lookup is onehot(ids) @ table; an id may occur several times.
    """
    raise NotImplementedError


def gru_step(params: dict, h: jax.Array, x: jax.Array) -> jax.Array:
    """One GRU step in flax's GRUCell convention (row vectors, gates in the order r, z, n):

        [xr, xz, xn] = x w_x + b_x                  w_x: (d_in, 3 d_hidden), b_x: (3 d_hidden,)
        [hr, hz, hn] = h w_h                        w_h: (d_hidden, 3 d_hidden)
        r = sigmoid(xr + hr),  z = sigmoid(xz + hz)
        n = tanh(xn + r * (hn + b_hn))              b_hn: (d_hidden,)
        h' = (1 - z) * n + z * h

    params = {"w_x", "b_x", "w_h", "b_hn"}; h: (d_hidden,), x: (d_in,) -> h': (d_hidden,).
    Split each (3 d_hidden) vector into three consecutive blocks of d_hidden.
    """
    raise NotImplementedError


def jacobian_products(jacobians: jax.Array) -> jax.Array:
    """Backpropagation through time's products of step Jacobians.

    jacobians: (T, d, d), jacobians[t] = J_t = dh_{t+1} / dh_t. Return P: (T, d, d) with
    P[t] = dh_T / dh_t = J_{T-1} J_{T-2} ... J_t (so P[T-1] = J_{T-1}). Hint: accumulate
    from the end, one matmul per step.
    """
    raise NotImplementedError


def causal_attention(q: jax.Array, k: jax.Array, v: jax.Array):
    """Causal scaled dot-product attention for one sequence, from scratch.

    weights = softmax(q k^T / sqrt(d_head)) over the keys, with query i allowed keys j <= i
    only; out = weights v. q, k: (seq, d_head), v: (seq, d_v) -> (out: (seq, d_v),
    weights: (seq, seq)). jax.nn.dot_product_attention is off limits.
    """
    raise NotImplementedError


def multi_head_attention(params: dict, x: jax.Array, n_heads: int) -> jax.Array:
    """Causal multi-head self-attention for one sequence x: (seq, d_model) -> (seq, d_model).

    params = {"q", "k", "v", "o"}, each a dense layer {"w": (d_model, d_model), "b":
    (d_model,)}. Q = x w_q + b_q (likewise K, V); head h takes features h * d_head ...
    (h + 1) * d_head - 1 of Q, K and V (d_head = d_model / n_heads) and attends causally,
    scaled by sqrt(d_head); the heads' outputs are concatenated in order (seq, d_model) and
    projected by "o". You may use jax.nn.dot_product_attention for the per-head attention.
    """
    raise NotImplementedError


def decoder_block(
    params: dict, x: jax.Array, attend: Callable[[dict, jax.Array], jax.Array]
) -> jax.Array:
    """One GPT block, pre-LayerNorm: x: (seq, d_model) -> (seq, d_model).

        x = x + attend(params["attn"], LN_1(x))
        x = x + gelu(LN_2(x) W_fc + b_fc) W_proj + b_proj

    LN(x) = scale * (x - mean) / sqrt(var + 1e-5) + bias over the d_model features of each
    token (biased variance), params["ln_1"] = {"scale", "bias"} (likewise "ln_2");
    params["mlp"] = {"fc": {"w", "b"}, "proj": {"w", "b"}}; gelu = jax.nn.gelu. attend is
    given: causal multi-head attention (seq, d_model) -> (seq, d_model). Write the layer norm
    and the dense layers yourself (jlr's layer_norm and linear are the library's answer).
    """
    raise NotImplementedError


def sinusoidal_positions(seq: int, d_model: int) -> jax.Array:
    """The sinusoidal positional encoding P: (seq, d_model), d_model even.

    P[t, 2j] = sin(t theta_j), P[t, 2j + 1] = cos(t theta_j), theta_j = 10000^(-2j / d_model),
    for positions t = 0 .. seq - 1 and pairs j = 0 .. d_model / 2 - 1.
    """
    raise NotImplementedError


def apply_rope(x: jax.Array, positions: jax.Array) -> jax.Array:
    """Rotary position embedding: rotate each feature pair of x by its position's angle.

    x: (seq, d_head), d_head even; positions: (seq,) -> (seq, d_head). With a = positions[t]
    * theta_j, theta_j = 10000^(-2j / d_head), the pair (x[t, 2j], x[t, 2j + 1]) becomes
        (x_2j cos a - x_2j+1 sin a,  x_2j sin a + x_2j+1 cos a).
    """
    raise NotImplementedError


def top_k_probs(logits: jax.Array, k: int, temperature: float) -> jax.Array:
    """The distribution a sampler draws the next token from, with temperature and top-k.

    logits: (vocab,) -> probs: (vocab,): p = softmax(logits / temperature), then every
    token outside the k most probable gets probability 0 and the rest are renormalised to
    sum to 1. (No ties among the logits.)
    """
    raise NotImplementedError


def top_p_probs(logits: jax.Array, top_p: float) -> jax.Array:
    """Nucleus (top-p) filtering: logits (vocab,) -> probs (vocab,).

    p = softmax(logits). Sort the tokens by decreasing p and keep the smallest prefix whose
    total mass is >= top_p (always at least the most probable token); the others get 0 and
    the kept ones are renormalised. (No ties among the logits.)
    """
    raise NotImplementedError
