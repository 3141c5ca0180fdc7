"""What an exercise is, and the helpers a checker uses to grade one.

A lesson NN has three files that belong together:

- ``exercises/NN_name.py`` — stubs for the learner: functions with docstrings whose bodies
  ``raise NotImplementedError``.
- ``jlr.course.solutions.<name>`` — the reference solutions, functions of the same names.
- ``jlr.course.checks.<name>`` — ``EXERCISES``, a tuple of :class:`Exercise`, one per stub.

A check receives the learner's function and grades it on randomized inputs against an
independent oracle (a JAX transform, numpy/scipy, a closed form) or the library's
reference implementation. It raises :class:`CheckFailed` with a short hint on a wrong
answer; any other exception the learner's code raises is reported as that exercise's
failure by the checker, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


class CheckFailed(AssertionError):
    """A wrong answer. The message is the one-line hint shown to the learner."""


@dataclass(frozen=True)
class Exercise:
    name: str  # the function name in exercises/NN_name.py and in the solutions module
    topic: str  # a curriculum topic title, exactly as in jlr.course.curriculum ("" for lesson 00)
    check: Callable[[Callable[..., Any]], None]  # raises CheckFailed(hint) on a wrong answer


def f64(x: Any) -> np.ndarray:
    """x (a number, list, numpy or JAX array) as a float64 numpy array, the precision a check
    compares in."""
    return np.asarray(x, dtype=np.float64)


def scalar(value: Any, what: str) -> float:
    """value as one float64 number; CheckFailed naming `what` when it holds more than one."""
    array = f64(value)
    if array.size != 1:
        raise CheckFailed(f"{what} should be a single number, got shape {array.shape}")
    return float(array.reshape(()))


def assert_close(
    actual: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-6, what: str = "result"
) -> None:
    """Raise CheckFailed naming the shape mismatch or the first mismatching value.

    |actual - expected| <= atol + rtol * |expected|, elementwise (numpy's allclose rule).
    """
    actual_arr = np.asarray(actual, dtype=np.float64)
    expected_arr = np.asarray(expected, dtype=np.float64)
    if actual_arr.shape != expected_arr.shape:
        raise CheckFailed(f"{what} has shape {actual_arr.shape}, expected {expected_arr.shape}")
    bad = ~np.isclose(actual_arr, expected_arr, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"[{', '.join(map(str, index))}]" if index else ""
        raise CheckFailed(
            f"{what}{where} = {actual_arr[index]:.6g}, expected {expected_arr[index]:.6g} "
            f"(rtol={rtol:g}, atol={atol:g})"
        )


def assert_equal(actual: Any, expected: Any, *, what: str = "result") -> None:
    """Raise CheckFailed unless actual == expected (for ints, strings, tuples, labels)."""
    if actual != expected:
        raise CheckFailed(f"{what} = {actual!r}, expected {expected!r}")
