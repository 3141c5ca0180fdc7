"""Attention against three oracles: jax.nn.dot_product_attention (causal, masked), flax.linen's
MultiHeadDotProductAttention (weights mapped across, attention weights and dropout included)
and an explicit float64 numpy einsum (weights too, heads summed one projection slice at a
time, RoPE as complex multiplication). Properties: rows sum to 1, causal weights are exactly 0
above the diagonal and outputs ignore the future, padding equals truncation, permutation
equivariance without positions, and with RoPE invariance to shifting every position."""

import functools

import flax.linen as fnn
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.nn.attention import (
    blocked_causal_attention,
    causal_mask,
    dot_product_attention,
    init_multi_head_attention,
    merge_heads,
    multi_head_attention,
    padding_mask,
    split_heads,
)
from jlr.nn.linear import fast_linear, linear

TOL = {"rtol": 2e-5, "atol": 2e-6}  # float32 against float64 numpy / float32 libraries
BATCH, SEQ, D_MODEL, N_HEADS = 2, 6, 8, 2
D_HEAD = D_MODEL // N_HEADS

attention = jax.jit(dot_product_attention, static_argnames=("is_causal", "drop_prob"))
mha = jax.jit(multi_head_attention, static_argnames=("n_heads", "is_causal", "drop_prob", "dense"))


def normal(rng, shape):
    """Test data from numpy's generator: a jax.random draw compiles anew for every shape."""
    return jnp.asarray(rng.standard_normal(shape), jnp.float32)


def random_mha_params(rng, d_model=D_MODEL):
    """Params as init_multi_head_attention lays them out, with nonzero biases."""
    return {
        name: {
            "w": normal(rng, (d_model, d_model)) / np.sqrt(d_model),
            "b": normal(rng, (d_model,)),
        }
        for name in "qkvo"
    }


def numpy_softmax_attention(q, k, v, mask):
    """float64 oracle; mask True = may attend; a row with no allowed key is uniform."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    scores = np.einsum("...qd,...kd->...qk", q, k) / np.sqrt(q.shape[-1])
    mask = np.broadcast_to(True if mask is None else np.asarray(mask), scores.shape)
    scores = np.where(mask, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    exp = np.where(mask, np.exp(scores - np.where(np.isfinite(row_max), row_max, 0.0)), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    weights = exp / np.where(total > 0, total, 1.0)
    weights = np.where(mask.any(axis=-1, keepdims=True), weights, 1.0 / scores.shape[-1])
    return np.einsum("...qk,...kd->...qd", weights, v), weights


def numpy_rope(x, positions):
    """RoPE as complex multiplication: z_j = x_2j + i x_2j+1 times e^(i pos theta_j)."""
    x = np.asarray(x, np.float64)
    d = x.shape[-1]
    theta = 10_000.0 ** (-np.arange(0, d, 2) / d)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * np.outer(positions, theta))
    return np.stack([z.real, z.imag], axis=-1).reshape(x.shape)


def numpy_mha(params, x, n_heads, mask=None, rope_positions=None):
    """Head by head: Q_h = x W_q[:, cols_h] + b_q[cols_h], ..., out = sum_h head_h W_o[cols_h]."""
    p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
    x = np.asarray(x, np.float64)
    d_head = x.shape[-1] // n_heads
    out, weights = p["o"]["b"], []
    for h in range(n_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        q, k, v = (x @ p[n]["w"][:, cols] + p[n]["b"][cols] for n in "qkv")
        if rope_positions is not None:
            q, k = numpy_rope(q, rope_positions), numpy_rope(k, rope_positions)
        head, head_weights = numpy_softmax_attention(q, k, v, None if mask is None else mask[h])
        out = out + head @ p["o"]["w"][cols, :]
        weights.append(head_weights)
    return out, np.stack(weights, axis=-3)  # (..., n_heads, seq, seq)


@functools.partial(jax.jit, static_argnames="is_causal")
def jax_nn_attention(q, k, v, **kwargs):
    """jax.nn.dot_product_attention in our (batch, n_heads, seq, d_head) layout."""
    to_bthd = functools.partial(jnp.swapaxes, axis1=1, axis2=2)  # (b, h, t, d) <-> (b, t, h, d)
    out = jax.nn.dot_product_attention(*map(to_bthd, (q, k, v)), implementation="xla", **kwargs)
    return to_bthd(out)


@pytest.mark.parametrize(
    ("seq_q", "seq_k", "masking"),
    [(6, 6, "none"), (6, 6, "causal"), (5, 7, "mask"), (6, 6, "mask+causal"), (7, 4, "causal")],
)
def test_matches_jax_nn_and_numpy(seq_q, seq_k, masking):
    rng = np.random.default_rng(0)
    q = normal(rng, (BATCH, N_HEADS, seq_q, D_HEAD))
    k = normal(rng, (BATCH, N_HEADS, seq_k, D_HEAD))
    v = normal(rng, (BATCH, N_HEADS, seq_k, D_HEAD))
    mask = jnp.asarray(rng.random((BATCH, 1, seq_q, seq_k)) < 0.7) if "mask" in masking else None
    is_causal = "causal" in masking
    out, weights = attention(q, k, v, mask=mask, is_causal=is_causal)
    expected = jax_nn_attention(q, k, v, mask=mask, is_causal=is_causal)
    np.testing.assert_allclose(out, expected, **TOL)
    full_mask = np.ones((seq_q, seq_k), bool) if mask is None else np.asarray(mask)
    if is_causal:
        full_mask = full_mask & np.tril(np.ones((seq_q, seq_k), bool))
    numpy_out, numpy_weights = numpy_softmax_attention(q, k, v, full_mask)
    np.testing.assert_allclose(out, numpy_out, **TOL)
    np.testing.assert_allclose(weights, numpy_weights, **TOL)
    assert out.shape == (BATCH, N_HEADS, seq_q, D_HEAD) and weights.shape[-2:] == (seq_q, seq_k)
    # values of another width than d_head (jax.nn requires them equal; numpy does not)
    wide_v = normal(rng, (BATCH, N_HEADS, seq_k, 3))
    wide_out, _ = attention(q, k, wide_v, mask=mask, is_causal=is_causal)
    np.testing.assert_allclose(wide_out, numpy_softmax_attention(q, k, wide_v, full_mask)[0], **TOL)


def flax_mha(params, x, mask=None, dropout_key=None, drop_prob=0.0):
    """(out, weights) from flax.linen, our (d_model, d_model) weights reshaped per head."""
    module = fnn.MultiHeadDotProductAttention(
        num_heads=N_HEADS, qkv_features=D_MODEL, out_features=D_MODEL,
        dropout_rate=drop_prob, broadcast_dropout=False,
    )  # fmt: skip
    names = {"q": "query", "k": "key", "v": "value"}
    flax_params = {
        flax_name: {
            "kernel": params[name]["w"].reshape(D_MODEL, N_HEADS, D_HEAD),
            "bias": params[name]["b"].reshape(N_HEADS, D_HEAD),
        }
        for name, flax_name in names.items()
    }
    flax_params["out"] = {
        "kernel": params["o"]["w"].reshape(N_HEADS, D_HEAD, D_MODEL),
        "bias": params["o"]["b"],
    }
    out, state = module.apply(
        {"params": flax_params}, x, mask=mask, deterministic=dropout_key is None,
        dropout_rng=dropout_key, sow_weights=True, mutable=["intermediates"],
    )  # fmt: skip
    return out, state["intermediates"]["attention_weights"][0]


flax_mha_jit = jax.jit(flax_mha)


@functools.partial(jax.jit, static_argnames="drop_prob")
def ours_and_flax_with_dropout(params, x, key, drop_prob):
    """Both in one program: the random bits are drawn (and compiled) once."""
    ours = multi_head_attention(params, x, n_heads=N_HEADS, drop_prob=drop_prob, key=key)
    return ours, flax_mha(params, x, dropout_key=key, drop_prob=drop_prob)


@pytest.mark.parametrize("masking", ["none", "causal", "padding"])
def test_multi_head_matches_flax_and_numpy(masking):
    rng = np.random.default_rng(1)
    params = random_mha_params(rng)
    x = normal(rng, (BATCH, SEQ, D_MODEL))
    valid = jnp.arange(SEQ) < jnp.array([[SEQ], [SEQ - 2]])  # (batch, seq): 2nd example padded
    mask = {"none": None, "causal": causal_mask(SEQ), "padding": padding_mask(valid)}[masking]
    out, weights = mha(params, x, n_heads=N_HEADS, mask=mask)
    flax_out, flax_weights = flax_mha_jit(params, x, mask=mask)
    np.testing.assert_allclose(out, flax_out, **TOL)
    np.testing.assert_allclose(weights, flax_weights, **TOL)
    head_masks = None if mask is None else np.broadcast_to(mask, (BATCH, N_HEADS, SEQ, SEQ))
    for b in range(BATCH):
        mask_b = None if head_masks is None else head_masks[b]
        numpy_out, numpy_weights = numpy_mha(params, x[b], N_HEADS, mask_b)
        np.testing.assert_allclose(out[b], numpy_out, **TOL)
        np.testing.assert_allclose(weights[b], numpy_weights, **TOL)
    # one sequence without a batch axis gives that sequence's rows
    single_out, single_weights = mha(
        params,
        x[1],
        n_heads=N_HEADS,
        mask=None if mask is None else np.broadcast_to(mask, (BATCH, 1, SEQ, SEQ))[1],
    )
    np.testing.assert_allclose(single_out, out[1], **TOL)


def test_is_causal_equals_an_explicit_causal_mask():
    rng = np.random.default_rng(2)
    params, x = random_mha_params(rng), normal(rng, (BATCH, SEQ, D_MODEL))
    flagged_out, flagged_weights = mha(params, x, n_heads=N_HEADS, is_causal=True)
    explicit_out, explicit_weights = mha(params, x, n_heads=N_HEADS, mask=causal_mask(SEQ))
    np.testing.assert_array_equal(flagged_out, explicit_out)
    np.testing.assert_array_equal(flagged_weights, explicit_weights)


def test_attention_dropout_matches_flax_for_the_same_key(key):
    """Dropout on the weights before they mix the values; returned weights are pre-dropout."""
    rng = np.random.default_rng(3)
    params, x = random_mha_params(rng), normal(rng, (BATCH, SEQ, D_MODEL))
    (out, weights), (flax_out, flax_weights) = ours_and_flax_with_dropout(params, x, key, 0.3)
    np.testing.assert_allclose(out, flax_out, **TOL)
    np.testing.assert_allclose(weights, flax_weights, **TOL)
    no_dropout, _ = mha(params, x, n_heads=N_HEADS)
    assert np.abs(out - no_dropout).max() > 0.1  # dropout did change the output
    evaluation, _ = mha(params, x, n_heads=N_HEADS, drop_prob=0.3, key=None)
    np.testing.assert_array_equal(evaluation, no_dropout)


@jax.jit
def attention_properties(q, k, v, mask):
    """Rows of masked, causal and plain weights, for the property tests to check."""
    return (
        dot_product_attention(q, k, v, mask=mask)[1],
        dot_product_attention(q, k, v, is_causal=True)[1],
        dot_product_attention(q, k, v)[1],
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), keep_prob=st.floats(0.0, 1.0), scale=st.floats(0.1, 30.0))
def test_rows_sum_to_one_and_masked_weights_are_zero(seed, keep_prob, scale):
    """Also with large scores (scale) and rows with every key masked (uniform, not NaN)."""
    rng = np.random.default_rng(seed)
    q, k, v = (scale * normal(rng, (BATCH, N_HEADS, SEQ, D_HEAD)) for _ in range(3))
    mask = jnp.asarray(rng.random((BATCH, N_HEADS, SEQ, SEQ)) < keep_prob)
    masked, causal, plain = attention_properties(q, k, v, mask)
    for weights in (masked, causal, plain):
        assert np.all(np.isfinite(weights))
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    mask = np.asarray(mask)
    has_key = mask.any(axis=-1, keepdims=True)
    assert np.all(np.asarray(masked)[~mask & has_key] == 0.0)
    np.testing.assert_allclose(np.asarray(masked)[~has_key[..., 0]], 1.0 / SEQ, rtol=1e-6)
    assert np.all(np.asarray(causal)[..., ~np.tril(np.ones((SEQ, SEQ), bool))] == 0.0)


def test_causal_outputs_ignore_the_future():
    rng = np.random.default_rng(4)
    params, x = random_mha_params(rng), normal(rng, (BATCH, SEQ, D_MODEL))
    out, _ = mha(params, x, n_heads=N_HEADS, is_causal=True)
    changed = x.at[:, 4:].set(99.0)  # change only tokens 4 and 5
    out_changed, _ = mha(params, changed, n_heads=N_HEADS, is_causal=True)
    np.testing.assert_allclose(out_changed[:, :4], out[:, :4], rtol=1e-6, atol=1e-6)
    assert np.abs(out_changed[:, 4:] - out[:, 4:]).min() > 0.0


def test_padding_equals_truncation():
    """A sequence padded with junk and masked gives, on its real tokens, the output of the
    unpadded sequence: masked keys carry no weight."""
    rng = np.random.default_rng(5)
    params, x = random_mha_params(rng), normal(rng, (1, SEQ, D_MODEL))
    n_real = 4
    valid = jnp.arange(SEQ)[None] < n_real  # (1, seq)
    padded = x.at[:, n_real:].set(normal(rng, (1, SEQ - n_real, D_MODEL)) * 50)
    mask = padding_mask(valid) & causal_mask(SEQ)
    out, weights = mha(params, padded, n_heads=N_HEADS, mask=mask)
    truncated, _ = mha(params, x[:, :n_real], n_heads=N_HEADS, is_causal=True)
    np.testing.assert_allclose(out[:, :n_real], truncated, **TOL)
    assert np.all(weights[..., n_real:] == 0.0)


@functools.partial(jax.jit, static_argnames="rope")
def mha_of_permuted(params, x, perm, rope=False):
    """(f(x)[perm], f(x[perm])) for self-attention f without a mask."""
    positions = jnp.arange(x.shape[-2]) if rope else None
    out, weights = multi_head_attention(params, x, n_heads=N_HEADS, rope_positions=positions)
    out_perm, weights_perm = multi_head_attention(
        params, x[perm], n_heads=N_HEADS, rope_positions=positions
    )
    return out[perm], out_perm, weights[:, perm][:, :, perm], weights_perm


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), perm=st.permutations(range(SEQ)))
def test_permutation_equivariant_without_positions(seed, perm):
    """f(x[perm]) = f(x)[perm], and the weights permute on both axes; with RoPE they need not."""
    rng = np.random.default_rng(seed)
    params, x = random_mha_params(rng), normal(rng, (SEQ, D_MODEL))
    perm = jnp.asarray(perm)
    expected, got, expected_weights, got_weights = mha_of_permuted(params, x, perm)
    np.testing.assert_allclose(got, expected, **TOL)
    np.testing.assert_allclose(got_weights, expected_weights, **TOL)


def test_rope_breaks_permutation_equivariance():
    """The control for the test above: positions are what order enters by."""
    rng = np.random.default_rng(6)
    params, x = random_mha_params(rng), normal(rng, (SEQ, D_MODEL))
    expected, got, _, _ = mha_of_permuted(params, x, jnp.arange(SEQ)[::-1], rope=True)
    assert np.abs(got - expected).max() > 1e-2


@jax.jit
def mha_rope(params, x, positions):
    return multi_head_attention(params, x, n_heads=N_HEADS, is_causal=True,
                                rope_positions=positions)  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), offset=st.integers(0, 500))
def test_rope_attention_depends_only_on_relative_positions(seed, offset):
    """Shifting every position by the same offset leaves the layer's output unchanged, and
    the output matches the numpy oracle with complex-number RoPE."""
    rng = np.random.default_rng(seed)
    params, x = random_mha_params(rng), normal(rng, (SEQ, D_MODEL))
    positions = jnp.arange(SEQ)
    out, weights = mha_rope(params, x, positions)
    shifted, shifted_weights = mha_rope(params, x, positions + offset)
    # a float32 angle pos * theta is off by up to eps * pos (theta <= 1): the tolerance grows
    tol = 2e-5 + 4 * np.finfo(np.float32).eps * (offset + SEQ)
    np.testing.assert_allclose(shifted, out, rtol=tol, atol=tol)
    np.testing.assert_allclose(shifted_weights, weights, rtol=tol, atol=tol)
    mask = np.broadcast_to(np.tril(np.ones((SEQ, SEQ), bool)), (N_HEADS, SEQ, SEQ))
    numpy_out, numpy_weights = numpy_mha(params, x, N_HEADS, mask, np.arange(SEQ) + offset)
    np.testing.assert_allclose(shifted, numpy_out, rtol=tol, atol=tol)
    np.testing.assert_allclose(shifted_weights, numpy_weights, rtol=tol, atol=tol)


def test_fast_linear_projections_give_the_same_layer_and_gradients():
    rng = np.random.default_rng(7)
    params, x = random_mha_params(rng), normal(rng, (BATCH, SEQ, D_MODEL))

    def loss(params, dense=linear):
        out, _ = multi_head_attention(params, x, n_heads=N_HEADS, is_causal=True, dense=dense)
        return jnp.sum(jnp.tanh(out))

    grad_fast = jax.jit(jax.value_and_grad(functools.partial(loss, dense=fast_linear)))
    grad_plain = jax.jit(jax.value_and_grad(loss))
    (value, grads), (value_plain, grads_plain) = grad_fast(params), grad_plain(params)
    np.testing.assert_allclose(value, value_plain, rtol=1e-6)
    jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-4, atol=1e-5),
                 grads, grads_plain)  # fmt: skip


@pytest.mark.parametrize(("seq", "block"), [(8, 2), (8, 4), (12, 4), (7, 2), (6, 64)])
def test_blocked_causal_attention_matches_dot_product_attention_and_its_gradients(seq, block):
    """Same outputs and same q, k, v gradients (the recomputing backward pass against
    autodiff through the stored weights, both in float64), whether the queries split into
    blocks (8/2, 8/4, 12/4) or not (7 is no multiple of 2; 6 is below 64)."""
    rng = np.random.default_rng(seq + block)
    q, k, v = (jnp.asarray(rng.standard_normal((2, 3, seq, 4))) for _ in range(3))
    cotangent = jnp.asarray(rng.standard_normal((2, 3, seq, 4)))

    def plain(q, k, v):
        return dot_product_attention(q, k, v, is_causal=True)[0]

    @jax.jit
    def outputs_and_gradients(q, k, v, cotangent):  # one compilation, not one per op
        blocked = functools.partial(blocked_causal_attention, block=block)
        out, blocked_vjp = jax.vjp(blocked, q, k, v)
        expected, plain_vjp = jax.vjp(plain, q, k, v)
        return (out, *blocked_vjp(cotangent)), (expected, *plain_vjp(cotangent))

    with jax.enable_x64(True):
        arrays = (a.astype(jnp.float64) for a in (q, k, v, cotangent))
        (out, *grads), (expected, *expected_grads) = outputs_and_gradients(*arrays)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        for got, want in zip(grads, expected_grads, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_multi_head_attention_without_weights_is_the_same_layer():
    """need_weights=False (blocked attention) gives the same output and parameter gradients."""
    rng = np.random.default_rng(8)
    params, x = random_mha_params(rng), normal(rng, (BATCH, 8, D_MODEL))

    def loss(params, need_weights):
        out, weights = multi_head_attention(
            params, x, n_heads=N_HEADS, is_causal=True, need_weights=need_weights
        )
        assert (weights is None) == (not need_weights)
        return jnp.sum(jnp.tanh(out))

    value_and_grad = jax.jit(jax.value_and_grad(loss), static_argnums=1)
    with jax.default_matmul_precision("highest"):
        value, grads = value_and_grad(params, False)
        value_plain, grads_plain = value_and_grad(params, True)
    np.testing.assert_allclose(value, value_plain, rtol=1e-6)
    jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=5e-6),
                 grads, grads_plain)  # fmt: skip


def test_split_heads_takes_consecutive_features_and_merge_inverts_it():
    x = jnp.arange(2 * 3 * 8.0).reshape(2, 3, 8)  # (batch, seq, d_model)
    heads = split_heads(x, 4)  # (batch, n_heads, seq, d_head)
    assert heads.shape == (2, 4, 3, 2)
    for h in range(4):
        np.testing.assert_array_equal(heads[:, h], x[..., 2 * h : 2 * h + 2])
    np.testing.assert_array_equal(merge_heads(heads), x)


def test_bfloat16_inputs_get_float32_weights():
    rng = np.random.default_rng(8)
    q, k, v = (normal(rng, (N_HEADS, SEQ, D_HEAD)) for _ in range(3))
    out, weights = attention(*(a.astype(jnp.bfloat16) for a in (q, k, v)), is_causal=True)
    assert weights.dtype == jnp.float32 and out.dtype == jnp.bfloat16
    expected_out, expected_weights = attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(weights, expected_weights, atol=3e-2)
    np.testing.assert_allclose(out.astype(jnp.float32), expected_out, atol=5e-2)


def test_init_shapes_and_bad_head_counts(key):
    params = init_multi_head_attention(key, 12, 3)
    assert jax.tree.map(jnp.shape, params) == {n: {"w": (12, 12), "b": (12,)} for n in "qkvo"}
    assert len({float(params[n]["w"][0, 0]) for n in "qkvo"}) == 4  # four keys, four draws
    with pytest.raises(ValueError, match="n_heads=5 must divide d_model=12"):
        init_multi_head_attention(key, 12, 5)
    with pytest.raises(ValueError, match="must divide"):
        multi_head_attention(params, jnp.ones((3, 12)), n_heads=5)
