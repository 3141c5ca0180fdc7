"""Positional encodings: how a Transformer learns where each token is.

Attention without positions is permutation equivariant (`jlr.nn.attention`): it sees a set
of tokens, not a sequence. Three ways to add order:

- **Sinusoidal** (Vaswani et al. 2017): a fixed vector per position, added to the token
  embedding. With angle pos * theta_j for the frequencies theta_j = base^(-2j / d_model),

      PE[pos, 2j] = sin(pos * theta_j),   PE[pos, 2j + 1] = cos(pos * theta_j),

  so each pair (2j, 2j + 1) is a point on a circle turning at its own speed, from once per
  2 pi tokens (j = 0) to once per 2 pi * base tokens; PE[pos + k] is a fixed rotation of
  PE[pos], which lets attention read relative offsets.
- **Learned** (GPT-2): a table of max_seq trainable vectors, one per position, added to the
  token embedding; `jlr.nn.embedding` indexed by position. It has nothing for positions it
  never saw in training (>= max_seq).
- **Rotary, RoPE** (Su et al. 2021, RoFormer): nothing is added to the embedding; instead
  the query and key of each head are rotated, pair by pair, by the angles pos * theta_j.
  A rotation by m theta of q and by n theta of k leaves q . k depending on m - n only:

      (R(m theta) q) . (R(n theta) k) = q . R((n - m) theta) k.

  Pairing convention: interleaved, as the paper and its complex-number formulation: the
  features (2j, 2j + 1) form the complex number z_j = x_2j + i x_2j+1, and RoPE multiplies
  it by e^(i pos theta_j). (GPT-NeoX and Hugging Face's Llama pair feature j with
  j + d_head / 2 instead, "halves"; the two differ by a fixed permutation of the features
  of q and k, which leaves every score q . k unchanged, so a model trained from scratch
  works the same either way, but weights trained with one do not load into the other.)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.nn.embedding import embed, init_embedding


def sinusoid_angles(positions: jax.Array, d: int, base: float = 10_000.0) -> jax.Array:
    """positions: (seq,) -> angles: (seq, d / 2), angles[t, j] = positions[t] * theta_j.

    theta_j = base^(-2j / d) for j = 0 .. d / 2 - 1; d must be even. float32 (or the float
    dtype of positions, if wider). The sinusoidal encoding and RoPE share these angles.
    """
    if d % 2:
        raise ValueError(f"d={d} must be even: features come in (sin, cos) pairs")
    positions = jnp.asarray(positions)
    dtype = jnp.promote_types(positions.dtype, jnp.float32)
    theta = base ** (-jnp.arange(0, d, 2, dtype=dtype) / d)  # (d / 2,)
    return positions.astype(dtype)[..., None] * theta  # (seq, d / 2)


def sinusoidal_encoding(positions: jax.Array, d_model: int, base: float = 10_000.0) -> jax.Array:
    """positions: (seq,) -> (seq, d_model): PE[t, 2j] = sin(angle), PE[t, 2j + 1] = cos(angle).

    Added to the token embeddings: x = embed(params, ids) + sinusoidal_encoding(
    jnp.arange(seq), d_model). No parameters; defined for any position.
    """
    angles = sinusoid_angles(positions, d_model, base)  # (seq, d_model / 2)
    pairs = jnp.stack([jnp.sin(angles), jnp.cos(angles)], axis=-1)  # (seq, d_model / 2, 2)
    return pairs.reshape(*angles.shape[:-1], d_model)  # (seq, d_model): sin, cos interleaved


def init_learned_positions(key: jax.Array, max_seq: int, d_model: int) -> dict[str, jax.Array]:
    """{"table": (max_seq, d_model)}: one trainable vector per position, `init_embedding`'s."""
    return init_embedding(key, max_seq, d_model)


def learned_positions(params: dict[str, jax.Array], positions: jax.Array) -> jax.Array:
    """positions: (seq,) ints in [0, max_seq) -> (seq, d_model), rows of the table.

    A position >= max_seq has no row and gives NaN (see `jlr.nn.embedding.embed`).
    """
    return embed(params, positions)


def rope(x: jax.Array, positions: jax.Array, base: float = 10_000.0) -> jax.Array:
    """Rotary position embedding: rotate each feature pair of x by its position's angle.

        y_2j   = x_2j cos(a) - x_2j+1 sin(a)         a = positions[t] * theta_j
        y_2j+1 = x_2j sin(a) + x_2j+1 cos(a)         (z_j -> z_j e^(i a), interleaved pairs)

    x: (..., seq, d_head), e.g. q or k as (batch, n_heads, seq, d_head); positions: (seq,)
    -> (..., seq, d_head), same dtype as x (angles in float32). Each pair is rotated, so the
    norm of every vector is kept, and position 0 is the identity.
    """
    angles = sinusoid_angles(positions, x.shape[-1], base)  # (seq, d_head / 2)
    cos, sin = jnp.cos(angles), jnp.sin(angles)  # (seq, d_head / 2) each
    even, odd = x[..., 0::2], x[..., 1::2]  # (..., seq, d_head / 2) each
    rotated = jnp.stack([even * cos - odd * sin, even * sin + odd * cos], axis=-1)
    return rotated.reshape(x.shape).astype(x.dtype)  # (..., seq, d_head), pairs interleaved
