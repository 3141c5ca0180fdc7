"""Checks for lesson 00's warm-up exercises, against numpy and closed forms.

Inputs are drawn from fixed seeds, so a learner sees the same hint every run. Each check
first compares the answer with the outputs of the usual wrong formulas (a sum for a mean,
a missing + 1, the gradient of the sum...) and names the mistake it matches.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal
from jlr.course.guard import raise_if_mistake

SEEDS = (0, 1, 2)
TRACER_ERRORS = (
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.ConcretizationTypeError,
)


def _vectors(seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    return [rng.normal(size=n).astype(np.float32) for _ in range(count)]


def check_square_plus_one(square_plus_one: Callable) -> None:
    for seed in SEEDS:
        (x,) = _vectors(seed, 1)
        x64 = x.astype(np.float64)
        got = square_plus_one(jnp.asarray(x))
        raise_if_mistake(
            got,
            {
                "x * 2 doubles x: square it with x ** 2 (or x * x), then add 1": 2 * x64 + 1,
                "the + 1 is missing: f(x) = x ** 2 + 1": x64**2,
                "that is (x + 1) ** 2: square x first, then add 1": (x64 + 1) ** 2,
            },
            rtol=1e-5,
            atol=1e-6,
        )
        assert_close(got, x64**2 + 1, what="square_plus_one(x)")


def check_mean_squared_error(mean_squared_error: Callable) -> None:
    for seed in SEEDS:
        pred, target = _vectors(seed, 2)
        error = pred.astype(np.float64) - target
        got = mean_squared_error(jnp.asarray(pred), jnp.asarray(target))
        raise_if_mistake(
            got,
            {
                "that is the sum of the squared errors: the mean divides it by n (jnp.mean)": (
                    np.sum(error**2)
                ),
                "return one number: average the squared errors with jnp.mean": error**2,
                "square each error before averaging: mean((pred - target) ** 2)": np.mean(error),
                "that is the mean absolute error: square the errors instead of abs": (
                    np.mean(np.abs(error))
                ),
                "that is the root of the MSE (RMSE): leave out the square root": (
                    np.sqrt(np.mean(error**2))
                ),
            },
            rtol=1e-5,
            atol=1e-6,
        )
        expected = np.mean(error**2)
        assert_close(got, expected, rtol=1e-5, what="mean_squared_error(pred, target)")
    try:
        jitted = jax.jit(mean_squared_error)(jnp.asarray(pred), jnp.asarray(target))
    except TRACER_ERRORS:
        raise CheckFailed(
            "it fails under jax.jit: use jax.numpy (jnp.mean), not numpy or float(), on the arrays"
        ) from None
    assert_close(jitted, expected, rtol=1e-5, what="jax.jit(mean_squared_error)(pred, target)")


def check_grad_of_mse(grad_of_mse: Callable) -> None:
    for seed in SEEDS:
        x, y = _vectors(seed, 2)
        w, b = np.float32(0.7 - seed), np.float32(0.3 * seed)
        params = {"w": jnp.asarray(w), "b": jnp.asarray(b)}
        grads = grad_of_mse(params, jnp.asarray(x), jnp.asarray(y))
        if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
            raise CheckFailed(
                'return a dict {"w": dL/dw, "b": dL/db}, like params: differentiate the loss '
                "with respect to params (jax.grad(loss)(params)), not x or y"
            )
        for name in ("w", "b"):
            assert_equal(np.shape(grads[name]), (), what=f'grads["{name}"].shape')
        residual = w * x.astype(np.float64) + b - y  # dL/dw = 2 mean(r x), dL/db = 2 mean(r)
        right = np.array([2 * np.mean(residual * x), 2 * np.mean(residual)])
        got = np.array([np.asarray(grads["w"]), np.asarray(grads["b"])], dtype=np.float64)
        raise_if_mistake(
            got,
            {
                f"{len(x)} (= n) times too large: that is the gradient of the sum; "
                "L is the mean, (1/n) sum_i": len(x) * right,
                "half the right gradient: d/dw (w x + b - y)^2 = 2 (w x + b - y) x": right / 2,
                'grads["w"] and grads["b"] are swapped': right[::-1],
                "the gradient's sign is flipped (by hand, d/dw (y - w x - b)^2 carries a minus): "
                "return jax.grad(loss)(params) itself": -right,
            },
            rtol=1e-4,
            atol=1e-6,
        )
        assert_close(got[0], right[0], rtol=1e-4, atol=1e-5, what='grad["w"]')
        assert_close(got[1], right[1], rtol=1e-4, atol=1e-5, what='grad["b"]')


def _key_rows(keys: jax.Array) -> np.ndarray:
    """The raw bits of each key, one row per key."""
    return np.asarray(jax.random.key_data(keys)).reshape(keys.shape[0], -1)


def check_split_keys(split_keys: Callable) -> None:
    for seed, n in zip(SEEDS, (2, 3, 5), strict=True):
        key = jax.random.key(seed)
        keys = split_keys(key, n)
        if not (hasattr(keys, "dtype") and jnp.issubdtype(keys.dtype, jax.dtypes.prng_key)):
            raise CheckFailed("return the array of typed keys that jax.random.split gives")
        if keys.shape == (2,) and n != 2:
            raise CheckFailed(f"asked for {n} keys, got 2: pass n, jax.random.split(key, n)")
        assert_equal(keys.shape, (n,), what="keys.shape")
        data = _key_rows(keys)
        if len({tuple(row) for row in data}) != n:
            raise CheckFailed(
                "two of your keys are equal: split the key once into n children "
                "(jax.random.split(key, n)), rather than splitting the same key again per key"
            )
        parent = tuple(np.asarray(jax.random.key_data(key)))
        if parent in {tuple(row) for row in data}:
            raise CheckFailed(
                "the input key is among the keys you return: once split, the parent key is "
                "used up; return only its children"
            )
        if not np.array_equal(data, _key_rows(split_keys(key, n))):
            raise CheckFailed("the same key must give the same keys every time")
        other = _key_rows(split_keys(jax.random.key(seed + 10), n))
        if np.array_equal(data, other):
            raise CheckFailed(
                "your keys are the same whatever key you are given: split the key argument, "
                "not a key of your own"
            )


EXERCISES: tuple[Exercise, ...] = (
    Exercise("square_plus_one", "", check_square_plus_one),
    Exercise("mean_squared_error", "", check_mean_squared_error),
    Exercise("grad_of_mse", "", check_grad_of_mse),
    Exercise("split_keys", "", check_split_keys),
)
