"""The lesson 05 checker can fail and can pass: stubs fail every check, solutions pass every one."""

import importlib.util
from pathlib import Path

import pytest

from jlr.course.checks.jax_core import EXERCISES
from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed

STUBS = Path(__file__).parents[2] / "exercises" / "05_jax_core.py"


def load_stubs():
    spec = importlib.util.spec_from_file_location("exercises_05_jax_core", STUBS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_topic_has_an_exercise():
    assert {exercise.topic for exercise in EXERCISES} == set(section_by_number("05").topics)
    assert len({exercise.name for exercise in EXERCISES}) == len(EXERCISES)


def test_common_mistakes_are_caught():
    import jax

    from jlr.course.checks import jax_core as checks

    def reused_key_masks(key, n_layers, shape, keep_prob):
        return jax.numpy.stack([jax.random.bernoulli(key, keep_prob, shape)] * n_layers)

    with pytest.raises(CheckFailed, match="same mask"):
        checks.check_dropout_masks(reused_key_masks)
    with pytest.raises(CheckFailed, match="NaN"):
        checks.check_gather_or_nan(lambda x, i: x[i])
    with pytest.raises(CheckFailed, match="static"):
        checks.check_static_power(jax.jit(lambda x, n: x**n))
    no_allreduce = lambda loss, p, x, y, lr: jax.tree.map(
        lambda a, g: a - lr * g, p, jax.grad(loss)(p, x, y)
    )
    with pytest.raises(CheckFailed, match="pmean"):
        checks.check_data_parallel_sgd_step(no_allreduce)


# Every reference solution passing (and every stub failing) is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.
