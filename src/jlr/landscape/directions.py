r"""Directions in parameter space and the loss along them: 1-D paths and 2-D surfaces.

Filter normalization (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"): a
random direction d ~ N(0, I) is rescaled filter by filter,

    d_f <- d_f / |d_f| * |theta_f|

so a step of size 1 along d moves every filter f by its own norm: networks whose weights differ
only by a scale (which ReLU and normalization layers do not see) get comparable plots. The
filter axis is the last axis of every weight: `jlr.nn.linear` weights are (d_in, d_out), so a
filter is a column (one output unit's incoming weights); conv kernels are HWIO
(`jlr.nn.conv`: (k_h, k_w, c_in, c_out)), so a filter is kernel[..., o]. Biases and every other
leaf with fewer than 2 axes (norm scales and shifts) get the zero direction, as Li et al.
ignore biases and BN parameters: the plot moves weights only.

Linear interpolation between two solutions, L((1 - a) theta_a + a theta_b) for a in [0, 1],
shows whether they are linearly connected (Goodfellow et al. 2015; Frankle et al. 2020); its
barrier (below) is the rise of the loss above the worse endpoint. The 2-D surface
L(theta + a d_1 + b d_2) is evaluated with vmap over chunks of grid points, so the loss is
traced and compiled once for the whole grid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.flatten_util import ravel_pytree


def _filter_normalized_leaf(d: jax.Array, theta: jax.Array) -> jax.Array:
    """One leaf: filters on the last axis rescaled to theta's; zero for ndim < 2."""
    if theta.ndim < 2:
        return jnp.zeros_like(theta)
    axes = tuple(range(theta.ndim - 1))  # every axis but the filter axis
    d_norm = jnp.sqrt(jnp.sum(d**2, axis=axes, keepdims=True))  # (1, ..., 1, n_filters)
    theta_norm = jnp.sqrt(jnp.sum(theta**2, axis=axes, keepdims=True))
    return d / d_norm * theta_norm


def filter_normalize(direction: Any, params: Any) -> Any:
    """direction rescaled filter by filter: d_f |theta_f| / |d_f|; zero on leaves of ndim < 2.

    direction and params: pytrees of the same structure and shapes; a filter is a slice on
    the last axis of a leaf (a column of a (d_in, d_out) weight, kernel[..., o] of an HWIO
    kernel).
    """
    return jax.tree.map(_filter_normalized_leaf, direction, params)


def filter_normalized_direction(key: jax.Array, params: Any) -> Any:
    """A Gaussian direction shaped like params, each filter scaled to |theta_f|; zero biases."""
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    gaussian = [
        jax.random.normal(k, leaf.shape, leaf.dtype) for k, leaf in zip(keys, leaves, strict=True)
    ]
    return filter_normalize(jax.tree.unflatten(treedef, gaussian), params)


def interpolate(
    loss: Callable[[Any], jax.Array], params_a: Any, params_b: Any, alphas: jax.Array
) -> jax.Array:
    """L((1 - a) params_a + a params_b) for each a in alphas: (n_alphas,), vmapped over a."""
    flat_a, unravel = ravel_pytree(params_a)
    flat_b, _ = ravel_pytree(params_b)
    return jax.vmap(lambda a: loss(unravel((1 - a) * flat_a + a * flat_b)))(alphas)


def barrier_height(path_losses: jax.Array) -> jax.Array:
    """max_a L(a) - max(L(0), L(1)) along a path whose first and last losses are its ends.

    path_losses: (n_alphas,) from `interpolate` with alphas[0] = 0 and alphas[-1] = 1; 0 when
    the loss never rises above the worse end (the two are linearly connected). Frankle et al.
    2020 subtract the mean of the two ends instead; with equal end losses the two agree.
    """
    return jnp.max(path_losses) - jnp.maximum(path_losses[0], path_losses[-1])


def surface_2d(
    loss: Callable[[Any], jax.Array],
    params: Any,
    d1: Any,
    d2: Any,
    alphas: jax.Array,
    betas: jax.Array,
    chunk_size: int,
) -> jax.Array:
    """L(params + a d1 + b d2) on the grid alphas x betas: (n_alphas, n_betas).

    The n_alphas * n_betas points, padded to whole chunks, are evaluated chunk_size at a time:
    `lax.map` over chunks of a vmapped loss (memory ~ chunk_size forward passes).
    """
    flat, unravel = ravel_pytree(params)
    flat_d1, _ = ravel_pytree(d1)
    flat_d2, _ = ravel_pytree(d2)
    a, b = jnp.meshgrid(alphas, betas, indexing="ij")  # (n_alphas, n_betas) each
    points = jnp.stack([a.ravel(), b.ravel()], axis=1)  # (n_points, 2)
    n_points = points.shape[0]
    n_chunks = -(-n_points // chunk_size)
    points = jnp.pad(points, ((0, n_chunks * chunk_size - n_points), (0, 0)))
    chunks = points.reshape(n_chunks, chunk_size, 2)  # (n_chunks, chunk_size, 2)

    def point_loss(ab):
        return loss(unravel(flat + ab[0] * flat_d1 + ab[1] * flat_d2))

    losses = lax.map(jax.vmap(point_loss), chunks)  # (n_chunks, chunk_size)
    return losses.reshape(-1)[:n_points].reshape(a.shape)  # (n_alphas, n_betas)
