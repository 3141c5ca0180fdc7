"""Reference solutions to lesson 00's warm-up exercises (``exercises/00_getting_started.py``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def square_plus_one(x: jax.Array) -> jax.Array:
    """f(x) = x^2 + 1, elementwise. x: (n,) -> (n,)"""
    return x**2 + 1.0


def mean_squared_error(pred: jax.Array, target: jax.Array) -> jax.Array:
    """MSE = (1/n) sum_i (pred_i - target_i)^2. pred, target: (n,) -> ()"""
    return jnp.mean((pred - target) ** 2)


def grad_of_mse(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> dict[str, jax.Array]:
    """dL/d(w, b) of L = (1/n) sum_i (w x_i + b - y_i)^2. params: {"w": (), "b": ()}; x, y: (n,)"""

    def loss(params: dict[str, jax.Array]) -> jax.Array:
        return mean_squared_error(params["w"] * x + params["b"], y)

    return jax.grad(loss)(params)


def split_keys(key: jax.Array, n: int) -> jax.Array:
    """n new keys from one. key: typed key -> (n,) keys"""
    return jax.random.split(key, n)
