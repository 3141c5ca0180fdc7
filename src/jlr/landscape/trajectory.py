r"""A training trajectory seen in 2-D: its top PCA directions (Li et al. 2018, section 7).

Random directions in a space of n_params dimensions are almost orthogonal to the path an
optimizer takes, so a trajectory drawn on a random 2-D slice hardly moves. Li et al. take
the slice the path itself spans most: with snapshots theta_0 .. theta_{T-1} and the final
point theta_* as the origin, the rows of

    M = [theta_0 - theta_*; ...; theta_{T-1} - theta_*]                 (n_snapshots, n_params)

are centered, M_c = M - mean_rows(M), and the top right singular vectors of
M_c = U diag(s) V^T are the directions, d_k = V[:, k], with s_k^2 / sum_j s_j^2 the share of
the variance each captures. Each snapshot's coordinates are its projection
(theta_t - theta_*) . d_k, and the loss surface L(theta_* + a d_1 + b d_2) under it
(`jlr.landscape.directions.surface_2d`) is the contour the path is drawn over.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax


class TrajectoryPCA(NamedTuple):
    directions: jax.Array  # (n_components, n_params), orthonormal rows d_k
    coords: jax.Array  # (n_snapshots, n_components): (theta_t - center) . d_k
    explained: jax.Array  # (n_components,): s_k^2 / sum_j s_j^2, the variance share of d_k


def trajectory_pca(
    trajectory: jax.Array, center: jax.Array, n_components: int = 2
) -> TrajectoryPCA:
    """Top PCA directions of the snapshots trajectory: (n_snapshots, n_params) around center.

    center: (n_params,), usually the last snapshot. Each direction's sign is fixed so that
    the first snapshot has a coordinate <= 0 along it (the path runs towards +d_k).
    """
    offsets = trajectory - center  # (n_snapshots, n_params)
    centered = offsets - offsets.mean(axis=0)
    _, s, vt = jnp.linalg.svd(centered, full_matrices=False)  # vt: (min(T, n), n_params)
    directions = vt[:n_components]  # (n_components, n_params)
    coords = jnp.dot(offsets, directions.T, precision=lax.Precision.HIGHEST)  # (T, k)
    sign = jnp.where(coords[0] > 0, -1.0, 1.0)  # (n_components,)
    explained = s[:n_components] ** 2 / jnp.sum(s**2)
    return TrajectoryPCA(directions * sign[:, None], coords * sign, explained)
