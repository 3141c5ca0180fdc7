"""Figures for lesson 04, optimization for deep learning. Each function draws one study
from arrays the functions of `jlr.optim`, `jlr.landscape` and `jlr.experiments` return and
gives back the Figure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt  # the backend is the caller's: inline in a notebook, Agg in CI
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def plot_schedules(steps: np.ndarray, curves: Mapping[str, np.ndarray]) -> Figure:
    """One learning-rate curve per schedule, each in its own small panel."""
    n = len(curves)
    figure, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.4), layout="constrained", sharey=True)
    for ax, (name, values) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        ax.plot(steps, values)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("learning rate")
    return figure


def plot_adam_first_steps(
    steps: np.ndarray, corrected: np.ndarray, uncorrected: np.ndarray, lr: float
) -> Figure:
    """|update| / lr over Adam's first steps, with and without bias correction."""
    figure, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
    marks = np.unique(np.geomspace(1, len(steps), 25).astype(int)) - 1  # evenly on a log axis
    ax.plot(steps, corrected / lr, marker="o", ms=3, markevery=marks, label="with bias correction")
    ax.plot(steps, uncorrected / lr, marker="s", ms=3, markevery=marks, label="without")
    ax.axhline(1.0, color="gray", ls="--", lw=1, label="lr")
    ax.set_xscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("effective step |update| / lr")
    ax.set_title("Adam's first steps on a constant gradient")
    ax.grid(alpha=0.3)
    ax.legend()
    return figure


def plot_variance_vs_batch(
    batch_sizes: np.ndarray, measured: np.ndarray, predicted: np.ndarray, n: int
) -> Figure:
    """Mini-batch gradient variance against B on log-log axes, with the 1/B law."""
    figure, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    ax.loglog(batch_sizes, measured, "o", label="measured E|g_B - g|^2")
    ax.loglog(batch_sizes, predicted, "-", label="tr(Sigma)/B (N-B)/(N-1)")
    naive = predicted[0] * batch_sizes[0] / batch_sizes * (n - 1) / (n - batch_sizes[0])
    ax.loglog(batch_sizes, naive, ":", color="gray", label="tr(Sigma)/B")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("gradient variance")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return figure


def plot_iterations_vs_condition(
    condition_numbers: np.ndarray,
    measured: Mapping[str, np.ndarray],
    theory: Mapping[str, np.ndarray],
) -> Figure:
    """Iterations to converge against kappa: markers measured, lines theory."""
    figure, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    for name, counts in measured.items():
        (line,) = ax.loglog(condition_numbers, counts, "o", label=f"{name} (measured)")
        ax.loglog(condition_numbers, theory[name], "-", color=line.get_color(), alpha=0.7)
    ax.set_xlabel("condition number kappa")
    ax.set_ylabel("iterations to |x_t| <= tol |x_0|")
    ax.set_title("markers: measured; lines: log(1/tol) / log(1/rho)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return figure


def contour_with_paths(
    ax: Axes,
    f: Callable[[jax.Array], jax.Array],
    paths: Mapping[str, np.ndarray],
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    minima: np.ndarray | None = None,
    log_levels: bool = True,
    title: str = "",
) -> None:
    """Contours of f on the box, each path (n, 2) as a line from a start marker."""
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = jnp.stack(jnp.meshgrid(xs, ys), axis=-1)  # (200, 200, 2)
    values = np.asarray(jax.vmap(jax.vmap(f))(grid))
    if log_levels:
        values = np.log1p(values - values.min())
    ax.contour(xs, ys, values, levels=25, cmap="viridis", linewidths=0.6)
    for name, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], lw=1.2, label=name)
        ax.plot(path[0, 0], path[0, 1], "k.", ms=6)
    if minima is not None:
        ax.plot(np.asarray(minima)[:, 0], np.asarray(minima)[:, 1], "r*", ms=9)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_title(title, fontsize=10)


def plot_landscapes(panels: Sequence[dict]) -> Figure:
    """A 2x2 grid of `contour_with_paths` panels; each dict holds that function's arguments."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 8.5), layout="constrained")
    for ax, panel in zip(axes.flat, panels, strict=True):
        contour_with_paths(ax, **panel)
    axes.flat[0].legend(fontsize=8, loc="lower right")
    return figure


def plot_escape_times(names: Sequence[str], steps: Mapping[str, np.ndarray], y0s) -> Figure:
    """Steps to escape the saddle against the initial offset y0, one line per optimizer."""
    figure, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    for name in names:
        ax.semilogx(y0s, steps[name], "o-", label=name)
    ax.set_xlabel("initial distance from the stable manifold |y0|")
    ax.set_ylabel("steps to reach |y| > 0.5")
    ax.grid(alpha=0.3)
    ax.legend()
    return figure


def plot_study_scatter(
    rows: Sequence[dict], x_key: str, y_keys: Sequence[str], label_key: str, log_x: bool = False
) -> Figure:
    """One panel per y_key: rows[x_key] against rows[y_key], points labelled."""
    figure, axes = plt.subplots(
        1, len(y_keys), figsize=(4.6 * len(y_keys), 3.6), layout="constrained"
    )
    for ax, y_key in zip(np.atleast_1d(axes), y_keys, strict=True):
        for row in rows:
            ax.plot(row[x_key], row[y_key], "o")
            ax.annotate(str(row[label_key]), (row[x_key], row[y_key]), fontsize=7)
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(x_key)
        ax.set_ylabel(y_key)
        ax.grid(alpha=0.3)
    return figure


def plot_double_descent(counts: np.ndarray, errors: np.ndarray, n_train: int) -> Figure:
    """Test error against the number of random features, the threshold p = n marked."""
    figure, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    ax.loglog(counts, errors, "o-")
    ax.axvline(
        n_train, color="red", ls="--", lw=1, label=f"interpolation threshold p = n = {n_train}"
    )
    ax.set_xlabel("number of random features p")
    ax.set_ylabel("test MSE (median over draws)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return figure


def plot_max_margin(x: np.ndarray, y: np.ndarray, directions: Mapping[str, np.ndarray]) -> Figure:
    """Points coloured by label and the separating line w . x = 0 for each direction w."""
    figure, ax = plt.subplots(figsize=(4.8, 4.5), layout="constrained")
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=18, edgecolors="k", linewidths=0.3)
    span = np.abs(x).max() * 1.1
    line = np.linspace(-span, span, 2)
    for (name, w), style in zip(directions.items(), ("-", "--", ":"), strict=False):
        w = np.asarray(w) / np.linalg.norm(w)
        ax.plot(line * -w[1], line * w[0], style, lw=1.5, label=name)  # the line orthogonal to w
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.legend(fontsize=8)
    return figure
