"""Lesson 02's exercises: every topic has one, and wrong answers fail with a hint."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import assert_exercises_cover_the_section

from jlr.course.checks.linear_algebra import EXERCISES
from jlr.course.exercise import CheckFailed
from jlr.course.solutions import linear_algebra as solutions
from jlr.linalg.gram_schmidt import classical_gram_schmidt


@pytest.fixture(autouse=True, scope="module")
def _float64_strict_ranks():
    """Override the directory's float64 fixture: learners run checks in default float32."""
    yield


def test_every_topic_of_section_02_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section("02")


# Every reference solution passing is proved for all lessons at once by
# tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.


def _ascending_svd(a):
    eigenvalues, v = jnp.linalg.eigh(a.T @ a)
    s = jnp.sqrt(jnp.clip(eigenvalues, 0.0))
    return (a @ v) / s[None, :], s, v.T


def _gd_with_optimal_step(h, x0, tol):
    eigenvalues = jnp.linalg.eigvalsh(h)
    lr = 2.0 / (eigenvalues[0] + eigenvalues[-1])  # faster than the 1/L the exercise asks for
    x, steps = x0, 0
    while jnp.linalg.norm(x) > tol * jnp.linalg.norm(x0):
        x, steps = x - lr * (h @ x), steps + 1
    return steps


def _power_iteration_with_norm(a, v0, n_steps):
    _, v = solutions.power_iteration(a, v0, n_steps)
    return jnp.linalg.norm(a @ v), v  # loses the eigenvalue's sign


WRONG = {
    "project_onto_span": lambda a, x: x,
    "is_in_span": lambda a, x, rtol: True,
    "modified_gram_schmidt": classical_gram_schmidt,
    "is_linearly_independent": lambda v, rtol: v.shape[0] >= v.shape[1],
    "change_of_basis_matrix": lambda old, new: jnp.linalg.solve(old, new),
    "matrix_of_linear_map": lambda f, d_in: jax.vmap(f)(jnp.eye(d_in)),  # rows, not columns
    "null_space_basis": lambda a, rtol: jnp.linalg.svd(a)[2][: a.shape[1] - 1].T,
    "power_iteration": _power_iteration_with_norm,
    "spectral_norm": lambda a, v0, n_steps: jnp.linalg.norm(a),  # Frobenius
    "gd_steps_on_quadratic": _gd_with_optimal_step,
    "svd_from_eigh": _ascending_svd,
    "rank_k_approximation": lambda a, k: a - solutions.rank_k_approximation(a, a.shape[1] - k),
    "explained_variance_ratio": lambda x: (
        (s := jnp.linalg.svd(x, compute_uv=False)) ** 2 / jnp.sum(s**2)
    ),  # forgot to center
}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_wrong_answer_fails_with_a_hint(exercise):
    with pytest.raises(CheckFailed) as failure:
        exercise.check(WRONG[exercise.name])
    assert str(failure.value)


def test_library_routine_is_off_limits_where_from_scratch_is_asked():
    (gram_schmidt,) = [e for e in EXERCISES if e.name == "modified_gram_schmidt"]
    with pytest.raises(CheckFailed, match="from scratch"):
        gram_schmidt.check(lambda a: jnp.linalg.qr(a))
    assert jnp.linalg.qr(jnp.eye(2))[0].shape == (2, 2)  # restored afterwards
    np.testing.assert_array_equal(jnp.linalg.qr(jnp.eye(2))[1], np.eye(2))
