"""The course commands the `jlr` CLI calls, one function per subcommand.

- `jlr lessons`              -> `format_lessons()` (data: `list_lessons()`)
- `jlr lesson NN`            -> `export_lesson(number, dest_dir)` returns the notebook's path
- `jlr check NN [--file F]`  -> `check_exercises(number, file)` returns a `CheckReport`
- `jlr progress`             -> `format_progress()`
- `jlr solution NN NAME`     -> `solution_source(number, name)`: the reference answer

Bad input raises `CourseError` (a `ValueError`) with a one-line message: exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from jlr.course.catalog import format_lessons, gradable_section, list_lessons, load_exercises
from jlr.course.checker import CheckReport, grade
from jlr.course.errors import CourseError
from jlr.course.notebook import export_lesson
from jlr.course.progress import format_progress, record
from jlr.course.status import status_table_markdown, topic_status

__all__ = [
    "CheckReport",
    "CourseError",
    "check_exercises",
    "solution_source",
    "export_lesson",
    "format_lessons",
    "format_progress",
    "list_lessons",
    "status_table_markdown",
    "topic_status",
]


def check_exercises(number: str, file: Path | None = None) -> CheckReport:
    """Grade lesson NN's exercises in `file` (default ``exercises/NN_slug.py``), record progress."""
    report = grade(number, file)
    record(report)
    return report


def solution_source(number: str, name: str) -> str:
    """The reference solution of exercise `name` of lesson NN, as source text with a header
    naming where it lives (often the library function itself: the concept is written once).

    The solutions are there to read on purpose, after trying; `jlr check` refuses a file that
    imports them."""
    import importlib
    import inspect

    section = gradable_section(number)
    names = [exercise.name for exercise in load_exercises(section)]
    if name not in names:
        raise CourseError(f"lesson {section.number} has no exercise {name!r}; exercises: "
                          f"{', '.join(names)}")  # fmt: skip
    module = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    function = inspect.unwrap(getattr(module, name))
    where = f"{function.__module__}.{function.__qualname__}"
    return f"# {where}\n{inspect.getsource(function)}"
