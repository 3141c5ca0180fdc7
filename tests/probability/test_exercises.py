"""Lesson-03 exercise checks: every topic is covered, and wrong answers fail with a hint."""

import jax.numpy as jnp
import pytest
from exercise_helpers import assert_exercises_cover_the_section

from jlr.course.checks import probability as checks
from jlr.course.exercise import CheckFailed

EXERCISES = {exercise.name: exercise for exercise in checks.EXERCISES}


def test_every_topic_of_section_03_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section("03")


WRONG = {
    "sample_exponential_inverse_cdf": lambda key, rate, n: -jnp.log1p(-jnp.linspace(0, 0.99, n)),
    "categorical_inverse_cdf": lambda u, probs: jnp.searchsorted(jnp.cumsum(probs), u),
    "mean_and_stderr": lambda v: (v.mean(), v.std() / jnp.sqrt(v.shape[0])),
    "sample_covariance": lambda x: jnp.cov(x.T, bias=True),
    "conditional_y_given_x": lambda joint: joint / joint.sum(0, keepdims=True),
    "bayes_rule": lambda prior, likelihood: prior * likelihood,
    "covariance_from_table": lambda joint, xv, yv: xv @ joint @ yv,
    "mvn_log_density": lambda x, mean, cov: -0.5 * (x - mean) @ jnp.linalg.solve(cov, x - mean),
    "mvn_sample": lambda key, mean, cov, n: jnp.zeros((n, 2)) + mean[None, :],
    "gaussian_mle": lambda x: (x.mean(), x.var(ddof=1)),
    "categorical_mle": lambda labels, k: jnp.bincount(labels, length=k) / k,
    "ridge_map": lambda x, y, nv, pv: jnp.linalg.lstsq(x, y)[0],
    "beta_bernoulli_map": lambda heads, n, a, b: (a + heads) / (a + b + n),
    "entropy": lambda p: -jnp.sum(p * jnp.log(p)),
    "cross_entropy": lambda z, p: (
        -jnp.sum(p * jnp.log(jnp.exp(z) / jnp.exp(z).sum(-1, keepdims=True)), -1)
    ),
    "softmax_cross_entropy": lambda z, y: -z[jnp.arange(z.shape[0]), y],
    "kl_gaussian_1d": lambda m0, s0, m1, s1: (
        jnp.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2)
    ),
    "mutual_information": lambda joint: jnp.sum(joint * jnp.log(joint)),
    "infonce_lower_bound": lambda s: jnp.mean(jnp.diag(s) - jnp.log(jnp.exp(s).sum(1))),
}


def test_every_exercise_has_a_wrong_answer():
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_answer_fails_with_a_hint(name):
    with pytest.raises(CheckFailed):
        EXERCISES[name].check(WRONG[name])


# Every reference solution passing (and every stub failing) is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.
