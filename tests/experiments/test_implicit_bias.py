"""Gradient descent's implicit bias: the min-norm least-squares solution (numpy pinv) and the
max-margin direction (scikit-learn's linear SVM)."""

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.svm import LinearSVC

from jlr.experiments.implicit_bias import (
    cosine,
    gd_least_squares,
    gd_logistic_regression,
    logistic_loss,
    normalized_margin,
)


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
    np.testing.assert_allclose(
        float(cosine(w, jnp.asarray(w_svm))),
        w @ w_svm / np.linalg.norm(w) / np.linalg.norm(w_svm),
        rtol=1e-5,
    )
    assert float(cosine(w, jnp.asarray(w_svm))) > 0.999
    svm_margin = np.min(y * (x @ w_svm)) / np.linalg.norm(w_svm)
    np.testing.assert_allclose(float(normalized_margin(jnp.asarray(w_svm), x, y)), svm_margin,
                               rtol=1e-5)  # fmt: skip
    assert float(normalized_margin(w, x, y)) > 0.9 * svm_margin
    norms = np.linalg.norm(np.asarray(saved_w), axis=1)
    assert np.all(np.diff(norms) > 0)  # |w| grows without bound (like log t)
    losses = [float(logistic_loss(v, x, y)) for v in saved_w]
    assert np.all(np.diff(losses) < 0) and saved_steps[-1] == 20_000
