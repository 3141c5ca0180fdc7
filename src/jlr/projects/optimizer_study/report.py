"""The optimizer study's report: statistics over seeds, figures, results.json and report.html.

A sweep record (one task, optimizer and schedule) holds curves (n_lrs, n_seeds, n_evals)
per metric and a diverged mask (n_lrs, n_seeds). Diverged runs are masked out of every mean
and standard deviation; a learning rate is a candidate for "best" only if no seed diverged
at it. The report opens with the generated analysis (`writeup`), then the figures (a row
per schedule) and the table.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from jlr.projects.optimizer_study.analysis import best_lr_index
from jlr.projects.optimizer_study.writeup import analysis_html, write_analysis
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import write_json

METRICS = ("train_loss", "test_loss", "test_accuracy")
LOSS_FLOOR = 1e-12  # log-scale plots clip a loss that reached (float32) zero


def _nan_to_none(array: np.ndarray) -> list:
    """A JSON-ready nested list: NaN and Inf become null (JSON has no NaN)."""
    values = np.asarray(array, dtype=np.float64)
    return np.where(np.isfinite(values), values, None).tolist()


def sweep_to_json(record: dict) -> dict:
    curves = {name: _nan_to_none(curve) for name, curve in record["curves"].items()}
    return {**record, "curves": curves, "diverged": np.asarray(record["diverged"]).tolist()}


def sweep_from_json(record: dict) -> dict:
    curves = {name: np.array(c, dtype=np.float64) for name, c in record["curves"].items()}
    return {**record, "curves": curves, "diverged": np.array(record["diverged"], dtype=bool)}


def summarize_sweep(record: dict) -> dict[str, Any]:
    """Best rate and mean/std over its seeds of each final metric (None: every rate diverged)."""
    best = best_lr_index(record)
    row: dict[str, Any] = {
        "task": record["task"],
        "optimizer": record["optimizer"],
        "schedule": record.get("schedule", "constant"),
        "best_lr": None if best is None else record["lrs"][best],
        "diverged_runs": int(record["diverged"].sum()),
        "runs": int(record["diverged"].size),
        "compile_seconds": record["compile_seconds"],
        "train_seconds": record["train_seconds"],
    }
    for name, curve in record["curves"].items():
        final = curve[best, :, -1] if best is not None else np.array([np.nan])
        row[name] = {"mean": float(np.mean(final)), "std": float(np.std(final))}
    return row


def _masked(curve: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """curve (n_seeds, n) with the diverged seeds' rows set to NaN."""
    return np.where(diverged[:, None], np.nan, curve)


def _finish_axis(axis, drawn: bool, log_y: bool) -> None:
    """Log scale, grid and legend; a note instead when every run of the panel diverged."""
    axis.grid(alpha=0.3)
    if not drawn:
        axis.text(0.5, 0.5, "every run diverged", ha="center", transform=axis.transAxes)
        return
    if log_y:
        axis.set_yscale("log")
    axis.legend(fontsize=7)


def _schedule_of(record: dict) -> str:
    return record.get("schedule", "constant")


def _panels(sweeps: dict, tasks: list[str]):
    """A figure with a row per schedule and a column per task; yields (axis, records, title)."""
    schedules = list(dict.fromkeys(_schedule_of(r) for r in sweeps.values()))
    figure, axes = plt.subplots(
        len(schedules), len(tasks), figsize=(4.2 * len(tasks), 3.4 * len(schedules)), squeeze=False
    )
    panels = []
    for row, schedule in zip(axes, schedules, strict=True):
        for axis, task in zip(row, tasks, strict=True):
            records = [
                r for r in sweeps.values() if r["task"] == task and _schedule_of(r) == schedule
            ]
            panels.append((axis, records, f"{task}, {schedule}"))
    return figure, panels


def plot_best_curves(sweeps: dict, tasks: list[str], metric: str, ylabel: str, log_y: bool):
    """A panel per (schedule, task): each optimizer at its best rate, median over seeds,
    min-max band."""
    figure, panels = _panels(sweeps, tasks)
    for axis, records, title in panels:
        drawn = False
        for record in records:
            best = best_lr_index(record)
            if best is None or metric not in record["curves"]:
                continue
            drawn = True
            curve = _masked(record["curves"][metric][best], record["diverged"][best])
            if log_y:
                curve = np.maximum(curve, LOSS_FLOOR)
            steps = record["steps"]
            label = f"{record['optimizer']} (lr {record['lrs'][best]:g})"
            (line,) = axis.plot(steps, np.nanmedian(curve, axis=0), label=label)
            low, high = np.nanmin(curve, axis=0), np.nanmax(curve, axis=0)
            axis.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
        axis.set(title=title, xlabel="step", ylabel=ylabel)
        _finish_axis(axis, drawn, log_y)
    figure.suptitle(f"Best-tuned {ylabel} (line: median over seeds, band: min to max)")
    figure.set_layout_engine("constrained")
    return figure


def plot_lr_sensitivity(sweeps: dict, tasks: list[str], metric: str, ylabel: str, log_y: bool):
    """A panel per (schedule, task): final metric vs learning rate (mean, min-max bar);
    x: some seed diverged."""
    figure, panels = _panels(sweeps, tasks)
    for axis, records, title in panels:
        drawn = False
        for order, record in enumerate(records):
            lrs = np.asarray(record["lrs"])
            stable = ~record["diverged"].any(axis=1)  # (n_lrs,): no seed diverged
            drawn = drawn or bool(stable.any())
            final = record["curves"][metric][stable, :, -1]  # (n_stable, n_seeds)
            if log_y:
                final = np.maximum(final, LOSS_FLOOR)
            (line,) = axis.plot(
                lrs[stable], final.mean(axis=1), marker="o", ms=3, label=record["optimizer"]
            )
            low, high = final.min(axis=1), final.max(axis=1)
            axis.vlines(lrs[stable], low, high, color=line.get_color(), alpha=0.5)
            unstable = lrs[~stable]  # drawn along the top edge, one height per optimizer
            axis.plot(
                unstable,
                np.full(len(unstable), 0.97 - 0.035 * order),
                "x",
                color=line.get_color(),
                transform=axis.get_xaxis_transform(),
            )
        axis.set(title=title, xlabel="learning rate", ylabel=f"final {ylabel}", xscale="log")
        _finish_axis(axis, drawn, log_y)
    figure.suptitle(f"Learning-rate sensitivity of the final {ylabel} (x: some seed diverged)")
    figure.set_layout_engine("constrained")
    return figure


def _mean_std(cell: dict | None) -> str:
    if cell is None:
        return ""
    if not np.isfinite(cell["mean"]):
        return "all diverged"
    return f"{cell['mean']:.4g} ± {cell['std']:.2g}"


def table_html(rows: list[dict[str, Any]]) -> str:
    """The final-metrics table: one row per (task, optimizer, schedule), mean ± std over seeds."""
    head = [
        "task",
        "optimizer",
        "schedule",
        "best lr",
        "train loss",
        "test loss",
        "test accuracy",
        "diverged runs",
        "compile s",
        "train + eval s",
    ]
    body = []
    for row in rows:
        best = "all diverged" if row["best_lr"] is None else f"{row['best_lr']:g}"
        cells = [
            row["task"],
            row["optimizer"],
            row["schedule"],
            best,
            *(_mean_std(row.get(name)) for name in METRICS),
            f"{row['diverged_runs']} / {row['runs']}",
            f"{row['compile_seconds']:.1f}",
            f"{row['train_seconds']:.1f}",
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    return f"<table>{header}{''.join(body)}</table>"


def plot_tuning_budget(analysis: dict):
    """A panel per task: expected best final train loss of k random (schedule, lr) draws."""
    tasks = analysis["numbers"]["tasks"]
    figure, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.4), squeeze=False)
    for axis, (task, result) in zip(axes[0], tasks.items(), strict=True):
        budget = result["budget"]
        for name, curve in budget["expected_best_loss"].items():
            values = np.maximum(np.asarray(curve, np.float64), LOSS_FLOOR)
            axis.plot(budget["k"], values, marker="o", ms=3, label=name)
        axis.set(title=task, xlabel="k random configurations", ylabel="expected best train loss")
        axis.set(xscale="log", yscale="log")
        axis.set_xticks(budget["k"], [str(k) for k in budget["k"]])  # k itself, not 2x10^0
        axis.minorticks_off()
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle("Equal tuning budgets: the best of k random (schedule, lr) draws")
    figure.set_layout_engine("constrained")
    return figure


def study_figures(out_dir: Path, sweeps: dict, analysis: dict) -> dict[str, bytes]:
    tasks = list(dict.fromkeys(r["task"] for r in sweeps.values()))
    classification = [t for t in tasks if t != "quadratic"]
    plots = {
        "best_train_loss.png": plot_best_curves(sweeps, tasks, "train_loss", "train loss", True),
        "lr_sensitivity_train_loss.png": plot_lr_sensitivity(
            sweeps, tasks, "train_loss", "train loss", True
        ),
    }
    if classification:
        plots["best_test_accuracy.png"] = plot_best_curves(
            sweeps, classification, "test_accuracy", "test accuracy", False
        )
        plots["lr_sensitivity_test_accuracy.png"] = plot_lr_sensitivity(
            sweeps, classification, "test_accuracy", "test accuracy", False
        )
    plots["tuning_budget.png"] = plot_tuning_budget(analysis)
    return {name: save_figure(figure, out_dir / name) for name, figure in plots.items()}


def write_study_report(out_dir: Path, config: dict, sweeps: dict, wall_seconds: float) -> dict:
    """Write results.json, the PNGs and report.html; return the run's summary numbers."""
    out_dir = Path(out_dir)
    rows = [summarize_sweep(record) for record in sweeps.values()]
    n_runs = sum(row["runs"] for row in rows)
    n_diverged = sum(row["diverged_runs"] for row in rows)
    summary: dict[str, Any] = {
        "wall_seconds": wall_seconds,
        "runs": float(n_runs),
        "diverged_runs": float(n_diverged),
        "compile_seconds": float(sum(row["compile_seconds"] for row in rows)),
    }
    for task in dict.fromkeys(row["task"] for row in rows):
        task_rows = [r for r in rows if r["task"] == task and r["best_lr"] is not None]
        if task_rows:
            best = min(task_rows, key=lambda r: r["train_loss"]["mean"])
            name = f"{best['optimizer']}, {best['schedule']}"
            summary[f"{task} best train loss ({name})"] = best["train_loss"]["mean"]
        scored = [r for r in task_rows if "test_accuracy" in r]
        if scored:
            top = max(scored, key=lambda r: r["test_accuracy"]["mean"])
            name = f"{top['optimizer']}, {top['schedule']}"
            summary[f"{task} best test accuracy ({name})"] = top["test_accuracy"]["mean"]
    analysis = write_analysis(sweeps)
    write_json(
        out_dir / "results.json",
        {
            "summary": summary,
            "analysis": analysis,
            "table": rows,
            "sweeps": {key: sweep_to_json(record) for key, record in sweeps.items()},
        },
    )
    notes = analysis_html(analysis) + (
        "<h2>Setup</h2><p>Every (task, optimizer, schedule) trains its learning-rate x seed "
        "grid at once, vmapped "
        "inside one jitted step. Best learning rate: lowest mean final train loss among rates "
        "where no seed diverged (NaN/Inf, or a final loss above 10x the initial one). "
        "Train loss of the classifiers: on a fixed 512-example subset of the training set. "
        "Wall time per sweep: compiling (init and the training program) and training with "
        "evaluation.</p><h2>Final metrics (mean ± std over seeds at the best rate)</h2>"
        + table_html(rows)
    )
    write_report(
        out_dir,
        title="optimizer-study: six optimizers, two schedules, a learning-rate grid, three tasks",
        summary=summary,
        config=config,
        figures=study_figures(out_dir, sweeps, analysis),
        notes=notes,
    )
    return summary
