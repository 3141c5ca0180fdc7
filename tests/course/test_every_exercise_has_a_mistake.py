"""For every exercise of every lesson, at least one plausible wrong answer is on record.

Each section's tests/<area>/test_exercises.py holds SECTION and MISTAKES (see
tests/exercise_helpers.py) and proves each mistake fails with its hint; this test proves no
exercise is left without one. Stubs failing and reference solutions passing are proved in
test_checker_can_fail_and_pass.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jlr.course.catalog import ALL_SECTIONS, load_exercises

TESTS = Path(__file__).resolve().parents[1]


def recorded_mistakes() -> dict[str, dict]:
    """SECTION -> MISTAKES, from every tests/*/test_exercises.py."""
    found = {}
    for path in sorted(TESTS.glob("*/test_exercises.py")):
        spec = importlib.util.spec_from_file_location(f"_mistakes_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert hasattr(module, "SECTION") and hasattr(module, "MISTAKES"), path
        assert module.SECTION not in found, f"two test_exercises.py for section {module.SECTION}"
        found[module.SECTION] = module.MISTAKES
    return found


MISTAKES = recorded_mistakes()
GRADED = [section for section in ALL_SECTIONS if load_exercises(section)]


@pytest.mark.parametrize("section", GRADED, ids=[s.lesson_stem for s in GRADED])
def test_every_exercise_has_a_plausible_wrong_answer(section) -> None:
    assert section.number in MISTAKES, (
        f"no tests/*/test_exercises.py with SECTION = {section.number!r}"
    )
    mistakes = MISTAKES[section.number]
    missing = [e.name for e in load_exercises(section) if not mistakes.get(e.name)]
    assert not missing, f"section {section.number}: no recorded mistake for {missing}"
