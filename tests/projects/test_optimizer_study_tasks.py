"""The optimizer study's tasks: the quadratic's spectrum (numpy eigvalsh), the classifiers'
losses and metrics against numpy on the same logits."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.models.mlp import init_mlp, mlp
from jlr.projects.optimizer_study.tasks import (
    classification_task,
    quadratic_matrix,
    quadratic_task,
)


def test_quadratic_has_the_requested_condition_number(key):
    eigenvalues = np.linalg.eigvalsh(np.asarray(quadratic_matrix(key, 6, 50.0), np.float64))
    np.testing.assert_allclose(eigenvalues.max(), 1.0, rtol=1e-4)
    np.testing.assert_allclose(eigenvalues.max() / eigenvalues.min(), 50.0, rtol=1e-3)


def test_quadratic_loss_is_half_the_a_norm_of_the_error(key):
    task = quadratic_task(key, dim=5, condition_number=10.0)
    x = jax.random.normal(jax.random.fold_in(key, 1), (5,))
    a, x_star = np.asarray(task.data["a"], np.float64), np.asarray(task.data["x_star"])
    expected = 0.5 * (x - x_star) @ a @ (x - x_star)
    np.testing.assert_allclose(task.loss({"x": x}, task.data), expected, rtol=1e-5)
    assert task.n_train == 0


def test_classification_loss_and_metrics_match_numpy(key):
    x_key, y_key, init_key = jax.random.split(key, 3)
    x = jax.random.normal(x_key, (30, 4))
    y = jax.random.randint(y_key, (30,), 0, 3)
    data = {"x_train": x[:20], "y_train": y[:20], "x_test": x[20:], "y_test": y[20:]}
    task = classification_task("tiny", data, lambda k: init_mlp(k, (4, 5, 3)), mlp, 8)
    params = task.init_params(init_key)

    def numpy_cross_entropy(x, y):
        logits = np.asarray(mlp(params, x), np.float64)
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        return -log_probs[np.arange(len(y)), np.asarray(y)].mean()

    rows = jnp.array([3, 1, 4, 1])
    batch = task.batch(task.data, rows)
    np.testing.assert_allclose(task.loss(params, batch), numpy_cross_entropy(x[rows], y[rows]),
                               rtol=1e-5)  # fmt: skip
    metrics = task.evaluate(params, task.data)
    np.testing.assert_allclose(metrics["train_loss"], numpy_cross_entropy(x[:8], y[:8]), rtol=1e-5)
    np.testing.assert_allclose(metrics["test_loss"], numpy_cross_entropy(x[20:], y[20:]), rtol=1e-5)
    predicted = np.asarray(mlp(params, x[20:])).argmax(1)
    np.testing.assert_allclose(metrics["test_accuracy"], np.mean(predicted == np.asarray(y[20:])))
