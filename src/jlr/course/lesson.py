"""Helpers every lesson uses: its root key, and figures that show in a notebook and are saved
when the lesson runs as a script.

A lesson has one mode: what a learner runs by default is what the test suite runs. Its root
seed is 0 unless `JLR_SEED` says otherwise; the suite runs every lesson under several root
seeds, so a claim a lesson asserts is not an accident of seed 0.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

SEED_VARIABLE = "JLR_SEED"


def root_seed() -> int:
    """The lesson's root seed: `JLR_SEED` (a non-negative integer), 0 when unset."""
    text = os.environ.get(SEED_VARIABLE, "0")
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"{SEED_VARIABLE}={text!r}: give a non-negative integer, e.g. 1")
    return int(text)


def root_key():
    """jax.random.key(root_seed()): the one root key a lesson splits, each key used once."""
    import jax

    return jax.random.key(root_seed())


def in_notebook() -> bool:
    """True inside a Jupyter kernel (figures render inline there)."""
    shell = sys.modules.get("IPython")
    return shell is not None and getattr(shell.get_ipython(), "kernel", None) is not None


def figure_folder(lesson: str) -> Path:
    """Where a lesson run as a script saves its figures: .jlr/figures/<lesson>/ under
    `JLR_HOME` if set, else under the current folder (the learner's folder, as for notebooks)."""
    home = Path(os.environ["JLR_HOME"]) if "JLR_HOME" in os.environ else Path(".jlr")
    return home / "figures" / lesson


def show(name: str, lesson: str | None = None) -> Path | None:
    """Show the current figure: inline in a notebook; as a script, save it as `name`.png in
    `figure_folder(lesson)` (lesson: the running script's stem by default), print the path and
    close it. Returns the saved path, or None in a notebook."""
    import matplotlib.pyplot as plt

    if in_notebook():
        plt.show()
        return None
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"figure name {name!r}: use letters, digits, '_', '-' or '.'")
    lesson = lesson or Path(sys.argv[0]).stem or "lesson"
    folder = figure_folder(lesson)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    plt.gcf().savefig(path, dpi=110, bbox_inches="tight")
    plt.close(plt.gcf())
    print(f"figure: {path}")
    return path
