"""The noise-scale experiment: every vmapped run equals the same run trained alone with its own
step budget; the minimum's report equals direct computations (eigvalsh of the full Hessian)."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jlr.experiments.noise_scale import (
    describe_minimum,
    mlp_loss,
    sgd_noise_scale_runs,
    train_mlp_classifier,
)
from jlr.models.mlp import mlp
from jlr.optim import sgd


def tiny_classification(key, n=48, d=5, n_classes=3):
    x_key, w_key = jax.random.split(key)
    x = jax.random.normal(x_key, (n, d))
    y = jnp.argmax(x @ jax.random.normal(w_key, (d, n_classes)), axis=1).astype(jnp.int32)
    return x, y


def test_every_vmapped_run_equals_a_run_trained_alone(key):
    """lr * steps = train_time: 0.1 -> 40 steps, 0.2 -> 20, 0.4 -> 10 (then lr 0 until 40)."""
    x, y = tiny_classification(key)
    lrs, budgets = [0.1, 0.2, 0.4], [40, 20, 10]
    runs = sgd_noise_scale_runs(key, x, y, lrs, 8, train_time=4.0, hidden=(6,))
    for i, (lr, n_steps) in enumerate(zip(lrs, budgets, strict=True)):
        alone = jax.jit(
            lambda lr=lr, n=n_steps: train_mlp_classifier(
                key, sgd(lr), x, y, batch_size=8, n_steps=n, hidden=(6,), n_classes=3
            )
        )()
        for a, b in zip(jax.tree.leaves(alone), jax.tree.leaves(runs), strict=True):
            np.testing.assert_allclose(b[i], a, rtol=1e-4, atol=1e-5, err_msg=f"run {i}")
    first_layer = np.asarray(runs[0]["w"])
    assert not np.allclose(first_layer[0], first_layer[2], atol=1e-3)  # the runs differ


def test_describe_minimum_reports_what_it_measured(key, float64):
    x, y = tiny_classification(key)
    x_test, y_test = tiny_classification(jax.random.fold_in(key, 1), n=30)
    params = jax.jit(
        lambda: train_mlp_classifier(
            key, sgd(0.3), x, y, batch_size=48, n_steps=100, hidden=(8,), n_classes=3
        )
    )()
    report = describe_minimum(key, params, x, y, x_test, y_test, n_power_iters=300)
    flat, unravel = ravel_pytree(params)
    hessian = jax.hessian(lambda v: mlp_loss(unravel(v), x, y))(flat)
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian, np.float64))
    assert eigenvalues[-1] > abs(eigenvalues[0])  # at a minimum lambda_max dominates
    np.testing.assert_allclose(report["sharpness"], eigenvalues[-1], rtol=1e-3)
    logits = np.asarray(mlp(params, x), np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(report["train_loss"], -log_probs[np.arange(48), y].mean(), rtol=1e-5)
    test_pred = np.asarray(mlp(params, x_test)).argmax(1)
    np.testing.assert_allclose(report["test_acc"], np.mean(test_pred == np.asarray(y_test)))
    assert report["train_acc"] > 0.8  # training worked
