"""trajectory against closed forms and an optax loop; its noise is the documented one."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.calculus.functions import himmelblau, quadratic, strict_saddle
from jlr.optim import adam, sgd, trajectory


def test_gd_on_a_quadratic_is_the_closed_form(float64):
    """x_k = (I - lr H)^k x_0 for f = x^T H x / 2 (H symmetric, not diagonal)."""
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    h = (q * np.array([4.0, 1.0, 0.3])) @ q.T
    x0 = rng.normal(size=3)
    f = lambda x: quadratic(jnp.asarray(h), jnp.zeros(3), x)  # noqa: E731
    points = np.asarray(trajectory(sgd(0.25), f, jnp.asarray(x0), 7))
    expected = [np.linalg.matrix_power(np.eye(3) - 0.25 * h, k) @ x0 for k in range(8)]
    np.testing.assert_allclose(points, expected, rtol=1e-10, atol=1e-12)


def test_adam_path_matches_an_optax_loop():
    start = jnp.array([-0.5, 0.5])
    points = trajectory(adam(0.05), himmelblau, start, 30)
    optimizer, p = optax.adam(0.05), start
    state, expected = optimizer.init(p), [p]
    for _ in range(30):
        updates, state = optimizer.update(jax.grad(himmelblau)(p), state, p)
        p = optax.apply_updates(p, updates)
        expected.append(p)
    assert points.shape == (31, 2)
    np.testing.assert_array_equal(points[0], start)
    np.testing.assert_allclose(points, jnp.stack(expected), rtol=1e-5, atol=1e-5)


def test_noisy_gradient_is_gradient_plus_noise_drawn_from_fold_in(key):
    """p_{t+1} = p_t - lr (grad f(p_t) + noise_std xi_t), xi_t = normal(fold_in(key, t))."""
    start, lr, noise_std = jnp.array([1.0, 0.2]), 0.1, 0.3
    points = trajectory(sgd(lr), strict_saddle, start, 5, noise_std=noise_std, key=key)
    p, expected = start, [start]
    for t in range(5):
        xi = jax.random.normal(jax.random.fold_in(key, t), (2,))
        p = p - lr * (jax.grad(strict_saddle)(p) + noise_std * xi)
        expected.append(p)
    np.testing.assert_allclose(points, jnp.stack(expected), rtol=1e-6, atol=1e-7)
    other = trajectory(sgd(lr), strict_saddle, start, 5, noise_std=noise_std, key=jax.random.key(1))
    assert not np.allclose(points[1:], other[1:])  # the key sets the noise
