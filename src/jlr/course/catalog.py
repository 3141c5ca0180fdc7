"""The lessons that exist: their numbers, files, topics and exercises.

A lesson NN with slug S (see `jlr.course.curriculum`) is ``lessons/NN_S.py``; its stubs are
``exercises/NN_S.py`` and its graded exercises ``jlr.course.checks.S.EXERCISES``. A lesson
counts as existing when its file does, so lessons added later show up by themselves.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from jlr.course.curriculum import GETTING_STARTED, SECTIONS, Section, section_by_number
from jlr.course.errors import CourseError
from jlr.course.exercise import Exercise
from jlr.course.paths import exercises_dir, lessons_dir

ALL_SECTIONS: tuple[Section, ...] = (GETTING_STARTED, *SECTIONS)


def normalize_number(number: str) -> str:
    """'1' -> '01', '07' -> '07'; CourseError when it is not a number."""
    text = str(number).strip()
    if not text.isdigit():
        raise CourseError(f"lesson number must be two digits like 00 or 07, got {number!r}")
    return text.zfill(2)


def existing_sections() -> list[Section]:
    """Sections (lesson 00 included) whose ``lessons/NN_slug.py`` exists, in order."""
    folder = lessons_dir()
    return [s for s in ALL_SECTIONS if (folder / f"{s.lesson_stem}.py").is_file()]


def list_lessons() -> list[tuple[str, str, tuple[str, ...]]]:
    """(number, title, topics) of every lesson whose file exists."""
    return [(s.number, s.title, s.topics) for s in existing_sections()]


def format_lessons() -> str:
    """The text of `jlr lessons`: each lesson with its topics."""
    lines = []
    for number, title, topics in list_lessons():
        lines.append(f"{number}  {title}")
        lines.extend(f"      - {topic}" for topic in topics)
    if not lines:
        return "no lessons yet"
    lines.append("")
    lines.append(
        "`jlr lesson NN` writes lesson NN as a notebook; `jlr check NN` grades its exercises."
    )
    return "\n".join(lines)


def lesson_file(number: str) -> Path:
    """``lessons/NN_slug.py``; CourseError listing the valid numbers when there is none."""
    number = normalize_number(number)
    valid = [s.number for s in existing_sections()]
    if number not in valid:
        raise CourseError(f"no lesson {number}; lessons: {', '.join(valid) or 'none yet'}")
    return lessons_dir() / f"{section_by_number(number).lesson_stem}.py"


def exercise_file(number: str) -> Path:
    """``exercises/NN_slug.py`` (it need not exist; see `gradable_numbers`)."""
    section = section_by_number(normalize_number(number))
    return exercises_dir() / f"{section.lesson_stem}.py"


def has_checks(section: Section) -> bool:
    """Whether ``jlr.course.checks.<slug>`` exists (found without importing it)."""
    return importlib.util.find_spec(f"jlr.course.checks.{section.slug}") is not None


def load_exercises(section: Section) -> tuple[Exercise, ...]:
    """``jlr.course.checks.<slug>.EXERCISES``, or () while that module is not written yet."""
    if not has_checks(section):
        return ()
    return tuple(importlib.import_module(f"jlr.course.checks.{section.slug}").EXERCISES)


def gradable_section(number: str) -> Section:
    """The section of lesson NN when it has checks; CourseError listing those that do."""
    number = normalize_number(number)
    gradable = [s for s in ALL_SECTIONS if has_checks(s)]
    for section in gradable:
        if section.number == number:
            return section
    valid = ", ".join(s.number for s in gradable) or "none yet"
    raise CourseError(f"no exercises for lesson {number}; lessons with exercises: {valid}")
