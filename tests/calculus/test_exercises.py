"""The lesson 01 checker can fail and can pass: stubs fail every check, solutions pass every one."""

import importlib.util
from pathlib import Path

from jlr.course import solutions
from jlr.course.checks.calculus import EXERCISES
from jlr.course.curriculum import section_by_number
from jlr.course.solutions import calculus as reference

STUBS = Path(__file__).parents[2] / "exercises" / "01_calculus.py"


def load_stubs():
    spec = importlib.util.spec_from_file_location("exercises_01_calculus", STUBS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_topic_has_an_exercise():
    assert {exercise.topic for exercise in EXERCISES} == set(section_by_number("01").topics)
    assert len({exercise.name for exercise in EXERCISES}) == len(EXERCISES)


def test_stubs_and_solutions_define_every_exercise():
    stubs = load_stubs()
    for exercise in EXERCISES:
        assert callable(getattr(stubs, exercise.name)), exercise.name
        assert callable(getattr(reference, exercise.name)), exercise.name
    assert solutions.__name__ == "jlr.course.solutions"


# That every reference solution passes and every stub fails is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py.
