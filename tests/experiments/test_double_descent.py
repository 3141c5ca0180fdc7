"""Double descent has its peak at p = n; the min-norm fit is numpy's pinv (oracle: numpy)."""

import jax.numpy as jnp
import numpy as np

from jlr.experiments.double_descent import double_descent_curve, min_norm_fit, random_features


def test_min_norm_fit_matches_numpy_and_ignores_zero_columns(float64):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(6, 10))
    features[:, 7:] = 0.0
    y = rng.normal(size=6)
    a = np.asarray(min_norm_fit(jnp.asarray(features), jnp.asarray(y)))
    np.testing.assert_allclose(a, np.linalg.pinv(features) @ y, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a[7:], 0.0, atol=1e-12)


def test_random_features_are_relu_of_scaled_projections():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(4, 9)), rng.normal(size=(9, 5))
    np.testing.assert_allclose(random_features(jnp.asarray(x), jnp.asarray(w)),
                               np.maximum(x @ w / 3.0, 0.0), rtol=1e-5, atol=1e-6)  # fmt: skip


def test_double_descent_peaks_at_the_interpolation_threshold(key):
    counts = [3, 6, 10, 14, 18, 20, 22, 26, 40, 100, 200]
    errors = np.asarray(double_descent_curve(key, 20, counts, n_repeats=7, d=5))
    assert counts[int(np.argmax(errors))] in (18, 20, 22)
    under = errors[np.array(counts) <= 10].min()
    assert errors.max() > 3 * under  # the peak
    assert errors[-1] < errors.max() / 3  # the second descent
