"""Sharpness by HVP power iteration vs eigvalsh of the full Hessian; the mini-batch
variance law vs Monte-Carlo; the noise-scale runs vs separate training runs."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.models.mlp import init_mlp
from jlr.optim import sgd
from jlr.optimization.minibatch_noise import (
    measured_minibatch_variance,
    per_example_gradients,
    predicted_minibatch_variance,
)
from jlr.optimization.noise_scale import (
    describe_minimum,
    mean_cross_entropy,
    noise_scale,
    sgd_noise_scale_runs,
    spearman,
    train_mlp_classifier,
)
from jlr.optimization.sharpness import top_hessian_eigenvalue


def tiny_classification(key, n=48, d=5, n_classes=3):
    x_key, w_key = jax.random.split(key)
    x = jax.random.normal(x_key, (n, d))
    y = jnp.argmax(x @ jax.random.normal(w_key, (d, n_classes)), axis=1).astype(jnp.int32)
    return x, y


def test_power_iteration_finds_the_top_hessian_eigenvalue_of_an_mlp_loss(key):
    data_key, init_key, power_key = jax.random.split(key, 3)
    x, y = tiny_classification(data_key)
    params = init_mlp(init_key, (5, 4, 3))
    loss = lambda p: mean_cross_entropy(p, x, y)  # noqa: E731
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    exact = np.linalg.eigvalsh(np.asarray(jax.jit(jax.hessian(lambda v: loss(unravel(v))))(flat)))
    top, v = top_hessian_eigenvalue(power_key, loss, params, n_iters=200)
    assert exact[-1] > abs(exact[0])  # the top eigenvalue dominates, so power iteration finds it
    np.testing.assert_allclose(float(top), exact[-1], rtol=1e-3)
    np.testing.assert_allclose(float(jnp.linalg.norm(v)), 1.0, rtol=1e-5)


def test_minibatch_variance_follows_the_law(key):
    grads_key, draws_key = jax.random.split(key)
    grads = jax.random.normal(grads_key, (30, 4)) * jnp.array([1.0, 3.0, 0.5, 2.0])
    batch_sizes = jnp.array([1, 4, 15, 30])
    measured = jax.jit(
        jax.vmap(lambda b: measured_minibatch_variance(draws_key, grads, b, n_draws=4000))
    )(batch_sizes)
    predicted = jax.vmap(lambda b: predicted_minibatch_variance(grads, b))(batch_sizes)
    np.testing.assert_allclose(measured[:3], predicted[:3], rtol=0.1)
    np.testing.assert_allclose(predicted[3], 0.0, atol=0)  # full batch: no noise
    np.testing.assert_allclose(measured[3], 0.0, atol=1e-9)


def test_per_example_gradients_average_to_the_full_gradient(key):
    x, y = tiny_classification(key, n=10)
    params = init_mlp(key, (5, 3))

    def example_loss(p, x_i, y_i):
        return mean_cross_entropy(p, x_i[None], y_i[None])

    rows, full = jax.jit(
        lambda p: (
            per_example_gradients(example_loss, p, x, y),
            jax.flatten_util.ravel_pytree(jax.grad(mean_cross_entropy)(p, x, y))[0],
        )
    )(params)
    assert rows.shape == (10, full.shape[0])
    np.testing.assert_allclose(rows.mean(0), full, rtol=1e-4, atol=1e-6)


def test_noise_scale_runs_equal_separate_runs_with_their_own_budgets(key):
    x, y = tiny_classification(key)
    runs = sgd_noise_scale_runs(key, x, y, [0.1, 0.4], 8, train_time=4.0, hidden=(6,))
    for i, (lr, n_steps) in [(1, (0.4, 10))]:  # the shorter run stops at its own budget
        alone = jax.jit(lambda lr=lr, n=n_steps: train_mlp_classifier(
            key, sgd(lr), x, y, batch_size=8, n_steps=n, hidden=(6,), n_classes=3))()  # fmt: skip
        for a, b in zip(jax.tree.leaves(alone), jax.tree.leaves(runs), strict=True):
            np.testing.assert_allclose(b[i], a, rtol=1e-4, atol=1e-5)
    assert noise_scale(0.4, 8) == 0.05


def test_training_lowers_the_loss_and_describe_minimum_reports_it(key):
    x, y = tiny_classification(key)
    params = jax.jit(
        lambda: train_mlp_classifier(
            key, sgd(0.3), x, y, batch_size=48, n_steps=100, hidden=(8,), n_classes=3
        )
    )()
    report = describe_minimum(key, params, x, y, x, y)
    assert set(report) == {"train_loss", "train_acc", "test_acc", "sharpness"}
    assert report["train_acc"] > 0.8 and report["sharpness"] > 0


def test_spearman_is_rank_correlation():
    assert spearman([1, 2, 3], [10, 20, 300]) == 1.0
    assert spearman([1, 2, 3], [3, 2, 1]) == -1.0
