"""Minibatch-gradient noise: the 1/B law against numpy Monte-Carlo batches drawn without
replacement; per-example gradients against jax.grad one example at a time; B_simple against
the closed form of linear regression and, on small samples, against the truth it estimates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from jlr.landscape import (
    measured_minibatch_variance,
    per_example_gradients,
    predicted_minibatch_variance,
    simple_noise_scale,
)


def numpy_monte_carlo(grads: np.ndarray, batch_size: int, n_draws: int) -> float:
    rng = np.random.default_rng(0)
    rows = np.array([rng.choice(len(grads), batch_size, replace=False) for _ in range(n_draws)])
    return float(np.mean(np.sum((grads[rows].mean(1) - grads.mean(0)) ** 2, axis=1)))


@pytest.mark.parametrize("batch_size", [1, 4, 15, 29, 30])
def test_predicted_and_measured_variance_match_numpy_monte_carlo(key, batch_size):
    grads_key, draws_key = jax.random.split(key)
    grads = jax.random.normal(grads_key, (30, 4)) * jnp.array([1.0, 3.0, 0.5, 2.0]) + 0.5
    oracle = numpy_monte_carlo(np.asarray(grads, np.float64), batch_size, 20_000)
    predicted = float(predicted_minibatch_variance(grads, batch_size))
    measured = float(measured_minibatch_variance(draws_key, grads, batch_size, n_draws=4000))
    np.testing.assert_allclose(predicted, oracle, rtol=0.03, atol=1e-6)
    np.testing.assert_allclose(measured, oracle, rtol=0.1, atol=1e-6)


def test_measured_variance_compiles_once_for_all_batch_sizes(key):
    grads = jax.random.normal(key, (20, 3))
    sizes = jnp.array([1, 5, 20])
    vmapped = jax.jit(jax.vmap(lambda b: measured_minibatch_variance(key, grads, b, 500)))(sizes)
    one_by_one = [measured_minibatch_variance(key, grads, int(b), 500) for b in sizes]
    np.testing.assert_allclose(vmapped, one_by_one, rtol=1e-5, atol=1e-7)


def test_per_example_gradients_are_each_examples_gradient(key):
    x_key, w_key = jax.random.split(key)
    x = jax.random.normal(x_key, (6, 3))
    y = jnp.arange(6.0)
    params = {"w": jax.random.normal(w_key, (3,)), "b": jnp.array(0.5)}

    def example_loss(p, x_i, y_i):
        return (jnp.tanh(x_i @ p["w"]) + p["b"] - y_i) ** 2

    rows = per_example_gradients(example_loss, params, x, y)
    assert rows.shape == (6, 4)
    for i in range(6):
        expected = ravel_pytree(jax.grad(example_loss)(params, x[i], y[i]))[0]
        np.testing.assert_allclose(rows[i], expected, rtol=1e-5, atol=1e-6)


def test_simple_noise_scale_matches_linear_regression_closed_form(float64):
    """l_i = (x_i . w - y_i)^2 / 2, x ~ N(0, I_d), y = x . w* + N(0, s^2), delta = w - w*:
    G = delta, tr(Sigma) = (d + 1)|delta|^2 + d s^2 (Gaussian fourth moments)."""
    d, n, noise_std = 4, 40_000, 0.5
    x_key, e_key = jax.random.split(jax.random.key(3))
    w_star = jnp.array([1.0, -2.0, 0.5, 0.0])
    delta = jnp.array([0.6, 0.3, -0.4, 0.2])
    x = jax.random.normal(x_key, (n, d))
    y = x @ w_star + noise_std * jax.random.normal(e_key, (n,))
    grads = x * (x @ (w_star + delta) - y)[:, None]  # (n, d) rows g_i = x_i (x_i . w - y_i)
    result = simple_noise_scale(grads)
    delta_sq = float(delta @ delta)
    trace_sigma = (d + 1) * delta_sq + d * noise_std**2
    np.testing.assert_allclose(result["grad_sq"], delta_sq, rtol=0.05)
    np.testing.assert_allclose(result["trace_sigma"], trace_sigma, rtol=0.05)
    np.testing.assert_allclose(result["b_simple"], trace_sigma / delta_sq, rtol=0.1)


def test_simple_noise_scale_is_unbiased_for_small_samples(float64):
    """Over many draws of N = 8 per-example gradients the estimates average to the truth."""
    mean, std = jnp.array([1.0, -1.0, 0.5]), jnp.array([2.0, 1.0, 0.5])
    draws = mean + std * jax.random.normal(jax.random.key(4), (20_000, 8, 3))
    estimates = jax.vmap(simple_noise_scale)(draws)
    np.testing.assert_allclose(estimates["trace_sigma"].mean(), float(std @ std), rtol=0.02)
    np.testing.assert_allclose(estimates["grad_sq"].mean(), float(mean @ mean), rtol=0.03)
