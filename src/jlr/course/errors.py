"""Bad input to the course commands (`jlr lesson`, `jlr check`, ...).

The CLI prints the one-line message to stderr and exits with code 2.
"""

from __future__ import annotations

from jlr.errors import UserError


class CourseError(UserError, ValueError):
    """An unknown lesson number, a missing or broken exercise file. Exit code 2."""
