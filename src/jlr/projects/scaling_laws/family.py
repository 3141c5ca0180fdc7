r"""The model family of the scaling-law study: GPT sizes, how they are counted, their rates.

A size is written "LxD": L blocks (n_layers) of width D (d_model), e.g. "2x48"; its heads are
D / d_head wide (`jlr.models.transformer` with d_ff = 4 D).

Counting N (Kaplan et al. 2020, section 2.1): N is the number of NON-EMBEDDING parameters.
`non_embedding_params` counts every leaf of the parameter pytree except the token embedding
table `embed.table` (vocab x D, which is also the tied unembedding) and the learned position
table `positions.table` (block_size x D; rotary positions have none). It keeps the attention
and MLP weights AND their biases, every layer norm and the final one, exactly:

    N = L (12 D^2 + 13 D) + 2 D
        per block: q, k, v, o  4 (D^2 + D);  fc  D (4D) + 4D;  proj (4D) D + D;  2 norms 4D

Kaplan's estimate N ≈ 12 L D^2 (`kaplan_estimate`) drops the biases and norms: 7% of N for 1x16,
1% for 4x96. Compute per training token is C ≈ 6 N (2 N for the
forward pass, 4 N backward), so a run on D tokens costs C ≈ 6 N D; that also leaves out the
embedding's and the attention scores' share: for the 1x16 model and a 160-character
vocabulary the tied unembedding's 160 x 16 = 2,560 weights are 77% of N = 3,312, so the
smallest models' C is an underestimate.

Learning rate: Adam's update moves each weight by about lr, so a D x D matrix's output moves
by about lr D; the rule lr(D) = lr_ref * D_ref / D keeps that change the same across widths
(muP's Adam rule for hidden matrices, Yang et al. 2022), applied here to the whole model.
"""

from __future__ import annotations

import re

import jax

from jlr.errors import ConfigError
from jlr.models.transformer import TransformerConfig

EXCLUDED_LEAVES = ("embed", "positions")  # top-level keys of the embedding and position tables
_SIZE = re.compile(r"(\d+)x(\d+)")


def parse_size(size: str, d_head: int) -> tuple[int, int]:
    """ "LxD" -> (n_layers, d_model); a one-line ConfigError for anything else."""
    match = _SIZE.fullmatch(size.strip())
    if not match:
        raise ConfigError(f"sizes: {size!r} is not LxD (blocks x width), e.g. 2x48")
    n_layers, d_model = int(match[1]), int(match[2])
    if not 1 <= n_layers <= 48 or not 1 <= d_model <= 4096:
        raise ConfigError(f"sizes: {size!r} needs 1 <= L <= 48 blocks and width 1 <= D <= 4096")
    if d_model % d_head:
        raise ConfigError(
            f"sizes: {size!r} has width {d_model}, not a multiple of d_head={d_head}; "
            f"use widths that are multiples of {d_head}"
        )
    return n_layers, d_model


def size_model(
    size: str, *, vocab_size: int, block_size: int, d_head: int, positional: str
) -> TransformerConfig:
    """The GPT of one size: D / d_head heads, no dropout, float32."""
    n_layers, d_model = parse_size(size, d_head)
    return TransformerConfig(
        vocab_size=vocab_size,
        block_size=block_size,
        n_layer=n_layers,
        n_head=d_model // d_head,
        n_embd=d_model,
        positional=positional,
    )


def non_embedding_params(params: dict) -> int:
    """N: the scalar parameters outside the embedding and position tables (see above)."""
    kept = {name: leaf for name, leaf in params.items() if name not in EXCLUDED_LEAVES}
    return sum(leaf.size for leaf in jax.tree.leaves(kept))


def embedding_params(params: dict) -> int:
    """The parameters N leaves out: the token table (tied unembedding) and learned positions."""
    return sum(leaf.size for name in EXCLUDED_LEAVES for leaf in jax.tree.leaves(params.get(name)))


def exact_count(n_layers: int, d_model: int) -> int:
    """N = L (12 D^2 + 13 D) + 2 D, the closed form of `non_embedding_params`."""
    return n_layers * (12 * d_model**2 + 13 * d_model) + 2 * d_model


def kaplan_estimate(n_layers: int, d_model: int) -> int:
    """N ≈ 12 L D^2 (Kaplan et al. 2020, eq. 2.1 with d_attn = D, d_ff = 4 D)."""
    return 12 * n_layers * d_model**2


def width_lr(d_model: int, lr_ref: float, d_ref: int) -> float:
    """lr(D) = lr_ref * D_ref / D."""
    return lr_ref * d_ref / d_model
