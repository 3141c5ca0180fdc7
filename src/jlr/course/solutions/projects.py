"""Reference solutions to lesson 10's exercises (``exercises/10_projects.py``).

Filter normalization is the library's (`jlr.landscape.directions.filter_normalize`, tested
there against a per-filter loop) and the expected best of k draws the optimizer study's
(`jlr.projects.optimizer_study.analysis.expected_best_of_k`, tested against every subset);
attention rollout, which the library does not have, is written out.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.landscape.directions import filter_normalize as jlr_filter_normalize
from jlr.projects.optimizer_study.analysis import expected_best_of_k as study_expected_best_of_k


def attention_rollout(weights: jax.Array) -> jax.Array:
    """A_l = (mean_h W_l + I) / 2, composed first layer first. -> (seq, seq)"""
    n_layer, _, seq, _ = weights.shape
    eye = jnp.eye(seq, dtype=weights.dtype)
    rollout = eye
    for layer in range(n_layer):
        mixed = 0.5 * jnp.mean(weights[layer], axis=0) + 0.5 * eye  # (seq, seq)
        rollout = mixed @ rollout  # (seq, seq): layer l acts after layers 0..l-1
    return rollout


def expected_best_of_k(losses, k: int) -> float:
    """The optimizer study's expected best of k draws."""
    return study_expected_best_of_k(losses, k)


def filter_normalize(direction: dict, params: dict) -> dict:
    """The library's filter normalization."""
    return jlr_filter_normalize(direction, params)
