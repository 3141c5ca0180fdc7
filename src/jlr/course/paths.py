"""Where the course's files live: the repository's lessons and exercises, and the learner's folder.

The lessons and exercise stubs ship with the repository, not with the installed package:
they are found at ``Path(jlr.__file__).parents[2]`` (``src/jlr/__init__.py`` -> repo root).

The learner's folder holds what the commands write for one learner:

- ``$JLR_HOME`` when that variable is set, otherwise ``.jlr/`` in the current directory
  (run the commands from the repository root and it is ``<repo>/.jlr/``);
- ``notebooks/NN_slug.ipynb`` — lessons written by ``jlr lesson NN``;
- ``progress.json`` — which exercises passed, written by ``jlr check NN``.
"""

from __future__ import annotations

import os
from pathlib import Path

import jlr
from jlr.course.errors import CourseError


def repo_root() -> Path:
    """The repository that holds this source tree (may lack lessons/ when jlr is installed)."""
    return Path(jlr.__file__).resolve().parents[2]


def lessons_dir() -> Path:
    """``<repo>/lessons``; CourseError when jlr was installed without the repository."""
    return _repo_subdir("lessons")


def exercises_dir() -> Path:
    """``<repo>/exercises``; CourseError when jlr was installed without the repository."""
    return _repo_subdir("exercises")


def _repo_subdir(name: str) -> Path:
    path = repo_root() / name
    if not path.is_dir():
        raise CourseError(
            f"no {name}/ folder at {path}: the course needs a clone of the JLR repository "
            "(pip install -e . from the clone)"
        )
    return path


def learner_home() -> Path:
    """The learner's folder: ``$JLR_HOME``, else ``./.jlr`` (not created here)."""
    home = os.environ.get("JLR_HOME")
    return Path(home).expanduser() if home else Path.cwd() / ".jlr"
