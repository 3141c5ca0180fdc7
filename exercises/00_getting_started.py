"""Lesson 00 warm-up exercises: fill in each function, then run `jlr check 00`.

Each body is `raise NotImplementedError`: replace it with your code. `jlr check 00` imports
this file, calls every function on random inputs and compares with an independent answer:
PASS, FAIL with a hint, or TODO while a body is still the stub. `jlr progress` shows what
you have done. To grade a copy elsewhere: `jlr check 00 --file path/to/copy.py`.
"""

import jax
import jax.numpy as jnp


def square_plus_one(x: jax.Array) -> jax.Array:
    """f(x) = x^2 + 1, elementwise.

    x: (n,) -> (n,)
    """
    raise NotImplementedError


def mean_squared_error(pred: jax.Array, target: jax.Array) -> jax.Array:
    """MSE = (1/n) sum_i (pred_i - target_i)^2. Use jax.numpy so that it runs under jax.jit.

    pred, target: (n,) -> scalar, shape ()
    """
    raise NotImplementedError


def grad_of_mse(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> dict[str, jax.Array]:
    """Gradient of L(w, b) = (1/n) sum_i (w x_i + b - y_i)^2 with respect to params, by jax.grad.

    params: {"w": (), "b": ()}; x, y: (n,) -> {"w": (), "b": ()}, the same structure as params
    Hint: write the loss as a function of params, then call jax.grad on it.
    """
    raise NotImplementedError


def split_keys(key: jax.Array, n: int) -> jax.Array:
    """n new independent PRNG keys from the key you are given, with jax.random.split.

    key: a typed key from jax.random.key(seed) -> keys: (n,), all different from each other
    and from key (once split, key is used up: return only its children), and the same every
    time for the same key.
    """
    raise NotImplementedError
