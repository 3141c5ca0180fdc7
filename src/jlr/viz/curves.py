"""Training curves from a run's metrics records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def plot_metric_curves(
    records: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    title: str,
    ylabel: str,
    log_y: bool = False,
) -> Figure:
    """One line per metric key against the step; records missing a key are skipped."""
    figure, axes = plt.subplots(figsize=(6, 3.6), layout="constrained")
    for key in keys:
        points = [(r["step"], r[key]) for r in records if key in r]
        if points:
            steps, values = zip(*points, strict=True)
            axes.plot(steps, values, marker="o" if len(points) < 30 else None, ms=3, label=key)
    axes.set_xlabel("step")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    if log_y:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend()
    return figure
