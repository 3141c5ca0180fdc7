"""Lessons as executed notebooks: ``lessons/NN_slug.py`` -> ``NN_slug.ipynb`` with outputs.

A lesson is a jupytext percent-format script. The site shows it as a notebook executed by
nbclient in a fresh kernel, so printed numbers and figures are the ones the code produces.
Executed notebooks are cached by the hash of the lesson, the library sources and the mode.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

LESSON_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.py$")


def lesson_paths(lessons_dir: Path) -> list[Path]:
    """Every ``NN_slug.py`` in `lessons_dir`, in lesson order."""
    return sorted(p for p in Path(lessons_dir).glob("*.py") if LESSON_NAME.match(p.name))


def _library_fingerprint() -> str:
    """sha256 of every .py file of the `jlr` package: a library change re-executes lessons."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: the learner's, with matplotlib's inline backend."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # Agg would swallow the figures instead of inlining them
    return env


def execute_lesson(
    path: Path,
    *,
    cwd: Path,
    cache_dir: Path | None = None,
    timeout_s: int = 1200,
) -> nbformat.NotebookNode:
    """The lesson at `path` as a notebook, executed in a fresh python3 kernel in `cwd`.

    Raises nbclient's CellExecutionError when a cell fails: a broken lesson breaks the build.
    """
    path = Path(path)
    source = path.read_bytes()
    key = hashlib.sha256(source + _library_fingerprint().encode()).hexdigest()
    cached = Path(cache_dir) / f"{path.stem}-{key[:16]}.ipynb" if cache_dir else None
    if cached is not None and cached.exists():
        return nbformat.read(cached, as_version=4)

    notebook = jupytext.reads(source.decode("utf-8"), fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata.pop("jupytext", None)
    client = NotebookClient(
        notebook,
        timeout=timeout_s,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=_kernel_env())
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        nbformat.write(notebook, tmp)
        os.replace(tmp, cached)
    return notebook


def notebook_title(notebook: nbformat.NotebookNode, default: str) -> str:
    """The text of the first ``# `` heading in a markdown cell, else `default`."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default
