r"""Principal component analysis: the SVD of centered data.

For data X: (n_samples, d) with mean mu and centered Xc = X - mu = U diag(s) V^T, the principal
directions are the rows of V^T (the eigenvectors of the covariance Xc^T Xc / (n - 1)), the
variance along direction i is s_i^2 / (n - 1), and the explained variance ratio is
s_i^2 / sum_j s_j^2. Encoding keeps k coordinates z = V_k^T (x - mu); decoding maps back,
x_hat = V_k z + mu, which is the best rank-k affine reconstruction of the data (Eckart-Young
applied to Xc).
Source: Pearson (1901); Hotelling (1933); Bishop, Pattern Recognition and Machine Learning, 12.1.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("n_components",))
def fit_pca(x: jax.Array, n_components: int) -> dict[str, jax.Array]:
    """PCA of x: (n_samples, d), keeping k = n_components directions.

    -> {"mean": (d,), "components": (k, d) orthonormal rows,
        "explained_variance": (k,), "explained_variance_ratio": (k,)}
    """
    mean = jnp.mean(x, axis=0)
    _, s, vt = jnp.linalg.svd(x - mean[None, :], full_matrices=False)  # vt: (min(n, d), d)
    variance = s**2 / (x.shape[0] - 1)
    return {
        "mean": mean,
        "components": vt[:n_components],
        "explained_variance": variance[:n_components],
        "explained_variance_ratio": variance[:n_components] / jnp.sum(variance),
    }


def pca_encode(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    """z = V_k^T (x - mu) for one example (vmap for a batch). x: (d,) -> z: (k,)."""
    return (x - params["mean"]) @ params["components"].T


def pca_decode(params: dict[str, jax.Array], z: jax.Array) -> jax.Array:
    """x_hat = V_k z + mu for one example (vmap for a batch). z: (k,) -> x_hat: (d,)."""
    return z @ params["components"] + params["mean"]


def relative_reconstruction_error(x: jax.Array, x_hat: jax.Array) -> jax.Array:
    """|X - X_hat|_F / |X - mean(X)|_F, the fraction of spread left. x, x_hat: (n_samples, d)."""
    centered = x - jnp.mean(x, axis=0)[None, :]  # (n_samples, d)
    return jnp.linalg.norm(x - x_hat) / jnp.linalg.norm(centered)
