"""Checks for exercises/04_optimization.py, each against an independent oracle.

Oracles: optax (optimizers, schedules and trajectories, run step by step on the same inputs),
jax.hessian with numpy's eigvalsh, numpy's lstsq/pinv, scipy's discrete Lyapunov solver,
Monte-Carlo batches, and jlr.optim's bias-correction switch. Inputs come from fixed seeds so a
hint is reproducible.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.linalg

from jlr.calculus.functions import himmelblau
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal

GD = "Gradient descent (batch, mini-batch, stochastic)"
SCHEDULES = "Learning rate schedules"
STOCHASTICITY = "Stochasticity and implicit regularization"
MOMENTUM = "Momentum-based optimization"
ADAPTIVE = "RMSProp and Adam"
BIAS_CORRECTION = "Bias correction in adaptive methods"
NON_CONVEX = "Non-convex loss landscapes"
SADDLES = "Saddle points and flat minima"
DOUBLE_DESCENT = "Overparameterization and double descent"
IMPLICIT_BIAS = "Generalization and implicit bias"


def _f32(x) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.float32)


def _scalar(value, what: str) -> float:
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise CheckFailed(f"{what} should be a single number, got shape {array.shape}")
    return float(array.reshape(()))


def check_minibatch_variance(fn) -> None:
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(40, 5)) * np.array([1.0, 2.0, 0.5, 3.0, 1.0]) + 0.3
    for batch_size in (1, 5, 40):
        rows = np.array([rng.choice(40, batch_size, replace=False) for _ in range(20_000)])
        monte_carlo = np.mean(np.sum((grads[rows].mean(1) - grads.mean(0)) ** 2, axis=1))
        got = _scalar(fn(_f32(grads), batch_size), "the variance")
        assert_close(got, monte_carlo, rtol=0.05, atol=1e-6, what=f"variance at B={batch_size}")


def check_warmup_cosine_lr(fn) -> None:
    oracle = optax.warmup_cosine_decay_schedule(0.0, 0.3, 15, 120)
    for step in (0, 1, 7, 15, 16, 60, 119, 120, 200):
        got = _scalar(fn(step, 0.3, 15, 120), f"lr at step {step}")
        assert_close(got, float(oracle(step)), rtol=1e-5, atol=1e-7, what=f"lr at step {step}")


def check_sgd_stationary_variance(fn) -> None:
    for lr, h, noise_var, b in ((0.1, 1.0, 1.0, 1), (0.5, 2.0, 3.0, 8), (0.05, 10.0, 0.5, 32)):
        # stationary variance of x' = a x + e: the 1x1 discrete Lyapunov equation s = a s a + q
        a, q = np.array([[1 - lr * h]]), np.array([[lr**2 * noise_var / b]])
        expected = float(scipy.linalg.solve_discrete_lyapunov(a, q)[0, 0])
        got = _scalar(fn(lr, h, noise_var, b), "the variance")
        assert_close(got, expected, rtol=1e-5, what=f"variance at lr={lr}, h={h}, B={b}")


def _optax_iterations(eigenvalues, x0, lr, momentum, tol) -> int:
    optimizer = optax.sgd(lr, momentum=momentum)
    x, state = x0, optimizer.init(x0)
    target = tol * np.linalg.norm(x0)
    for step in range(100_000):
        if np.linalg.norm(x) <= target:
            return step
        updates, state = optimizer.update(eigenvalues * x, state)
        x = optax.apply_updates(x, updates)
    return 100_000


def check_heavy_ball_iterations(fn) -> None:
    eigenvalues = np.array([1.0, 3.0, 10.0, 30.0], dtype=np.float32)
    x0 = np.ones(4, dtype=np.float32)
    for lr, momentum in ((0.05, 0.0), (0.08, 0.5), (0.1, 0.65)):
        expected = _optax_iterations(eigenvalues, x0, lr, momentum, 1e-3)
        got = fn(_f32(eigenvalues), _f32(x0), lr, momentum, 1e-3)
        if not abs(int(got) - expected) <= 1:
            raise CheckFailed(
                f"lr={lr}, momentum={momentum}: {int(got)} iterations, optax.sgd takes {expected}"
            )


def check_rmsprop_update(fn) -> None:
    rng = np.random.default_rng(1)
    params = _f32(rng.normal(size=(6,)))
    optimizer = optax.rmsprop(0.01, decay=0.9, eps=1e-8)
    state = optimizer.init(params)
    nu = jnp.zeros_like(params)
    for step in range(5):
        grad = _f32(rng.normal(size=(6,)))
        expected, state = optimizer.update(grad, state)
        update, nu = fn(grad, nu, 0.01, 0.9, 1e-8)
        assert_close(update, expected, rtol=1e-4, atol=1e-7, what=f"update at step {step + 1}")


def check_adam_update(fn) -> None:
    rng = np.random.default_rng(2)
    params = _f32(rng.normal(size=(6,)))
    optimizer = optax.adam(0.01)
    state = optimizer.init(params)
    m = v = jnp.zeros_like(params)
    for step in range(1, 6):
        grad = _f32(rng.normal(size=(6,)))
        expected, state = optimizer.update(grad, state)
        update, m, v = fn(grad, m, v, step, 0.01)
        if step == 1 and np.allclose(np.asarray(update), -0.001 * np.sign(grad), rtol=0.1):
            raise CheckFailed("the first step is 10x too small: did you bias-correct m and v?")
        assert_close(update, expected, rtol=1e-4, atol=1e-7, what=f"update at step {step}")


def check_uncorrected_step_ratio(fn) -> None:
    from jlr.optim import adam  # the library's switch is the oracle

    ones = jnp.ones((300, 1))  # a constant gradient g = 1 for 300 steps

    def step_sizes(optimizer):
        def body(state, g):
            updates, state = optimizer.update(g, state)
            return state, updates[0]

        return np.asarray(jax.lax.scan(body, optimizer.init(ones[0]), ones)[1])

    ratios = step_sizes(adam(1e-3, bias_correction=False)) / step_sizes(adam(1e-3))
    for step in (1, 2, 10, 100, 300):
        got = _scalar(fn(step, 0.9, 0.999), f"ratio at t={step}")
        assert_close(got, ratios[step - 1], rtol=1e-3, what=f"ratio at t={step}")


def _optax_trajectory(optimizer, f, start, n_steps: int) -> np.ndarray:
    """The points p_0 .. p_n of an optax optimizer on f, one eager step at a time."""
    grad_f = jax.jit(jax.grad(f))
    p, state, points = start, optimizer.init(start), [start]
    for _ in range(n_steps):
        updates, state = optimizer.update(grad_f(p), state, p)
        p = optax.apply_updates(p, updates)
        points.append(p)
    return np.asarray(jnp.stack(points))


def check_optimizer_trajectory(fn) -> None:
    start = _f32([-0.5, 0.5])
    for name, optimizer in (("sgd", optax.sgd(5e-3, momentum=0.9)), ("adam", optax.adam(0.05))):
        got = np.asarray(fn(optimizer, himmelblau, start, 40))
        expected = _optax_trajectory(optimizer, himmelblau, start, 40)
        assert_equal(got.shape, expected.shape, what=f"{name} trajectory shape")
        assert_close(got[0], expected[0], rtol=0, atol=0, what=f"{name} first point (the start)")
        assert_close(got, expected, rtol=1e-3, atol=1e-4, what=f"{name} trajectory")


def check_top_hessian_eigenvalue(fn) -> None:
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    h = (q * np.array([5.0, 2.0, 1.0, 0.5, 0.2, 0.1])) @ q.T  # well separated top eigenvalue

    def f(x):
        return 0.5 * x @ _f32(h) @ x + 0.1 * jnp.sum(x**4)

    x = _f32(rng.normal(size=6) * 0.3)
    expected = np.linalg.eigvalsh(np.asarray(jax.hessian(f)(x), np.float64))[-1]
    got = _scalar(fn(f, x, _f32(rng.normal(size=6)), 40), "the eigenvalue")
    assert_close(got, expected, rtol=1e-3, what="top Hessian eigenvalue")


def check_random_features_fit(fn) -> None:
    rng = np.random.default_rng(4)
    for n, p in ((30, 10), (30, 80)):  # under- and over-parameterized
        x, y, w = rng.normal(size=(n, 5)), rng.normal(size=n), rng.normal(size=(5, p))
        features = np.maximum(x @ w / np.sqrt(5), 0.0)
        expected = np.linalg.lstsq(features, y, rcond=None)[0]  # min-norm least squares
        got = fn(_f32(x), _f32(y), _f32(w))
        assert_close(got, expected, rtol=1e-3, atol=1e-3, what=f"weights with p={p}, n={n}")


def check_gd_from_zero(fn) -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(5, 12)) / np.sqrt(12), rng.normal(size=5)
    got = np.asarray(fn(_f32(a), _f32(b), 0.5, 500))
    assert_close(a @ got, b, rtol=1e-3, atol=1e-3, what="residual A x - b (GD should fit b)")
    assert_close(got, np.linalg.pinv(a) @ b, rtol=1e-3, atol=1e-3, what="x (min-norm solution)")


EXERCISES: tuple[Exercise, ...] = (
    Exercise("minibatch_variance", GD, check_minibatch_variance),
    Exercise("warmup_cosine_lr", SCHEDULES, check_warmup_cosine_lr),
    Exercise("sgd_stationary_variance", STOCHASTICITY, check_sgd_stationary_variance),
    Exercise("heavy_ball_iterations", MOMENTUM, check_heavy_ball_iterations),
    Exercise("rmsprop_update", ADAPTIVE, check_rmsprop_update),
    Exercise("adam_update", ADAPTIVE, check_adam_update),
    Exercise("uncorrected_step_ratio", BIAS_CORRECTION, check_uncorrected_step_ratio),
    Exercise("optimizer_trajectory", NON_CONVEX, check_optimizer_trajectory),
    Exercise("top_hessian_eigenvalue", SADDLES, check_top_hessian_eigenvalue),
    Exercise("random_features_fit", DOUBLE_DESCENT, check_random_features_fit),
    Exercise("gd_from_zero", IMPLICIT_BIAS, check_gd_from_zero),
)
