"""Every lesson executes end to end as a notebook, as a learner runs it; deprecations are errors.

Lessons are found by globbing lessons/*.py, so a new lesson is tested the day it lands.
The kernel is this venv's Python (a kernelspec written for the test, so no system-wide
`python3` kernel can stand in), started in a temporary learner folder like a real
`jlr lesson NN` notebook.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from jlr.course.notebook import read_lesson_notebook
from jlr.course.paths import repo_root

LESSONS = sorted((repo_root() / "lessons").glob("[0-9][0-9]_*.py"))
CELL_TIMEOUT_S = 240

# Deprecations raised while a lesson runs are errors, except inside the notebook machinery.
WARNINGS_CELL = """\
import warnings
for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
    warnings.filterwarnings("error", category=category)
    for machinery in ("ipykernel", "jupyter_client", "zmq", "traitlets", "IPython", "tornado"):
        warnings.filterwarnings("ignore", category=category, module=machinery + r"(\\.|$)")
"""


def venv_kernel_manager(folder: Path, home: Path):
    """A KernelManager for a kernelspec that runs sys.executable (root seed 0, the default)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec_dir = folder / "kernels" / "jlr-venv"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "JLR venv",
        "language": "python",
        "env": {
            "JLR_SEED": "0",  # the other seeds run in test_lesson_seeds.py
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "JLR_HOME": str(home),
            "PYTHONWARNINGS": "",
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return KernelManager(kernel_name="jlr-venv", kernel_spec_manager=specs)


def has_image(notebook: nbformat.NotebookNode) -> bool:
    outputs = (out for cell in notebook.cells for out in cell.get("outputs", []))
    return any("image/png" in out.get("data", {}) for out in outputs)


def execute_lesson(lesson: Path, tmp_path: Path, home: Path) -> nbformat.NotebookNode:
    """Run the lesson as a notebook; raises CellExecutionError (with the cell's traceback)."""
    from nbclient import NotebookClient

    notebook = read_lesson_notebook(lesson)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(WARNINGS_CELL))
    workdir = home / "notebooks"  # where `jlr lesson NN` puts it
    workdir.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        notebook,
        km=venv_kernel_manager(tmp_path, home),
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return notebook


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_executes_as_notebook(lesson: Path, tmp_path: Path, learner_home: Path) -> None:
    notebook = execute_lesson(lesson, tmp_path, learner_home)
    text = lesson.read_text(encoding="utf-8")
    if "plt.show()" in text or "show(" in text:
        assert has_image(notebook), f"{lesson.name} shows a figure but none was rendered"


def test_every_lesson_is_a_curriculum_lesson() -> None:
    from jlr.course.catalog import ALL_SECTIONS

    stems = {section.lesson_stem for section in ALL_SECTIONS}
    assert LESSONS, "no lessons found"
    for lesson in LESSONS:
        assert lesson.stem in stems, f"{lesson.name} is not named after a curriculum section"
        assert lesson.read_text(encoding="utf-8").startswith("# ---\n# jupyter:\n"), (
            f"{lesson.name} lacks the jupytext header"
        )


FAKE_LESSON = """\
# %%
import os, sys, warnings
assert os.path.realpath(sys.executable) == os.path.realpath(PYTHON), sys.executable
assert os.environ["JLR_SEED"] == "0"

# %%
warnings.warn("old API", DeprecationWarning)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_harness_uses_the_venv_and_fails_on_deprecations(tmp_path: Path, learner_home: Path):
    from nbclient.exceptions import CellExecutionError

    lesson = tmp_path / "99_fake.py"
    lesson.write_text(FAKE_LESSON.replace("PYTHON", repr(sys.executable)), encoding="utf-8")
    with pytest.raises(CellExecutionError) as error:
        execute_lesson(lesson, tmp_path, learner_home)
    message = str(error.value)
    assert "DeprecationWarning" in message and "old API" in message  # the 2nd cell, not the 1st
    assert "AssertionError" not in message
