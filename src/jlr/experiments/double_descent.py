"""Model-wise double descent in random-features regression (Belkin et al. 2019; Mei &
Montanari 2019).

Inputs x ~ N(0, I_d), targets y = x . beta + noise. The model has p random ReLU features,
phi(x) = relu(x W / sqrt(d)), W ~ N(0, 1) of shape (d, p) (fixed, not trained), and fits the
output weights a by minimum-norm least squares, a = pinv(Phi) y (the ridgeless limit, also
where gradient descent from zero goes). The test error against p:

- p < n: classical U shape (bias falls as p grows, variance rises);
- p = n (the interpolation threshold): Phi is square and nearly singular, the unique
  interpolant has a huge norm and the test error peaks;
- p > n: among many interpolants the minimum-norm one gets smoother as p grows: the test
  error descends a second time.

Run by lesson 04 (`lessons/04_optimization.py`), section 9, "Overparameterization and double
descent".
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp


def random_features(x: jax.Array, w: jax.Array) -> jax.Array:
    """phi = relu(x W / sqrt(d)). x: (n, d), w: (d, p) -> (n, p)."""
    return jax.nn.relu(x @ w / jnp.sqrt(x.shape[1]))


def min_norm_fit(features: jax.Array, y: jax.Array, rcond: float = 1e-6) -> jax.Array:
    """a = pinv(Phi) y: least squares, and the smallest |a| among exact fits.

    features: (n, p), y: (n,) -> (p,). Singular values below rcond * s_max count as zero
    (all-zero columns, as `random_features_test_error` uses to mask features, get a_j = 0).
    """
    return jnp.linalg.lstsq(features, y, rcond=rcond)[0]


def random_features_test_error(
    key: jax.Array,
    n_train: int,
    n_features: jax.Array,
    *,
    max_features: int,
    d: int = 20,
    noise_std: float = 0.5,
    n_test: int = 500,
) -> jax.Array:
    """Test mean squared error of one min-norm fit with the first n_features of max_features.

    Features j >= n_features are zeroed rather than sliced, so every n_features shares one
    compiled shape and the curve is a single vmapped call.
    """
    data_key, noise_key, weights_key = jax.random.split(key, 3)
    x_all = jax.random.normal(data_key, (n_train + n_test, d))
    x, x_test = x_all[:n_train], x_all[n_train:]  # (n_train, d), (n_test, d)
    weights = jax.random.normal(weights_key, (d, max_features + 1))
    beta = weights[:, 0] / jnp.sqrt(d)  # teacher, |beta| ~ 1: signal variance ~ 1
    w = jnp.where(jnp.arange(max_features) < n_features, weights[:, 1:], 0.0)  # (d, max_features)
    y = x @ beta + noise_std * jax.random.normal(noise_key, (n_train,))
    a = min_norm_fit(random_features(x, w), y)
    return jnp.mean((random_features(x_test, w) @ a - x_test @ beta) ** 2)


def double_descent_curve(
    key: jax.Array,
    n_train: int,
    feature_counts: Sequence[int],
    *,
    n_repeats: int = 5,
    d: int = 20,
    noise_std: float = 0.5,
) -> jax.Array:
    """Median test error over n_repeats draws for each p in feature_counts: (len(counts),).

    The median, not the mean: near p = n a single nearly singular draw dominates a mean.
    The same n_repeats keys (data, teacher, features) are used for every p.
    """
    counts = jnp.asarray(feature_counts)

    def error(repeat_key, p):
        return random_features_test_error(
            repeat_key, n_train, p, max_features=max(feature_counts), d=d, noise_std=noise_std
        )

    over_counts = jax.vmap(error, in_axes=(None, 0))
    errors = jax.jit(jax.vmap(over_counts, in_axes=(0, None)))(
        jax.random.split(key, n_repeats), counts
    )  # (n_repeats, len(counts))
    return jnp.median(errors, axis=0)
