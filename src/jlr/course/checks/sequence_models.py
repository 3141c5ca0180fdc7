"""Checks for exercises/07_sequence_models.py, each against an independent oracle.

Oracles: a frequency count written here from `collections.Counter` (vocabularies; the
library's `WordVocab` matches Hugging Face `tokenizers` in its own tests), `jax.vjp` of the
table lookup (embedding gradients), flax's `GRUCell` and `MultiHeadDotProductAttention` with
the parameters copied over, float64 numpy loops (Jacobian products, attention weights,
layer norm, positional encodings, sampling filters) and `jax.nn.dot_product_attention`.
Inputs come from fixed seeds and are chosen so that each known mistake (an unscaled score, a
mask the wrong way round, the paper's reset gate, sin and cos in halves, top-p one token
short...) gives an answer far from the right one: the learner then sees that mistake's hint.
Shortcuts an exercise exists to avoid (autodiff for the embedding gradient, jax.nn's
attention, the library's vocabulary) are refused with `jlr.course.guard`; a reference
solution that calls the library is refused to the learner by the checker itself.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import jax
import jax.numpy as jnp
import numpy as np

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_equal, f64
from jlr.course.guard import (
    assert_close_or_distinct_mistake,
    library_namespaces,
    without,
)

TOPICS = section_by_number("07").topics  # the curriculum's titles, in order
TOKENS, EMBEDDING, RECURRENT, LIMITS, SELF_ATTENTION, QKV, TRANSFORMER, POSITIONAL, PROJECT = TOPICS
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
AUTODIFF = {
    name: "the exercise is the gradient written by hand"
    for name in ("jax.grad", "jax.value_and_grad", "jax.vjp", "jax.jacrev", "jax.jacobian")
}
JAX_ATTENTION = {"jax.nn.dot_product_attention": "it is the answer; write the softmax yourself"}


def _normal(seed: int, shape, scale: float = 1.0) -> jax.Array:
    """Fixed standard normals as float32 (numpy's generator: no compile per shape)."""
    return jnp.asarray(scale * np.random.default_rng(seed).normal(size=shape), jnp.float32)


# the guard's comparison at this lesson's default atol
_compare = functools.partial(assert_close_or_distinct_mistake, atol=1e-5)


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- Discrete sequences and tokenization ----------------------------------------------------

BUILDS_IT = "it builds the vocabulary for you; count and sort yourself"
LIBRARY_VOCAB = {"jlr.text.word_vocab.rank_tokens": BUILDS_IT}


@contextmanager
def _vocab_class_refused() -> Iterator[None]:
    """While the block runs, WordVocab's constructors from tokens or text raise CheckFailed
    (guard.without refuses functions; a class is refused by its classmethods)."""
    from jlr.text.word_vocab import WordVocab

    def refused(cls, *args, **kwargs):
        raise CheckFailed(f"jlr.text.WordVocab is off limits here: {BUILDS_IT}")

    originals = {name: WordVocab.__dict__[name] for name in ("from_tokens", "from_text")}
    try:
        for name in originals:
            setattr(WordVocab, name, classmethod(refused))
        yield
    finally:
        for name, original in originals.items():
            setattr(WordVocab, name, original)


def vocab_oracle(tokens, min_freq: int, *, specials=True, strict=False, ties="code point",
                 ascending=False) -> list[str]:  # fmt: skip
    """The vocabulary by a Counter, with optional slips."""
    counts = Counter(t for t in tokens if t not in SPECIALS)
    kept = [t for t, c in counts.items() if (c > min_freq if strict else c >= min_freq)]
    if ties == "code point":
        kept = sorted(kept, key=lambda t: (counts[t] if ascending else -counts[t], t))
    else:  # first appearance: Counter keeps insertion order, sorted() is stable
        kept = sorted(kept, key=lambda t: counts[t] if ascending else -counts[t])
    return (SPECIALS if specials else []) + kept


VOCAB_TEXT = (
    "def f ( x ) : return x + 1 <unk> def g ( y ) : return y * y + f ( y ) "
    "zeta = g ( 2 ) ; alpha = f ( zeta ) ; beta = alpha"
).split()


def check_build_vocab(fn) -> None:
    fn = without(fn, LIBRARY_VOCAB, also_in=library_namespaces())
    for min_freq in (1, 2, 3):
        with _vocab_class_refused():
            got = fn(list(VOCAB_TEXT), min_freq)
        if not isinstance(got, list | tuple) or not all(isinstance(t, str) for t in got):
            raise CheckFailed("return a list of token strings, id i = position i")
        got = list(got)
        mistakes = {
            "start with the four specials <pad>, <unk>, <bos>, <eos>, in that order": (
                vocab_oracle(VOCAB_TEXT, min_freq, specials=False)),
            "keep tokens seen AT LEAST min_freq times (count >= min_freq)": vocab_oracle(
                VOCAB_TEXT, min_freq, strict=True),
            "break ties by code-point order (sorted strings), not by first appearance": (
                vocab_oracle(VOCAB_TEXT, min_freq, ties="appearance")),
            "most frequent tokens first (decreasing count)": vocab_oracle(
                VOCAB_TEXT, min_freq, ascending=True),
        }  # fmt: skip
        expected = vocab_oracle(VOCAB_TEXT, min_freq)
        if got != expected:
            for hint, wrong in mistakes.items():
                if got == wrong and wrong != expected:
                    raise CheckFailed(hint)
            if got.count("<unk>") > 1:
                raise CheckFailed("a token spelled like a special token is not counted again")
        assert_equal(got, expected, what=f"vocabulary with min_freq={min_freq}")


# -- Embedding layers -----------------------------------------------------------------------


def check_embedding_backward(fn) -> None:
    fn = without(fn, AUTODIFF)
    vocab = 9
    ids = jnp.asarray([3, 1, 3, 7, 0, 3, 1])  # repeats; tokens 2, 4, 5, 6, 8 absent
    grad_out = _normal(1, (7, 5))
    table = _normal(2, (vocab, 5))
    _, vjp = jax.vjp(lambda t: jnp.take(t, ids, axis=0), table)
    expected = f64(vjp(grad_out)[0])  # (vocab, d_model)
    counts = np.bincount(np.asarray(ids), minlength=vocab)[:, None]
    got = fn(ids, grad_out, vocab)
    if _kept_one_occurrence(got, np.asarray(ids), f64(grad_out), expected):
        raise CheckFailed(
            "an id that occurs several times collects the SUM of its gradients: .at[ids].add, "
            "not .set"
        )
    _compare(got, expected, {
        "sum the gradients of a token's positions; do not average them": expected / np.maximum(
            counts, 1),
        "dL/dtable has the table's shape (vocab, d_model), one row per token": f64(grad_out),
    }, rtol=1e-5, atol=1e-6, what="dL/dtable")  # fmt: skip


def _kept_one_occurrence(got, ids: np.ndarray, grad_out: np.ndarray, expected) -> bool:
    """Whether each repeated id's row holds ONE of its positions' gradients (what
    `.at[ids].set` leaves) and every other row is right. Which duplicate `.set` keeps is
    unspecified (XLA:CPU keeps the last, a GPU any), so every occurrence is accepted."""
    got = f64(got)
    if got.shape != expected.shape:
        return False
    for token in np.unique(ids):
        rows = grad_out[ids == token]  # (occurrences, d_model)
        if len(rows) == 1:
            if not np.allclose(got[token], expected[token], rtol=1e-5, atol=1e-6):
                return False
        elif not any(np.allclose(got[token], row, rtol=1e-5, atol=1e-6) for row in rows):
            return False
    return True


# -- Recurrent networks ---------------------------------------------------------------------


def _gru_params(seed: int, d_in: int, d_hidden: int) -> dict:
    return {
        "w_x": _normal(seed, (d_in, 3 * d_hidden), 0.6),
        "b_x": _normal(seed + 1, (3 * d_hidden,), 0.5),
        "w_h": _normal(seed + 2, (d_hidden, 3 * d_hidden), 0.6),
        "b_hn": _normal(seed + 3, (d_hidden,), 0.8),
    }


def flax_gru_step(params: dict, h: jax.Array, x: jax.Array) -> jax.Array:
    """flax.linen.GRUCell with the fused (r, z, n) parameters copied over: the oracle."""
    import flax.linen as flax_nn

    w_x, b_x, w_h = (jnp.split(params[n], 3, axis=-1) for n in ("w_x", "b_x", "w_h"))
    flax_params = {f"i{g}": {"kernel": w, "bias": b} for g, w, b in zip("rzn", w_x, b_x,
                                                                       strict=True)}  # fmt: skip
    flax_params |= {f"h{g}": {"kernel": w} for g, w in zip("rzn", w_h, strict=True)}
    flax_params["hn"]["bias"] = params["b_hn"]
    with jax.default_matmul_precision("highest"):
        h_new, _ = flax_nn.GRUCell(h.shape[-1]).apply({"params": flax_params}, h, x)
    return h_new


def gru_variant(params, h, x, *, paper_reset=False, swap_z=False, no_b_hn=False):
    """The GRU step in float64 numpy, with optional slips."""
    p = {name: f64(value) for name, value in params.items()}
    h, x = f64(h), f64(x)
    xr, xz, xn = np.split(x @ p["w_x"] + p["b_x"], 3)
    hr, hz, _ = np.split(h @ p["w_h"], 3)
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    b_hn = 0.0 if no_b_hn else p["b_hn"]
    d = h.shape[-1]
    if paper_reset:
        n = np.tanh(xn + (r * h) @ p["w_h"][:, 2 * d :] + b_hn)
    else:
        n = np.tanh(xn + r * (h @ p["w_h"][:, 2 * d :] + b_hn))
    return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h


def check_gru_step(fn) -> None:
    params = _gru_params(10, 4, 6)
    h, x = _normal(14, (6,)), _normal(15, (4,), 1.5)
    expected = f64(flax_gru_step(params, h, x))
    got = fn(params, h, x)
    _compare(got, expected, {
        "flax's (and PyTorch's) reset gate multiplies (h w_hn + b_hn), AFTER the matmul, not h "
        "before it": gru_variant(params, h, x, paper_reset=True),
        "h' = (1 - z) * n + z * h: z = 1 keeps the OLD state": gru_variant(params, h, x,
                                                                          swap_z=True),
        "the candidate adds b_hn inside the reset gate: r * (h w_hn + b_hn)": gru_variant(
            params, h, x, no_b_hn=True),
    }, rtol=1e-4, atol=1e-5, what="h'")  # fmt: skip


# -- Limitations of recurrence --------------------------------------------------------------


def products_oracle(jacobians, *, order="left", inclusive=True, forward=False) -> np.ndarray:
    """P[t] = J_{T-1} ... J_t in float64, with optional slips."""
    js = f64(jacobians)
    n, d, _ = js.shape
    out = np.zeros_like(js)
    for t in range(n):
        span = range(t, n) if not forward else range(0, t + 1)
        product = np.eye(d)
        for s in span:
            if not inclusive and s == t:
                continue
            product = product @ js[s] if order == "left" else js[s] @ product
        out[t] = product
    return out


def check_jacobian_products(fn) -> None:
    jacobians = _normal(20, (6, 3, 3), 0.7)
    expected = products_oracle(jacobians, order="right")  # J_{T-1} (... (J_{t+1} J_t))
    got = fn(jacobians)
    _compare(got, expected, {
        "multiply later Jacobians on the LEFT: P[t] = J_{T-1} ... J_{t+1} J_t": products_oracle(
            jacobians, order="left"),
        "P[t] includes J_t itself: dh_T/dh_t = J_{T-1} ... J_t (so P[T-1] = J_{T-1})": (
            products_oracle(jacobians, order="right", inclusive=False)),
        "accumulate from the END (t = T-1 down to 0), not from the start": products_oracle(
            jacobians, order="right", forward=True),
    }, rtol=1e-4, atol=1e-5, what="P")  # fmt: skip


# -- Self-attention -------------------------------------------------------------------------


def attention_oracle(q, k, v, *, scale="sqrt", axis=-1, mask="causal", renormalise=True):
    """(out, weights) in float64 numpy, with optional slips."""
    q, k, v = f64(q), f64(k), f64(v)
    seq, d = q.shape
    divisor = {"sqrt": np.sqrt(d), "none": 1.0, "d": d}[scale]
    scores = q @ k.T / divisor
    allowed = {"causal": np.tril(np.ones((seq, seq), bool)),
               "anti": np.triu(np.ones((seq, seq), bool)),
               "none": np.ones((seq, seq), bool)}[mask]  # fmt: skip
    if renormalise:
        weights = _softmax(np.where(allowed, scores, -np.inf), axis=axis)
        weights = np.nan_to_num(weights)
    else:  # softmax over every key, then the future zeroed: rows no longer sum to 1
        weights = np.where(allowed, _softmax(scores, axis=axis), 0.0)
    return weights @ v, weights


def check_causal_attention(fn) -> None:
    fn = without(fn, JAX_ATTENTION)
    q, k, v = _normal(30, (7, 8), 1.5), _normal(31, (7, 8), 1.5), _normal(32, (7, 8))
    with jax.default_matmul_precision("highest"):
        batched = (a[None, :, None] for a in (q, k, v))  # (1, seq, 1, d): (B, T, N, H)
        reference = jax.nn.dot_product_attention(*batched, is_causal=True)[0, :, 0]
    expected_out, expected_weights = attention_oracle(q, k, v)
    np.testing.assert_allclose(expected_out, reference, rtol=1e-4, atol=1e-5)  # oracles agree
    result = fn(q, k, v)
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailed("return a pair (out, weights)")
    out, weights = result
    slips = {
        "divide the scores by sqrt(d_head)": dict(scale="none"),
        "divide by sqrt(d_head), not d_head": dict(scale="d"),
        "softmax over the KEYS (axis -1): each query's weights sum to 1": dict(axis=0),
        "query i may see keys j <= i (jnp.tril), not j >= i": dict(mask="anti"),
        "mask the scores BEFORE the softmax (-inf where j > i), so each row still sums to 1": (
            dict(renormalise=False)
        ),
        "the mask is causal: query i must not see keys j > i": dict(mask="none"),
    }
    _compare(weights, expected_weights, {h: attention_oracle(q, k, v, **s)[1]
                                         for h, s in slips.items()}, what="weights")  # fmt: skip
    _compare(out, expected_out, {
        "out = weights @ v: row i mixes the values with query i's weights": (
            expected_weights.T @ f64(v)),
    }, what="out")  # fmt: skip


# -- Query, key, value formulation ----------------------------------------------------------


def _mha_params(seed: int, d_model: int) -> dict:
    return {
        name: {"w": _normal(seed + i, (d_model, d_model), 1 / np.sqrt(d_model)),
               "b": _normal(seed + 10 + i, (d_model,), 0.3)}
        for i, name in enumerate("qkvo")
    }  # fmt: skip


def flax_mha(params: dict, x: jax.Array, n_heads: int) -> jax.Array:
    """flax.linen.MultiHeadDotProductAttention, causal, with our dense layers copied over."""
    import flax.linen as flax_nn

    d_model = x.shape[-1]
    d_head = d_model // n_heads
    names = {"q": "query", "k": "key", "v": "value"}
    flax_params = {
        names[n]: {"kernel": params[n]["w"].reshape(d_model, n_heads, d_head),
                   "bias": params[n]["b"].reshape(n_heads, d_head)} for n in "qkv"
    }  # fmt: skip
    flax_params["out"] = {"kernel": params["o"]["w"].reshape(n_heads, d_head, d_model),
                          "bias": params["o"]["b"]}  # fmt: skip
    layer = flax_nn.MultiHeadDotProductAttention(num_heads=n_heads, qkv_features=d_model,
                                                 out_features=d_model)  # fmt: skip
    mask = flax_nn.make_causal_mask(jnp.ones(x.shape[0]))  # (1, seq, seq)
    with jax.default_matmul_precision("highest"):
        return layer.apply({"params": flax_params}, x, x, mask=mask)


def mha_variant(params, x, n_heads, *, split="features", causal=True, project=True,
                scale="d_head") -> np.ndarray:  # fmt: skip
    """Multi-head attention in float64 numpy, with optional slips."""
    p = {n: {k: f64(v) for k, v in layer.items()} for n, layer in params.items()}
    x = f64(x)
    seq, d_model = x.shape
    d_head = d_model // n_heads

    def heads(a):  # (seq, d_model) -> (n_heads, seq, d_head)
        if split == "reshape":  # reshaped without the transpose: mixes tokens
            return a.reshape(n_heads, seq, d_head)
        return a.reshape(seq, n_heads, d_head).transpose(1, 0, 2)

    q, k, v = (heads(x @ p[n]["w"] + p[n]["b"]) for n in "qkv")
    divisor = np.sqrt(d_head if scale == "d_head" else d_model)
    scores = q @ k.transpose(0, 2, 1) / divisor  # (n_heads, seq, seq)
    if causal:
        scores = np.where(np.tril(np.ones((seq, seq), bool)), scores, -np.inf)
    out = _softmax(scores) @ v  # (n_heads, seq, d_head)
    merged = out.reshape(seq, d_model) if split == "reshape" else out.transpose(1, 0, 2).reshape(
        seq, d_model)  # fmt: skip
    return merged @ p["o"]["w"] + p["o"]["b"] if project else merged


def check_multi_head_attention(fn) -> None:
    d_model, n_heads, seq = 12, 3, 5
    params, x = _mha_params(40, d_model), _normal(41, (seq, d_model))
    expected = f64(flax_mha(params, x, n_heads))
    got = fn(params, x, n_heads)
    _compare(got, expected, {
        "split heads with reshape(seq, n_heads, d_head) then a transpose to (n_heads, seq, "
        "d_head); a plain reshape to (n_heads, seq, d_head) mixes tokens": mha_variant(
            params, x, n_heads, split="reshape"),
        "the attention is causal: mask keys j > i in every head": mha_variant(
            params, x, n_heads, causal=False),
        "project the concatenated heads with the output layer 'o'": mha_variant(
            params, x, n_heads, project=False),
        "each head scales its scores by sqrt(d_head), not sqrt(d_model)": mha_variant(
            params, x, n_heads, scale="d_model"),
    }, rtol=1e-4, atol=1e-5, what="output")  # fmt: skip


# -- Transformer architecture ---------------------------------------------------------------


def _layer_norm64(p, x, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return f64(p["scale"]) * (x - mean) / np.sqrt(var + eps) + f64(p["bias"])


def _gelu64(a):
    return f64(jax.nn.gelu(jnp.asarray(a, jnp.float32)))


def _block_params(seed: int, d_model: int) -> dict:
    d_ff = 4 * d_model
    return {
        "ln_1": {"scale": 1 + _normal(seed, (d_model,), 0.3), "bias": _normal(seed + 1, (d_model,),
                                                                               0.3)},
        "ln_2": {"scale": 1 + _normal(seed + 2, (d_model,), 0.3),
                 "bias": _normal(seed + 3, (d_model,), 0.3)},
        "attn": {"w": _normal(seed + 4, (d_model, d_model), 1 / np.sqrt(d_model))},
        "mlp": {"fc": {"w": _normal(seed + 5, (d_model, d_ff), 1 / np.sqrt(d_model)),
                       "b": _normal(seed + 6, (d_ff,), 0.3)},
                "proj": {"w": _normal(seed + 7, (d_ff, d_model), 1 / np.sqrt(d_ff)),
                         "b": _normal(seed + 8, (d_model,), 0.3)}},
    }  # fmt: skip


def _toy_attend(attn_params, h):
    """A causal 'attention' the check hands in: a running mean of h W over earlier tokens."""
    values = h @ attn_params["w"]  # (seq, d_model)
    return jnp.cumsum(values, axis=0) / jnp.arange(1, h.shape[0] + 1)[:, None]


def block_variant(params, x, *, post_ln=False, residual=True, activation="gelu",
                  ln_mlp=True) -> np.ndarray:  # fmt: skip
    """The pre-LN block in float64 (attend run in float32), with optional slips."""
    x = f64(x)

    def attend(h):
        with jax.default_matmul_precision("highest"):
            return f64(_toy_attend(params["attn"], jnp.asarray(h, jnp.float32)))

    act = _gelu64 if activation == "gelu" else (lambda a: np.maximum(a, 0.0))
    fc, proj = ({k: f64(v) for k, v in params["mlp"][n].items()} for n in ("fc", "proj"))

    def mlp(h):
        return act(h @ fc["w"] + fc["b"]) @ proj["w"] + proj["b"]

    if post_ln:
        x = _layer_norm64(params["ln_1"], x + attend(x))
        return _layer_norm64(params["ln_2"], x + mlp(x))
    a = attend(_layer_norm64(params["ln_1"], x))
    x = x + a if residual else a
    m = mlp(_layer_norm64(params["ln_2"], x) if ln_mlp else x)
    return x + m if residual else m


def check_decoder_block(fn) -> None:
    params, x = _block_params(50, 8), _normal(51, (6, 8), 2.0) + 1.0
    expected = block_variant(params, x)
    with jax.default_matmul_precision("highest"):
        got = fn(params, x, _toy_attend)
    _compare(got, expected, {
        "pre-LN: normalise each sub-layer's INPUT and add its output to the unnormalised "
        "stream, x + f(LN(x)), not LN(x + f(x))": block_variant(params, x, post_ln=True),
        "add each sub-layer's output to the residual stream: x = x + ...": block_variant(
            params, x, residual=False),
        "the MLP's activation is gelu (jax.nn.gelu), not ReLU": block_variant(
            params, x, activation="relu"),
        "the MLP reads LN_2(x), its own layer norm": block_variant(params, x, ln_mlp=False),
    }, rtol=1e-4, atol=1e-4, what="block output")  # fmt: skip


# -- Positional encoding --------------------------------------------------------------------


def sinusoid64(seq, d_model, *, layout="interleaved", swap=False, exponent=2.0, start=0):
    """P: (seq, d_model) in float64, with optional slips."""
    t = np.arange(start, start + seq)[:, None]
    j = np.arange(d_model // 2)[None, :]
    angles = t * 10000.0 ** (-exponent * j / d_model)
    first, second = (np.cos(angles), np.sin(angles)) if swap else (np.sin(angles), np.cos(angles))
    if layout == "halves":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(seq, d_model)


def check_sinusoidal_positions(fn) -> None:
    for seq, d_model in ((12, 8), (40, 16)):
        got = fn(seq, d_model)
        _compare(got, sinusoid64(seq, d_model), {
            "interleave the pairs: P[t, 2j] = sin, P[t, 2j + 1] = cos, not all sines then all "
            "cosines": sinusoid64(seq, d_model, layout="halves"),
            "sin on the even features (2j), cos on the odd (2j + 1)": sinusoid64(
                seq, d_model, swap=True),
            "theta_j = 10000^(-2j / d_model): the exponent has 2j, j the pair's index": (
                sinusoid64(seq, d_model, exponent=1.0)),
            "positions start at 0": sinusoid64(seq, d_model, start=1),
        }, rtol=1e-4, atol=2e-4, what=f"P ({seq}, {d_model})")  # fmt: skip


def rope64(x, positions, *, pairing="interleaved", sign=1.0, one_angle=False) -> np.ndarray:
    """RoPE in float64, with optional slips."""
    x = f64(x)
    d = x.shape[-1]
    theta = 10000.0 ** (-2.0 * np.arange(d // 2) / d)
    if one_angle:
        theta = np.full_like(theta, theta[1])
    a = sign * f64(positions)[:, None] * theta[None, :]  # (seq, d / 2)
    if pairing == "halves":
        even, odd = x[:, : d // 2], x[:, d // 2 :]
    else:
        even, odd = x[:, 0::2], x[:, 1::2]
    new_even = even * np.cos(a) - odd * np.sin(a)
    new_odd = even * np.sin(a) + odd * np.cos(a)
    if pairing == "halves":
        return np.concatenate([new_even, new_odd], axis=-1)
    return np.stack([new_even, new_odd], axis=-1).reshape(x.shape)


def check_apply_rope(fn) -> None:
    x = _normal(60, (9, 8))
    positions = jnp.asarray([0, 1, 2, 5, 9, 17, 33, 3, 60])
    got = fn(x, positions)
    _compare(got, rope64(x, positions), {
        "pair feature 2j with 2j + 1 (interleaved), not j with j + d_head / 2": rope64(
            x, positions, pairing="halves"),
        "rotate by +a: (x_2j cos a - x_2j+1 sin a, x_2j sin a + x_2j+1 cos a)": rope64(
            x, positions, sign=-1.0),
        "each pair j turns at its own speed theta_j = 10000^(-2j / d_head)": rope64(
            x, positions, one_angle=True),
    }, rtol=1e-4, atol=2e-4, what="rotated x")  # fmt: skip


# -- The mini-project: sampling -------------------------------------------------------------


def top_k64(logits, k, temperature, *, times=False, renormalise=True) -> np.ndarray:
    z = f64(logits) * temperature if times else f64(logits) / temperature
    p = _softmax(z)
    kth = np.sort(p)[::-1][k - 1]
    kept = np.where(p >= kth, p, 0.0)
    return kept / kept.sum() if renormalise else kept


def check_top_k_probs(fn) -> None:
    logits = _normal(70, (12,), 2.0)
    for k, temperature in ((3, 0.5), (5, 2.0), (1, 1.0)):
        got = fn(logits, k, temperature)
        _compare(got, top_k64(logits, k, temperature), {
            "DIVIDE the logits by the temperature: softmax(logits / temperature)": top_k64(
                logits, k, temperature, times=True),
            "renormalise the kept probabilities to sum to 1": top_k64(
                logits, k, temperature, renormalise=False),
            "keep exactly the k most probable tokens": top_k64(logits, min(k + 1, 12),
                                                               temperature),
            "keep the k most probable tokens, not k - 1": top_k64(logits, max(k - 1, 1),
                                                                  temperature),
        }, rtol=1e-4, atol=1e-6, what=f"probs (k={k}, temperature={temperature})")  # fmt: skip


def top_p64(logits, top_p, *, strict=False, renormalise=True) -> np.ndarray:
    p = _softmax(f64(logits))
    order = np.argsort(-p)
    cumulative = np.cumsum(p[order])
    if strict:  # only the tokens whose cumulative mass stays below top_p
        n_kept = max(int(np.sum(cumulative < top_p)), 1)
    else:
        n_kept = int(np.sum(cumulative - p[order] < top_p))
    kept = np.zeros_like(p)
    kept[order[:n_kept]] = p[order[:n_kept]]
    return kept / kept.sum() if renormalise else kept


def check_top_p_probs(fn) -> None:
    logits = _normal(80, (10,), 1.5)
    probs = np.sort(_softmax(f64(logits)))[::-1]
    cuts = np.cumsum(probs)
    for top_p in (0.5 * (cuts[1] + cuts[2]), 0.5 * (cuts[3] + cuts[4]), 0.99):
        got = fn(logits, float(top_p))
        _compare(got, top_p64(logits, top_p), {
            "keep the token that takes the mass to top_p too: the smallest prefix with mass "
            ">= top_p": top_p64(logits, top_p, strict=True),
            "renormalise the kept probabilities to sum to 1": top_p64(
                logits, top_p, renormalise=False),
        }, rtol=1e-4, atol=1e-6, what=f"probs (top_p={top_p:.3f})")  # fmt: skip


EXERCISES: tuple[Exercise, ...] = (
    Exercise("build_vocab", TOKENS, check_build_vocab),
    Exercise("embedding_backward", EMBEDDING, check_embedding_backward),
    Exercise("gru_step", RECURRENT, check_gru_step),
    Exercise("jacobian_products", LIMITS, check_jacobian_products),
    Exercise("causal_attention", SELF_ATTENTION, check_causal_attention),
    Exercise("multi_head_attention", QKV, check_multi_head_attention),
    Exercise("decoder_block", TRANSFORMER, check_decoder_block),
    Exercise("sinusoidal_positions", POSITIONAL, check_sinusoidal_positions),
    Exercise("apply_rope", POSITIONAL, check_apply_rope),
    Exercise("top_k_probs", PROJECT, check_top_k_probs),
    Exercise("top_p_probs", PROJECT, check_top_p_probs),
)
