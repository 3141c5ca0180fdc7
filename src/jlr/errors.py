"""Errors a user can fix. The CLI prints their message as one line and exits with `exit_code`."""

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
