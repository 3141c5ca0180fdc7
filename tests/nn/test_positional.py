"""Positional encodings: sinusoidal values against Vaswani et al.'s formula in float64 numpy;
learned positions are rows of their table; RoPE against an independent complex-number
reference, preserving norms, the identity at position 0, and (the property RoPE exists for)
attention scores q_m . k_n that depend only on m - n."""

import functools

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.nn.positional import (
    init_learned_positions,
    learned_positions,
    rope,
    sinusoid_angles,
    sinusoidal_encoding,
)

EPS32 = np.finfo(np.float32).eps


def angle_tolerance(max_position):
    """A float32 angle pos * theta (theta <= 1) is off by up to ~eps * pos: sin and cos too."""
    return 1e-6 + 4 * EPS32 * max_position


def numpy_sinusoidal(positions, d_model):
    """PE[pos, 2i] = sin(pos / 10000^(2i / d_model)), PE[pos, 2i + 1] = cos(same), float64."""
    pe = np.zeros((len(positions), d_model))
    for i in range(d_model // 2):
        angle = np.asarray(positions, np.float64) / 10_000 ** (2 * i / d_model)
        pe[:, 2 * i], pe[:, 2 * i + 1] = np.sin(angle), np.cos(angle)
    return pe


def numpy_rope(x, positions):
    """RoPE as complex multiplication, float64: z_j = x_2j + i x_2j+1 times e^(i pos theta_j),
    theta_j = 10000^(-2j / d), written back as (real, imag) pairs."""
    x = np.asarray(x, np.float64)
    d = x.shape[-1]
    theta = 10_000.0 ** (-np.arange(d // 2) * 2 / d)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * np.outer(positions, theta))
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = z.real, z.imag
    return out


@pytest.mark.parametrize("d_model", [2, 8, 64])
@pytest.mark.parametrize("start", [0, 1000])
def test_sinusoidal_matches_the_formula(d_model, start):
    positions = np.arange(start, start + 50)
    got = sinusoidal_encoding(jnp.asarray(positions), d_model)
    assert got.shape == (50, d_model) and got.dtype == jnp.float32
    expected = numpy_sinusoidal(positions, d_model)
    np.testing.assert_allclose(got, expected, rtol=0, atol=angle_tolerance(positions.max()))


def test_sinusoidal_columns_are_sin_then_cos_of_one_frequency():
    """The Vaswani layout pinned by hand: d_model = 4, position 1: angles 1 and 1/100."""
    got = sinusoidal_encoding(jnp.array([0, 1]), 4)
    np.testing.assert_array_equal(got[0], [0.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(got[1], [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)],
                               rtol=1e-6)  # fmt: skip


def test_odd_width_is_an_error():
    with pytest.raises(ValueError, match="d=5 must be even"):
        sinusoid_angles(jnp.arange(3), 5)
    with pytest.raises(ValueError, match="must be even"):
        rope(jnp.ones((3, 5)), jnp.arange(3))


def test_learned_positions_are_rows_of_a_table(key):
    params = init_learned_positions(key, 16, 8)
    assert params["table"].shape == (16, 8)
    np.testing.assert_array_equal(learned_positions(params, jnp.arange(10)), params["table"][:10])
    beyond = learned_positions(params, jnp.array([15, 16]))
    assert np.all(np.isfinite(beyond[0])) and np.all(np.isnan(beyond[1]))  # no row for 16


@pytest.mark.parametrize("start", [0, 300])
def test_rope_matches_the_complex_number_formulation(start):
    x = jnp.asarray(np.random.default_rng(0).standard_normal((2, 3, 10, 16)), jnp.float32)
    positions = np.arange(start, start + 10)
    got = rope(x, jnp.asarray(positions))
    tol = angle_tolerance(positions.max()) * 4  # |x| up to ~4
    np.testing.assert_allclose(got, numpy_rope(x, positions), rtol=0, atol=tol)


def test_rope_pairs_are_interleaved():
    """e_0 at position 1 turns by angle theta_0 = 1 within features (0, 1); e_2 by 1/100
    within (2, 3): adjacent features pair up, not j with j + d/2."""
    basis = jnp.eye(4)[jnp.array([0, 2])]  # (2, 4): e_0 and e_2, both at position 1
    turned = rope(basis[:, None, :], jnp.array([1]))[:, 0]  # (2, 4)
    np.testing.assert_allclose(turned[0], [np.cos(1), np.sin(1), 0, 0], atol=1e-7)
    np.testing.assert_allclose(turned[1], [0, 0, np.cos(0.01), np.sin(0.01)], atol=1e-7)


@jax.jit
def rope_scores(q, k, q_positions, k_positions):
    """scores[i, j] = rope(q, m)_i . rope(k, n)_j."""
    return rope(q, q_positions) @ rope(k, k_positions).T  # (seq_q, seq_k)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    offset=st.integers(-200, 2000),
    start=st.integers(0, 100),
)
def test_rope_scores_depend_only_on_relative_position(seed, offset, start):
    """q_m . k_n with every position shifted by the same offset is unchanged; a rotation of
    q alone (or any absolute code) would move it by O(|q| |k|)."""
    rng = np.random.default_rng(seed)
    q, k = (jnp.asarray(rng.standard_normal((8, 32)), jnp.float32) for _ in range(2))
    m = jnp.arange(start, start + 8)
    n = jnp.asarray(rng.integers(0, 100, 8))  # keys at positions of their own
    scores = rope_scores(q, k, m, n)
    shifted = rope_scores(q, k, m + offset, n + offset)
    # each score's own scale |q_i| |k_j| times the angle error
    norms = np.linalg.norm(q, axis=-1)[:, None] * np.linalg.norm(k, axis=-1)[None, :]
    tol = norms * angle_tolerance(max(start + 8, 100) + abs(offset))  # (8, 8)
    assert np.all(np.abs(shifted - scores) <= tol), np.max(np.abs(shifted - scores) / tol)
    # and the score at (m, n) is the score at (m - n, 0): only the difference matters
    relative = rope_scores(q, k, m - n, jnp.zeros(8, jnp.int32))
    diag_error = np.abs(np.diag(scores) - np.diag(relative))
    assert np.all(diag_error <= np.diag(tol)), np.max(diag_error / np.diag(tol))


@functools.partial(jax.jit, static_argnames="dtype")
def rope_norms(x, positions, dtype=jnp.float32):
    rotated = rope(x.astype(dtype), positions)
    return jnp.linalg.norm(x, axis=-1), jnp.linalg.norm(rotated.astype(jnp.float32), axis=-1)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), start=st.integers(0, 10_000))
def test_rope_preserves_norms(seed, start):
    x = jnp.asarray(np.random.default_rng(seed).standard_normal((3, 5, 8)), jnp.float32)
    before, after = rope_norms(x, jnp.arange(start, start + 5))
    np.testing.assert_allclose(after, before, rtol=1e-5)


def test_rope_at_position_zero_is_the_identity_and_keeps_the_dtype():
    x = jnp.asarray(np.random.default_rng(1).standard_normal((4, 1, 6)), jnp.float32)
    np.testing.assert_array_equal(rope(x, jnp.array([0])), x)
    half = rope(x.astype(jnp.bfloat16), jnp.arange(1))
    assert half.dtype == jnp.bfloat16
