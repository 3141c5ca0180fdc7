"""Lesson 04's exercises: every topic has one, reference solutions pass, wrong answers fail."""

import jax
import jax.numpy as jnp
import pytest
from exercise_helpers import assert_exercises_cover_the_section, load_stubs

from jlr.course.checks.optimization import EXERCISES
from jlr.course.exercise import CheckFailed
from jlr.course.solutions import optimization as solutions


def test_every_topic_of_section_04_has_an_exercise():
    assert_exercises_cover_the_section("04")


def test_stubs_and_solutions_define_every_exercise():
    stubs = load_stubs("04")
    for exercise in EXERCISES:
        assert callable(getattr(solutions, exercise.name))
        stub = getattr(stubs, exercise.name)
        assert stub.__doc__, exercise.name
        with pytest.raises(NotImplementedError):
            stub(*[None] * stub.__code__.co_argcount)


def _adam_without_correction(grad, m, v, step, lr, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return -lr * m / (jnp.sqrt(v) + eps), m, v


WRONG = {
    # forgot the finite-population factor (sampling with replacement)
    "minibatch_variance": lambda g, b: jnp.sum((g - g.mean(0)) ** 2) / g.shape[0] / b,
    "warmup_cosine_lr": lambda step, peak, w, t: solutions.warmup_cosine_lr(step, peak, w, 2 * t),
    "sgd_stationary_variance": lambda lr, h, s, b: lr * s / (2 * h * b),  # small-lr limit only
    "heavy_ball_iterations": lambda e, x0, lr, mom, tol: solutions.heavy_ball_iterations(
        e, x0, lr, 0.0, tol
    ),
    "rmsprop_update": lambda g, nu, lr, decay=0.9, eps=1e-8: (
        -lr * g / (jnp.sqrt(decay * nu + (1 - decay) * g**2) + 1e-2),
        decay * nu + (1 - decay) * g**2,
    ),
    "adam_update": _adam_without_correction,
    "uncorrected_step_ratio": lambda step, b1=0.9, b2=0.999: (1 - b1**step) / (1 - b2**step),
    "optimizer_trajectory": lambda opt, f, start, n: solutions.optimizer_trajectory(
        opt, f, start, n
    )[1:],
    "top_hessian_eigenvalue": lambda f, x, v0, n: jnp.trace(jax.hessian(f)(x)),
    "random_features_fit": lambda x, y, w: jnp.linalg.lstsq(x @ w, y)[0],  # no ReLU, no scale
    "gd_from_zero": lambda a, b, lr, n: jnp.linalg.lstsq(a, b)[0] + 0.1,
}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_wrong_answer_fails_with_a_hint(exercise):
    with pytest.raises(CheckFailed) as failure:
        exercise.check(WRONG[exercise.name])
    assert str(failure.value)


# Every reference solution passing (and every stub failing) is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.
