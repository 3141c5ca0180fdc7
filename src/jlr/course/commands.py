"""The course commands the `jlr` CLI calls, one function per subcommand.

- `jlr lessons`              -> `format_lessons()` (data: `list_lessons()`)
- `jlr lesson NN`            -> `export_lesson(number, dest_dir)` returns the notebook's path
- `jlr check NN [--file F]`  -> `check_exercises(number, file)` returns a `CheckReport`
- `jlr progress`             -> `format_progress()`

Bad input raises `CourseError` (a `ValueError`) with a one-line message: exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from jlr.course.catalog import format_lessons, list_lessons
from jlr.course.checker import CheckReport, grade
from jlr.course.errors import CourseError
from jlr.course.notebook import export_lesson
from jlr.course.progress import format_progress, record
from jlr.course.status import status_table_markdown, topic_status

__all__ = [
    "CheckReport",
    "CourseError",
    "check_exercises",
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
