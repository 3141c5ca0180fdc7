"""Lesson 00's checker fails the wrong answers a beginner really writes, each with its hint,
and passes right answers written by hand.

Lesson 00 has no area folder, so its exercise tests live with the course tests.
"""

from __future__ import annotations

import ast
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import assert_mistake_fails, mistake_cases

from jlr.course.catalog import exercise_file
from jlr.course.checker import grade
from jlr.course.checks.getting_started import EXERCISES

SECTION = "00"


def _grad_of(loss):
    """grad_of_mse answers built from a wrong loss of (params, x, y), differentiated by jax.grad."""
    return lambda params, x, y: jax.grad(loss)(params, x, y)


def _repeated_splits(key, n):
    keys = []
    for _ in range(n):
        _, sub = jax.random.split(key)  # splits the same key every time: n equal children
        keys.append(sub)
    return jnp.stack(keys)


MISTAKES = {
    "square_plus_one": [
        (r"x \* 2 doubles x", lambda x: x * 2 + 1),  # doubling, not squaring
        (r"\+ 1 is missing", lambda x: x**2),  # forgot the + 1
        (r"\(x \+ 1\) \*\* 2", lambda x: (x + 1) ** 2),  # added before squaring
    ],
    "mean_squared_error": [
        (r"sum of the squared errors.*jnp\.mean", lambda p, t: jnp.sum((p - t) ** 2)),
        (r"return one number", lambda p, t: (p - t) ** 2),  # forgot to reduce
        (r"square each error", lambda p, t: jnp.mean(p - t)),  # forgot the square
        (r"mean absolute error", lambda p, t: jnp.mean(jnp.abs(p - t))),  # MAE
        (r"RMSE", lambda p, t: jnp.sqrt(jnp.mean((p - t) ** 2))),  # the root of it
        (r"fails under jax\.jit.*jax\.numpy", lambda p, t: np.mean((np.asarray(p) - t) ** 2)),
    ],
    "grad_of_mse": [
        (  # the gradient of the sum of squares
            r"times too large: that is the gradient of the sum",
            _grad_of(lambda p, x, y: jnp.sum((p["w"] * x + p["b"] - y) ** 2)),
        ),
        (  # the 1/2-scaled loss, as in some textbooks
            r"half the right gradient",
            _grad_of(lambda p, x, y: 0.5 * jnp.mean((p["w"] * x + p["b"] - y) ** 2)),
        ),
        (  # the gradient with respect to x (argnums=1): an array, not a dict
            r"return a dict",
            lambda p, x, y: jax.grad(lambda p, x: jnp.sum((p["w"] * x + p["b"] - y) ** 2), 1)(p, x),
        ),
        (  # gradient descent's step direction instead of the gradient
            r"sign is flipped",
            lambda p, x, y: jax.tree.map(
                lambda g: -g, jax.grad(lambda p: jnp.mean((p["w"] * x + p["b"] - y) ** 2))(p)
            ),
        ),
        (  # by hand, with the two partials in the wrong slots
            r"swapped",
            lambda p, x, y: {
                "w": 2 * jnp.mean(p["w"] * x + p["b"] - y),
                "b": 2 * jnp.mean((p["w"] * x + p["b"] - y) * x),
            },
        ),
    ],
    "split_keys": [
        (r"two of your keys are equal", _repeated_splits),  # the same key split n times
        (r"two of your keys are equal", lambda key, n: jnp.stack([key] * n)),  # no split at all
        (  # the parent key handed back with its children
            r"input key is among the keys",
            lambda key, n: jnp.concatenate([key[None], jax.random.split(key, n - 1)]),
        ),
        (r"asked for \d keys, got 2", lambda key, n: jax.random.split(key)),  # n forgotten
        (  # a key of its own, ignoring the argument
            r"whatever key you are given",
            lambda key, n: jax.random.split(jax.random.key(0), n),
        ),
        (r"typed keys", lambda key, n: jax.random.key_data(jax.random.split(key, n))),  # raw bits
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


def test_the_stub_file_defines_the_exercises_in_the_checkers_order():
    """Lesson 00 has no curriculum topics (assert_exercises_cover_the_section is for those)."""
    tree = ast.parse(exercise_file(SECTION).read_text(encoding="utf-8"))
    stubs = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert stubs == [exercise.name for exercise in EXERCISES]


HAND_WRITTEN = """
import jax
import jax.numpy as jnp


def square_plus_one(x):
    return x * x + 1


def mean_squared_error(pred, target):
    error = pred - target
    return jnp.sum(error * error) / error.shape[0]


def grad_of_mse(params, x, y):
    residual = params["w"] * x + params["b"] - y  # dL/dw = 2 mean(r x), dL/db = 2 mean(r)
    return {"w": 2 * jnp.mean(residual * x), "b": 2 * jnp.mean(residual)}


def split_keys(key, n):
    keys = []
    for _ in range(n):  # a chain of splits: carry one child on, hand out the other
        key, sub = jax.random.split(key)
        keys.append(sub)
    return jnp.stack(keys)
"""


def test_right_answers_written_by_hand_pass(tmp_path):
    """Other right spellings (x * x, sum / n, the gradient by hand, a chain of splits) pass."""
    path = tmp_path / "00_getting_started.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    report = grade(SECTION, path)
    assert report.failed == 0, "\n".join(report.lines)
