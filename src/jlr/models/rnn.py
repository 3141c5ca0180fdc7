r"""Recurrent networks: a vanilla (Elman) RNN and a GRU run with `lax.scan`, a character LM on
top of either, and the gradient norm along the sequence that shows why recurrence forgets.

Vanilla RNN (Elman 1990), one step, `rnn_cell`:

    h_{t+1} = act(x_t W_x + b + h_t W_h)                       act = tanh by default

GRU (Cho et al. 2014), one step, `gru_cell`, in flax's `GRUCell` convention (row vectors):

    r = sigmoid(x W_xr + b_xr + h W_hr)                        reset gate
    z = sigmoid(x W_xz + b_xz + h W_hz)                        update gate
    n = tanh(x W_xn + b_xn + r * (h W_hn + b_hn))              candidate: r applied AFTER the
                                                               recurrent matmul and its bias
    h' = (1 - z) * n + z * h                                   z = 1 keeps the old state

The reset gate multiplies (h W_hn + b_hn), as in flax, PyTorch and cuDNN, not h before the
matmul (the 2014 paper's r * h); the hidden-side gates r and z have no bias of their own (it
would only add to b_xr, b_xz), the candidate keeps b_hn because r scales it. Parameters are
fused over the three gates, in the order (r, z, n):

    w_x: (d_in, 3 d_hidden)   b_x: (3 d_hidden,)   w_h: (d_hidden, 3 d_hidden)   b_hn: (d_hidden,)

`rnn` and `gru` run a cell over a sequence: xs (..., seq, d_in) -> hs (..., seq, d_hidden),
hs[..., t, :] = h_{t+1}, and the final state h_T (..., d_hidden). The input projection
x_t W_x + b does not depend on the state, so it is one matmul over all steps before the scan;
only h_t W_h is sequential, which is why an RNN's step time grows with the sequence length
however wide the machine is.

Why recurrence forgets: by the chain rule the state at T depends on the state at t < T through

    dh_T / dh_t = J_{T-1} ... J_{t+1} J_t,     J_s = dh_{s+1} / dh_s = diag(act'(a_s)) W_h^T

(a column-vector Jacobian; a_s the pre-activation). For a linear RNN this is (W_h^T)^(T-t),
whose norm shrinks or grows geometrically with the distance T - t as W_h's spectral radius is
below or above 1. tanh' <= 1 gives ||J_s|| <= ||W_h||_2: with ||W_h||_2 < 1 the gradient must
vanish; above 1 it can explode (it does for a random tanh RNN whose inputs leave tanh
unsaturated); and saturated units (tanh' near 0) make it vanish even for an orthogonal W_h.
`state_jacobian_norms` measures ||dh_T / dh_t||_2 for t = 0 .. T-1.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp

from jlr.nn.embedding import embed, init_embedding
from jlr.nn.init import lecun_normal
from jlr.nn.linear import init_linear, linear
from jlr.probability.cross_entropy import softmax_cross_entropy

Activation = Callable[[jax.Array], jax.Array]
Step = Callable[[jax.Array, jax.Array], jax.Array]


def _orthogonal(key: jax.Array, d: int) -> jax.Array:
    """A random (d, d) orthogonal matrix: every singular value and |eigenvalue| is 1."""
    return jax.nn.initializers.orthogonal()(key, (d, d))


def init_rnn(
    key: jax.Array, d_in: int, d_hidden: int, *, recurrent_scale: float = 1.0
) -> dict[str, jax.Array]:
    """{"w_x": (d_in, d_hidden) LeCun normal, "w_h": (d_hidden, d_hidden), "b": zeros}.

    w_h = recurrent_scale * Q with Q orthogonal (flax's default recurrent init), so its
    spectral radius and every singular value is exactly recurrent_scale: below 1 the gradient
    vanishes with distance, above 1 a linear RNN's explodes.
    """
    x_key, h_key = jax.random.split(key)
    return {
        "w_x": lecun_normal(x_key, (d_in, d_hidden)),
        "w_h": recurrent_scale * _orthogonal(h_key, d_hidden),
        "b": jnp.zeros((d_hidden,)),
    }


def _rnn_update(
    params: dict[str, jax.Array], h: jax.Array, x_proj: jax.Array, activation: Activation
) -> jax.Array:
    """h' = act(x_proj + h W_h), with x_proj = x W_x + b computed already."""
    return activation(x_proj + h @ params["w_h"])  # (..., d_hidden)


def rnn_cell(
    params: dict[str, jax.Array], h: jax.Array, x: jax.Array, activation: Activation = jnp.tanh
) -> jax.Array:
    """One step h' = act(x W_x + b + h W_h).  h: (..., d_hidden), x: (..., d_in) -> h'."""
    return _rnn_update(params, h, x @ params["w_x"] + params["b"], activation)


def init_gru(key: jax.Array, d_in: int, d_hidden: int) -> dict[str, jax.Array]:
    """Fused GRU parameters, gates in the order (r, z, n), as flax initialises each gate:

    w_x: (d_in, 3 d_hidden) LeCun normal; w_h: (d_hidden, 3 d_hidden), one orthogonal
    (d_hidden, d_hidden) block per gate; b_x: (3 d_hidden,) and b_hn: (d_hidden,) zeros.
    """
    x_key, h_key = jax.random.split(key)
    gate_keys = jax.random.split(h_key, 3)
    w_x = jnp.concatenate(
        [lecun_normal(k, (d_in, d_hidden)) for k in jax.random.split(x_key, 3)], 1
    )
    return {
        "w_x": w_x,  # (d_in, 3 d_hidden)
        "w_h": jnp.concatenate([_orthogonal(k, d_hidden) for k in gate_keys], 1),
        "b_x": jnp.zeros((3 * d_hidden,)),
        "b_hn": jnp.zeros((d_hidden,)),
    }


def _gru_update(params: dict[str, jax.Array], h: jax.Array, x_proj: jax.Array) -> jax.Array:
    """The GRU step given x_proj = x W_x + b_x: (..., 3 d_hidden) -> h' (..., d_hidden)."""
    xr, xz, xn = jnp.split(x_proj, 3, axis=-1)  # each (..., d_hidden)
    hr, hz, hn = jnp.split(h @ params["w_h"], 3, axis=-1)  # each (..., d_hidden)
    r = jax.nn.sigmoid(xr + hr)
    z = jax.nn.sigmoid(xz + hz)
    n = jnp.tanh(xn + r * (hn + params["b_hn"]))
    return (1.0 - z) * n + z * h


def gru_cell(params: dict[str, jax.Array], h: jax.Array, x: jax.Array) -> jax.Array:
    """One GRU step (formula in the module docstring).  h: (..., d_hidden), x: (..., d_in)."""
    return _gru_update(params, h, x @ params["w_x"] + params["b_x"])


def _scan_states(update, x_proj: jax.Array, h0: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Run h_{t+1} = update(h_t, x_proj[..., t, :]) over the seq axis (-2) with `lax.scan`.

    x_proj: (..., seq, d) -> hs (..., seq, d_hidden), h_T (..., d_hidden).
    """

    def step(h, x_t):
        h_next = update(h, x_t)
        return h_next, h_next

    time_major = jnp.moveaxis(x_proj, -2, 0)  # (seq, ..., d): scan walks the leading axis
    h_last, hs = jax.lax.scan(step, h0, time_major)  # hs: (seq, ..., d_hidden)
    return jnp.moveaxis(hs, 0, -2), h_last  # (..., seq, d_hidden), (..., d_hidden)


def _initial_state(h0: jax.Array | None, xs: jax.Array, d_hidden: int) -> jax.Array:
    """h0 as given, or zeros (..., d_hidden) for xs (..., seq, d_in)."""
    return jnp.zeros((*xs.shape[:-2], d_hidden), xs.dtype) if h0 is None else h0


def rnn(
    params: dict[str, jax.Array],
    xs: jax.Array,
    h0: jax.Array | None = None,
    activation: Activation = jnp.tanh,
) -> tuple[jax.Array, jax.Array]:
    """Vanilla RNN over a sequence: xs (..., seq, d_in), h0 (..., d_hidden) or None (zeros)
    -> hs (..., seq, d_hidden) with hs[..., t, :] = h_{t+1}, and h_T (..., d_hidden).

    Batch-first: xs (batch, seq, d_in) -> (batch, seq, d_hidden); one sequence (seq, d_in)
    works too.
    """
    x_proj = xs @ params["w_x"] + params["b"]  # (..., seq, d_hidden), all steps at once
    h0 = _initial_state(h0, xs, params["w_h"].shape[0])
    return _scan_states(partial(_rnn_update, params, activation=activation), x_proj, h0)


def gru(
    params: dict[str, jax.Array], xs: jax.Array, h0: jax.Array | None = None
) -> tuple[jax.Array, jax.Array]:
    """GRU over a sequence: xs (..., seq, d_in), h0 (..., d_hidden) or None (zeros)
    -> hs (..., seq, d_hidden) with hs[..., t, :] = h_{t+1}, and h_T (..., d_hidden)."""
    x_proj = xs @ params["w_x"] + params["b_x"]  # (..., seq, 3 d_hidden), all steps at once
    h0 = _initial_state(h0, xs, params["w_h"].shape[0])
    return _scan_states(partial(_gru_update, params), x_proj, h0)


RECURRENCES = {"rnn": (init_rnn, rnn), "gru": (init_gru, gru)}


def init_char_lm(
    key: jax.Array, vocab: int, d_embed: int, d_hidden: int, *, cell: str = "gru"
) -> dict:
    """A character LM: {"embed": `jlr.nn.embedding` table (vocab, d_embed), "cell": the RNN's
    or GRU's params, "head": linear d_hidden -> vocab}. cell: "rnn" or "gru"."""
    if cell not in RECURRENCES:
        raise ValueError(f"cell={cell!r}: use one of {sorted(RECURRENCES)}")
    embed_key, cell_key, head_key = jax.random.split(key, 3)
    init_cell, _ = RECURRENCES[cell]
    return {
        "embed": init_embedding(embed_key, vocab, d_embed),
        "cell": init_cell(cell_key, d_embed, d_hidden),
        "head": init_linear(head_key, d_hidden, vocab),
    }


def char_lm(
    params: dict, ids: jax.Array, h0: jax.Array | None = None, *, cell: str = "gru"
) -> tuple[jax.Array, jax.Array]:
    """ids (..., seq) ints in [0, vocab) -> logits (..., seq, vocab) and the final state.

    logits[..., t, :] scores the character after ids[..., t], having read ids[..., :t+1]:
    embedding lookup (row ids of the table) -> RNN/GRU -> linear head. cell is static.
    """
    _, recurrence = RECURRENCES[cell]
    xs = embed(params["embed"], ids)  # (..., seq, d_embed)
    hs, h_last = recurrence(params["cell"], xs, h0)  # (..., seq, d_hidden)
    return linear(params["head"], hs), h_last  # (..., seq, vocab)


def char_lm_loss(params: dict, inputs: jax.Array, targets: jax.Array, *, cell: str = "gru"):
    """Mean next-character cross-entropy (nats): inputs, targets (..., seq) -> ().

    targets[..., t] is the character after inputs[..., t] (nanoGPT's x, y = text[i:i+T],
    text[i+1:i+T+1]); the mean is over every position of every sequence.
    """
    logits, _ = char_lm(params, inputs, cell=cell)
    return jnp.mean(softmax_cross_entropy(logits, targets))


def state_jacobians(step: Step, h0: jax.Array, xs: jax.Array) -> jax.Array:
    """J_t = dh_{t+1} / dh_t along the trajectory h_{t+1} = step(h_t, x_t) of one sequence.

    step: (h (d_hidden,), x (d_in,)) -> h' (d_hidden,), e.g. partial(rnn_cell, params);
    h0: (d_hidden,), xs: (seq, d_in) -> (seq, d_hidden, d_hidden), J[t, i, j] = dh_{t+1,i}/dh_{t,j}.
    """

    def body(h, x):
        return step(h, x), jax.jacfwd(step)(h, x)  # (d_hidden,), (d_hidden, d_hidden)

    _, jacobians = jax.lax.scan(body, h0, xs)
    return jacobians


def state_jacobian_norms(step: Step, h0: jax.Array, xs: jax.Array) -> jax.Array:
    """||dh_T / dh_t||_2 (spectral norm) for t = 0 .. T-1, T = seq: the distance is T - t.

    dh_T / dh_t = J_{T-1} ... J_t, accumulated backwards from dh_T / dh_T = I (the chain rule
    that backpropagation through time runs). step, h0, xs as in `state_jacobians` -> (seq,).
    The gradient reaching h_t from a loss on h_T is (dh_T / dh_t)^T dL/dh_T, so this norm
    bounds how much of it survives the distance.
    """
    jacobians = state_jacobians(step, h0, xs)  # (seq, d_hidden, d_hidden)

    def back(product, jacobian):  # product = dh_T / dh_{t+1}
        product = product @ jacobian  # dh_T / dh_t: (d_hidden, d_hidden)
        return product, product

    identity = jnp.eye(h0.shape[-1], dtype=jacobians.dtype)
    _, products = jax.lax.scan(back, identity, jacobians, reverse=True)  # products[t]
    return _spectral_norms(products)  # (seq,)


def _spectral_norms(m: jax.Array) -> jax.Array:
    """||M||_2 = sqrt(lambda_max(M^T M)), the largest singular value: (..., k, k) -> (...).

    `jlr.linalg.conditioning.spectral_norm` teaches the concept (power iteration, one matrix);
    here every matrix of a batch needs it to float rounding, so a symmetric eigensolver, which
    compiles much faster on a CPU than the SVD behind jnp.linalg.norm(m, 2). M is first divided
    by c = max |M_ij| (the result multiplied back by c), so M^T M neither overflows nor
    underflows float32 for norms from 1e-30 to 1e30.
    """
    largest = jnp.max(jnp.abs(m), axis=(-2, -1))  # (...)
    scale = jnp.where(largest > 0, largest, 1.0)[..., None, None]  # the zero matrix stays 0
    unit = m / scale  # entries in [-1, 1]
    gram = jnp.swapaxes(unit, -1, -2) @ unit  # (..., k, k), symmetric positive semidefinite
    top = jnp.linalg.eigvalsh(gram)[..., -1]  # ascending order: the last is the largest
    return jnp.sqrt(jnp.maximum(top, 0.0)) * scale[..., 0, 0]
