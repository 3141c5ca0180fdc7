"""Projects run by `jlr run NAME`: one module each, with a `Config`, `PRESETS` and `run`.

The registry maps names to module paths so that listing projects imports no JAX.
A project module provides:

- ``Config``: a frozen dataclass of every knob, with ranges in field metadata;
- ``PRESETS``: {"demo": {...}, "full": {...}} field overrides;
- ``DESCRIPTION``: one line for `jlr list`;
- ``run(config, out_dir, *, resume=False, progress=True) -> dict``: the final metrics.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from jlr.errors import UserError

PROJECTS: dict[str, tuple[str, str]] = {
    # name: (module, one-line description)
    "cnn": (
        "jlr.projects.cnn",
        "a CNN on digits, MNIST-1D, MNIST or CIFAR-10 (--set data=...)",
    ),
    "digits-mlp": (
        "jlr.projects.digits_mlp",
        "an MLP on scikit-learn's digits (8x8 images), >= 97% test accuracy",
    ),
    "optimizer-study": (
        "jlr.projects.optimizer_study",
        "6 optimizers x 2 schedules x lrs x seeds, vmapped, with a generated analysis",
    ),
    "data-parallel-mlp": ("jlr.projects.data_parallel_mlp", "the digits MLP, data-parallel"),
    "vision-ablation": (
        "jlr.projects.vision_ablation",
        "one-factor ablations of a CNN (norms, dropout, decay, depth, augmentation)",
    ),
    "transformer": (
        "jlr.projects.transformer",
        "a character-level GPT on Python's source or any text; samples and attention maps",
    ),
    "loss-landscape": (
        "jlr.projects.loss_landscape",
        "loss landscapes: interpolation, 2-D surfaces, Hessian spectrum, edge of stability",
    ),
    "scaling-laws": (
        "jlr.projects.scaling_laws",
        "GPT sizes on one token budget; L(N) = a N^-alpha + c with a bootstrap interval",
    ),
    "alignment": (
        "jlr.projects.alignment",
        "a reward model from pairwise preferences, and DPO on a small GPT",
    ),
}


def project_names() -> list[str]:
    return sorted(PROJECTS)


def load_project(name: str) -> ModuleType:
    """The project's module; a one-line UserError listing valid names if unknown."""
    if name not in PROJECTS:
        raise UserError(f"unknown project {name!r}; valid projects: {', '.join(project_names())}")
    return importlib.import_module(PROJECTS[name][0])
