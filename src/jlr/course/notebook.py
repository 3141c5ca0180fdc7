"""Lessons as Jupyter notebooks: `jlr lesson NN` converts ``lessons/NN_slug.py`` with jupytext.

A lesson is a jupytext percent-format script (``# %%`` code cells, ``# %% [markdown]`` prose),
so it runs as a plain script and, converted, as a notebook. The notebook is a build output,
written into the learner's folder (see `jlr.course.paths`), never into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat

from jlr.course.catalog import lesson_file
from jlr.course.errors import CourseError
from jlr.course.paths import learner_home


def read_lesson_notebook(path: Path) -> nbformat.NotebookNode:
    """The lesson script at `path` as an (unexecuted) notebook with a python3 kernelspec."""
    notebook = jupytext.read(path, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with the script
    return notebook


def export_lesson(number: str, dest_dir: Path | None = None) -> Path:
    """Write lesson NN as ``dest_dir/NN_slug.ipynb`` and return that path.

    dest_dir defaults to ``<learner folder>/notebooks``. A notebook already there is kept
    as ``NN_slug.previous.ipynb`` so a learner's edits survive a second export.
    """
    source = lesson_file(number)
    dest_dir = Path(dest_dir) if dest_dir is not None else learner_home() / "notebooks"
    if dest_dir.exists() and not dest_dir.is_dir():
        raise CourseError(f"{dest_dir} is a file, not a folder to write the notebook into")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CourseError(f"cannot create {dest_dir}: {error.strerror}") from None
    target = dest_dir / f"{source.stem}.ipynb"
    if target.exists():
        os.replace(target, target.with_suffix(".previous.ipynb"))
    try:
        nbformat.write(read_lesson_notebook(source), target)
    except OSError as error:
        raise CourseError(f"cannot write {target}: {error.strerror}") from None
    return target
