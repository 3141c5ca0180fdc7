"""Helpers for a section's own exercise tests (tests/<area>/test_exercises.py).

tests/course/test_checker_can_fail_and_pass.py already proves, for every section at once, that
untouched stubs fail, reference solutions pass, and stubs, checks and solutions name the same
functions. A section's own test adds its wrong answers (each must fail with a hint) and the
checks below. Import with `from exercise_helpers import ...` (tests/ is on sys.path, as the
folder of the root conftest.py).
"""

from __future__ import annotations

import ast
import importlib.util
from types import ModuleType

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
