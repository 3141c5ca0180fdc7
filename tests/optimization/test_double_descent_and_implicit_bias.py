"""Double descent has its peak at p = n; GD finds the min-norm solution and the max-margin
direction (oracles: numpy pinv/lstsq and scikit-learn's linear SVM)."""

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.svm import LinearSVC

from jlr.optimization.double_descent import double_descent_curve, min_norm_fit
from jlr.optimization.implicit_bias import (
    cosine,
    gd_least_squares,
    gd_logistic_regression,
    logistic_loss,
    normalized_margin,
)


def test_min_norm_fit_matches_numpy_and_ignores_zero_columns(float64):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(6, 10))
    features[:, 7:] = 0.0
    y = rng.normal(size=6)
    a = np.asarray(min_norm_fit(jnp.asarray(features), jnp.asarray(y)))
    np.testing.assert_allclose(a, np.linalg.pinv(features) @ y, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a[7:], 0.0, atol=1e-12)


def test_double_descent_peaks_at_the_interpolation_threshold(key):
    counts = [3, 6, 10, 14, 18, 20, 22, 26, 40, 100, 200]
    errors = np.asarray(double_descent_curve(key, 20, counts, n_repeats=7, d=5))
    assert counts[int(np.argmax(errors))] in (18, 20, 22)
    under = errors[np.array(counts) <= 10].min()
    assert errors.max() > 3 * under  # the peak
    assert errors[-1] < errors.max() / 3  # the second descent


def test_gd_from_zero_finds_the_minimum_norm_solution(key, float64):
    a = jax.random.normal(key, (6, 15), jnp.float64) / np.sqrt(15)
    b = jax.random.normal(jax.random.fold_in(key, 1), (6,), jnp.float64)
    x = gd_least_squares(a, b, lr=0.5, n_steps=2000)
    np.testing.assert_allclose(np.asarray(x), np.linalg.pinv(np.asarray(a)) @ np.asarray(b),
                               rtol=1e-6, atol=1e-8)  # fmt: skip


def test_logistic_regression_direction_converges_to_the_max_margin_svm():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 2))
    x = x[np.abs(x @ np.array([2.0, -1.0])) > 0.4]
    y = np.sign(x @ np.array([2.0, -1.0]))
    w, (saved_steps, saved_w) = gd_logistic_regression(jnp.asarray(x), jnp.asarray(y), 1.0, 20_000)
    svm = LinearSVC(C=1e4, loss="hinge", fit_intercept=False, max_iter=200_000, tol=1e-10)
    w_svm = svm.fit(x, y).coef_[0]
    assert float(cosine(w, jnp.asarray(w_svm))) > 0.999
    assert float(normalized_margin(w, x, y)) > 0.9 * float(
        normalized_margin(jnp.asarray(w_svm), x, y)
    )
    norms = np.linalg.norm(np.asarray(saved_w), axis=1)
    assert np.all(np.diff(norms) > 0)  # |w| grows without bound (like log t)
    losses = [float(logistic_loss(v, x, y)) for v in saved_w]
    assert np.all(np.diff(losses) < 0) and saved_steps[-1] == 20_000
