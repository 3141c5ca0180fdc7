"""Errors a user can fix. The CLI prints their message as one line and exits with `exit_code`.

Every layer's own user errors derive from `UserError` (`jlr.data.errors.DataError`,
`jlr.course.errors.CourseError` and those below), so the CLI catches this one class.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input: a wrong config value, an unknown name, a missing file. Exit code 2."""

    exit_code = 2


class ConfigError(UserError, ValueError):
    """A `--set key=value`, preset or `--seed` that is not valid for the project."""


class RunFolderError(UserError):
    """An `--out` folder that cannot hold this run, or `--resume` with nothing to resume."""


class TrainingDiverged(UserError):
    """The loss or a gradient became NaN/Inf. The last good checkpoint is kept. Exit code 1."""

    exit_code = 1


class RunInterrupted(Exception):
    """A run stopped at a safe point after Ctrl-C; `checkpoint` holds step `step`. Exit 130.

    Raised by the training loop (see `jlr.interrupt`), reported by the CLI in one line.
    """

    exit_code = 130

    def __init__(self, step: int, checkpoint) -> None:
        from pathlib import Path

        super().__init__(f"interrupted at step {step}; {checkpoint} holds step {step}")
        self.step, self.checkpoint = step, Path(checkpoint)
