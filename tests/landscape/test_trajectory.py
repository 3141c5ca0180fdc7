"""Trajectory PCA against numpy's SVD of the centered snapshot matrix, and on a path that lies
in a known plane."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.landscape.trajectory import trajectory_pca


def test_directions_and_variance_shares_match_numpy_svd(key):
    trajectory = np.asarray(jax.random.normal(key, (12, 30)), np.float64)
    center = trajectory[-1]
    pca = trajectory_pca(jnp.asarray(trajectory, jnp.float32), jnp.asarray(center, jnp.float32))
    offsets = trajectory - center
    _, s, vt = np.linalg.svd(offsets - offsets.mean(0), full_matrices=False)
    directions = np.asarray(pca.directions, np.float64)
    for k in range(2):  # equal up to sign
        np.testing.assert_allclose(np.abs(directions[k] @ vt[k]), 1.0, atol=1e-5)
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-5)
    np.testing.assert_allclose(pca.explained, s[:2] ** 2 / np.sum(s**2), rtol=1e-4)
    np.testing.assert_allclose(pca.coords, offsets @ directions.T, rtol=1e-4, atol=1e-4)
    assert np.all(np.asarray(pca.coords[0]) <= 0)  # the sign convention
    np.testing.assert_allclose(pca.coords[-1], 0.0, atol=1e-6)  # the center is the origin


def test_a_path_in_a_plane_is_recovered_with_all_its_variance(key):
    plane_key, t_key = jax.random.split(key)
    basis, _ = np.linalg.qr(np.asarray(jax.random.normal(plane_key, (50, 2))))  # (50, 2)
    t = np.linspace(0.0, 1.0, 20)
    plane_coords = np.stack([3 * (1 - t), np.sin(4 * t)], axis=1)  # (20, 2), ends at (0, ~0)
    center = np.asarray(jax.random.normal(t_key, (50,)))
    trajectory = center + (plane_coords - plane_coords[-1]) @ basis.T  # (20, 50)
    pca = trajectory_pca(jnp.asarray(trajectory), jnp.asarray(center))
    np.testing.assert_allclose(pca.explained.sum(), 1.0, rtol=1e-4)
    projected = np.asarray(pca.coords) @ np.asarray(pca.directions)  # back in R^50
    np.testing.assert_allclose(projected, trajectory - center, atol=1e-4)
