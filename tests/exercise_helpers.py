"""Helpers for a section's own exercise tests (tests/<area>/test_exercises.py).

tests/course/test_checker_can_fail_and_pass.py already proves, for every section at once, that
untouched stubs fail, reference solutions pass, and stubs, checks and solutions name the same
functions. A section's own test adds its wrong answers (each must fail with a hint) and the
checks below. Import with `from exercise_helpers import ...` (tests/ is on sys.path, as the
folder of the root conftest.py).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from types import ModuleType

import pytest

from jlr.course.catalog import exercise_file, load_exercises
from jlr.course.curriculum import section_by_number


def load_stubs(number: str) -> ModuleType:
    """exercises/NN_name.py imported as a module: every function raises NotImplementedError."""
    path = exercise_file(number)
    spec = importlib.util.spec_from_file_location(f"exercises_{number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_exercises_cover_the_section(number: str) -> None:
    """Every curriculum topic of section `number` has an exercise, and the stub file defines
    the exercises in the checker's order (the order `jlr check NN` reports them in)."""
    section = section_by_number(number)
    exercises = load_exercises(section)
    assert {exercise.topic for exercise in exercises} == set(section.topics)
    tree = ast.parse(exercise_file(number).read_text(encoding="utf-8"))
    stubs = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert stubs == [exercise.name for exercise in exercises]


def assert_stubs_and_solutions_define_every_exercise(number: str) -> None:
    """Each exercise of section `number` has a reference solution and a documented stub that
    raises NotImplementedError (called with None for every positional argument)."""
    section = section_by_number(number)
    solutions = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    stubs = load_stubs(number)
    for exercise in load_exercises(section):
        assert callable(getattr(solutions, exercise.name))
        stub = getattr(stubs, exercise.name)
        assert stub.__doc__, exercise.name
        with pytest.raises(NotImplementedError):
            stub(*[None] * stub.__code__.co_argcount)


# -- Plausible wrong answers ----------------------------------------------------------------
#
# Each section's tests/<area>/test_exercises.py defines
#
#     SECTION = "NN"
#     MISTAKES = {exercise_name: [(hint_regex, wrong_function), ...], ...}
#
# and parametrizes `test_mistake_fails_with_its_hint` over `mistake_cases(EXERCISES, MISTAKES)`.
# Every exercise has at least one mistake (tests/course/test_every_exercise_has_a_mistake.py),
# among them the shortcut the exercise exists to avoid where there is one; the hint regex
# says which hint the learner must see, so a generic "expected ..." is not enough where the
# mistake has a hint of its own.


def mistake_cases(exercises, mistakes) -> list:
    """pytest params (exercise, hint_regex, wrong_function), one per mistake, id name-i."""
    import pytest

    by_name = {exercise.name: exercise for exercise in exercises}
    unknown = set(mistakes) - set(by_name)
    assert not unknown, f"MISTAKES names no exercise: {sorted(unknown)}"
    return [
        pytest.param(by_name[name], pattern, wrong, id=f"{name}-{i}")
        for name, cases in mistakes.items()
        for i, (pattern, wrong) in enumerate(cases)
    ]


def assert_mistake_fails(exercise, pattern: str, wrong) -> None:
    """The check raises CheckFailed (not another error) and its hint matches `pattern`."""
    import re

    from jlr.course.exercise import CheckFailed

    assert pattern, "give the hint a regex: which hint should the learner see?"
    try:
        exercise.check(wrong)
    except CheckFailed as failure:
        hint = str(failure)
        assert hint.strip(), f"{exercise.name}: empty hint"
        assert re.search(pattern, hint), f"{exercise.name}: hint {hint!r} !~ {pattern!r}"
    else:
        raise AssertionError(f"{exercise.name}: the wrong answer passed the check")
