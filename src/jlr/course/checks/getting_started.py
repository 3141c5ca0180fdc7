"""Checks for lesson 00's warm-up exercises, against numpy and closed forms.

Inputs are drawn from fixed seeds, so a learner sees the same hint every run.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal

SEEDS = (0, 1, 2)


def _vectors(seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    return [rng.normal(size=n).astype(np.float32) for _ in range(count)]


def check_square_plus_one(square_plus_one: Callable) -> None:
    for seed in SEEDS:
        (x,) = _vectors(seed, 1)
        assert_close(square_plus_one(jnp.asarray(x)), x**2 + 1, what="square_plus_one(x)")


def check_mean_squared_error(mean_squared_error: Callable) -> None:
    for seed in SEEDS:
        pred, target = _vectors(seed, 2)
        expected = np.mean((pred.astype(np.float64) - target) ** 2)
        got = mean_squared_error(jnp.asarray(pred), jnp.asarray(target))
        assert_close(got, expected, rtol=1e-5, what="mean_squared_error(pred, target)")
    jitted = jax.jit(mean_squared_error)(jnp.asarray(pred), jnp.asarray(target))
    assert_close(jitted, expected, rtol=1e-5, what="jax.jit(mean_squared_error)(pred, target)")


def check_grad_of_mse(grad_of_mse: Callable) -> None:
    for seed in SEEDS:
        x, y = _vectors(seed, 2)
        w, b = np.float32(0.7 - seed), np.float32(0.3 * seed)
        params = {"w": jnp.asarray(w), "b": jnp.asarray(b)}
        grads = grad_of_mse(params, jnp.asarray(x), jnp.asarray(y))
        if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
            raise CheckFailed('return a dict {"w": dL/dw, "b": dL/db}, like params')
        residual = w * x.astype(np.float64) + b - y  # dL/dw = 2 mean(r x), dL/db = 2 mean(r)
        assert_close(grads["w"], 2 * np.mean(residual * x), rtol=1e-4, atol=1e-5, what='grad["w"]')
        assert_close(grads["b"], 2 * np.mean(residual), rtol=1e-4, atol=1e-5, what='grad["b"]')


def check_split_keys(split_keys: Callable) -> None:
    for seed, n in zip(SEEDS, (2, 3, 5), strict=True):
        key = jax.random.key(seed)
        keys = split_keys(key, n)
        if not (hasattr(keys, "dtype") and jnp.issubdtype(keys.dtype, jax.dtypes.prng_key)):
            raise CheckFailed("return the array of typed keys that jax.random.split gives")
        assert_equal(keys.shape, (n,), what="keys.shape")
        data = np.asarray(jax.random.key_data(keys)).reshape(n, -1)
        rows = {tuple(row) for row in data} | {tuple(np.asarray(jax.random.key_data(key)))}
        if len(rows) != n + 1:
            raise CheckFailed("the keys must all differ from each other and from the input key")
        again = np.asarray(jax.random.key_data(split_keys(key, n))).reshape(n, -1)
        if not np.array_equal(data, again):
            raise CheckFailed("the same key must give the same keys every time")


EXERCISES: tuple[Exercise, ...] = (
    Exercise("square_plus_one", "", check_square_plus_one),
    Exercise("mean_squared_error", "", check_mean_squared_error),
    Exercise("grad_of_mse", "", check_grad_of_mse),
    Exercise("split_keys", "", check_split_keys),
)
