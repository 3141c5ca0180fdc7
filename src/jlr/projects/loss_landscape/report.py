"""The loss-landscape project's outputs: figures, landscape.npz, results.json, report.html."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from jlr.atomic_file import write_atomically
from jlr.config import config_to_dict
from jlr.projects.loss_landscape.analyses import EOS_BAND, EXACT_HESSIAN_LIMIT
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import write_json

LANDSCAPE = "landscape.npz"
RESULTS = "results.json"


def _levels(losses: np.ndarray, n: int = 30) -> np.ndarray:
    """Contour levels spaced in log(loss), so the basin's floor gets as many as its walls."""
    low, high = np.log(max(losses.min(), 1e-8)), np.log(min(losses.max(), 50 * losses.min() + 5))
    return np.exp(np.linspace(low, high, n))


def plot_interpolation(result: dict):
    figure, axes = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    a = result["alphas"]
    axes.plot(
        a,
        result["init_to_solution"],
        label=f"init -> solution (barrier {result['barrier_init']:.3g})",
    )
    axes.plot(
        a,
        result["solution_to_solution"],
        label=f"seed A -> seed B (barrier {result['barrier_seeds']:.3g})",
    )
    axes.set(
        xlabel="alpha",
        ylabel="training loss",
        yscale="log",
        title="1-D linear interpolation L((1 - a) theta_1 + a theta_2)",
    )
    axes.legend()
    return figure


def plot_contour(axis, losses, title, path=None):
    figure, axes = plt.subplots(figsize=(5.6, 4.8), layout="constrained")
    grid_a, grid_b = np.meshgrid(axis, axis, indexing="ij")
    filled = axes.contourf(
        grid_a,
        grid_b,
        losses,
        levels=_levels(losses),
        cmap="viridis",
        norm=matplotlib.colors.LogNorm(),
        extend="max",
    )
    axes.contour(
        grid_a, grid_b, losses, levels=_levels(losses)[::3], colors="white", linewidths=0.4
    )
    bar = figure.colorbar(filled, ax=axes, label="training loss")
    ticks = np.geomspace(filled.levels[0], filled.levels[-1], 5)
    bar.set_ticks(ticks, labels=[f"{t:.3g}" for t in ticks])  # plain numbers on the log scale
    bar.minorticks_off()
    if path is not None:
        axes.plot(path[:, 0], path[:, 1], "o-", color="red", ms=3, lw=1, label="SGD path")
        axes.plot(path[0, 0], path[0, 1], "s", color="orange", ms=6, label="init")
        axes.legend(loc="upper right", fontsize=8)
    axes.plot(0, 0, "*", color="white", ms=10)
    axes.set(xlabel="direction 1", ylabel="direction 2", title=title)
    return figure


def plot_surface_3d(axis, losses):
    figure = plt.figure(figsize=(6.4, 5.0), layout="constrained")
    axes = figure.add_subplot(projection="3d")
    grid_a, grid_b = np.meshgrid(axis, axis, indexing="ij")
    axes.plot_surface(grid_a, grid_b, np.log10(losses), cmap="viridis", linewidth=0)
    axes.set(
        xlabel="direction 1",
        ylabel="direction 2",
        zlabel="log10 loss",
        title="The surface around the solution",
    )
    return figure


def plot_spectrum(result: dict):
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    k = len(result["top"])
    left.plot(range(1, k + 1), result["top"], "o", label="Lanczos on HVPs")
    if "exact" in result:
        left.plot(range(1, k + 1), result["exact"][::-1][:k], "x", ms=9, label="eigvalsh(H)")
    left.set(xlabel="rank", ylabel="eigenvalue", title=f"Top-{k} Hessian eigenvalues")
    left.legend()
    grid, floor = result["density_grid"], 1e-6
    right.semilogy(grid, np.maximum(result["slq_density"], floor), label="SLQ")
    if "exact_density" in result:
        right.semilogy(grid, np.maximum(result["exact_density"], floor), "--", label="exact")
    right.set(
        xlabel="eigenvalue",
        ylabel="density",
        ylim=(floor, None),
        title=f"Spectral density (Gaussian sigma {result['sigma']:.2g})",
    )
    right.legend()
    return figure


def plot_eos(result: dict, band: tuple[float, float]):
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for i, (lr, eos) in enumerate(result.items()):
        color = f"C{i}"
        left.plot(eos["steps"], eos["sharpness"], color=color, label=f"lr = {lr}")
        left.axhline(2 / float(lr), color=color, ls="--", lw=1)
        left.axhspan(band[0] * 2 / float(lr), band[1] * 2 / float(lr), color=color, alpha=0.08)
        right.plot(eos["losses"], color=color, lw=0.8, label=f"lr = {lr}")
    left.set(
        xlabel="step",
        ylabel="sharpness lambda_max(H)",
        title="Edge of stability: sharpness vs 2/lr (dashed)",
    )
    right.set(
        xlabel="step", ylabel="training loss (squared)", yscale="log", title="Full-batch GD loss"
    )
    left.legend()
    right.legend()
    return figure


def plot_comparisons(result: dict):
    pairs = [
        ("residual", "residual connections"),
        ("batch norm", "batch norm"),
        ("large batch", "batch size"),
    ]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained", sharey=True)
    for ax, (name, title) in zip(axes, pairs, strict=True):
        for variant, style in (("plain", "-"), (name, "--")):
            r = result[variant]
            label = f"{variant} (B={r['batch_size']}, lambda_max {r['sharpness']:.3g})"
            ax.plot(result["alphas"], r["slice"], style, label=label)
        ax.set(
            xlabel="a (filter-normalized direction)", yscale="log", title=f"with vs without {title}"
        )
        ax.legend(fontsize=8)
    axes[0].set_ylabel("training loss")
    return figure


def _npz(out_dir: Path, results: dict) -> None:
    arrays = {}

    def add(prefix, tree):
        for name, value in tree.items():
            if isinstance(value, dict):
                add(f"{prefix}{name}/", value)
            elif isinstance(value, np.ndarray | float | int | bool | np.floating):
                arrays[f"{prefix}{name}"] = np.asarray(value)

    add("", {k: v for k, v in results.items() if v is not None})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(out_dir / LANDSCAPE, buffer.getvalue())


def summarize(config, results: dict, timings: dict) -> dict[str, Any]:
    """results.json: the numbers, no arrays."""
    spectrum, interp = results["spectrum"], results["interpolation"]
    summary = {
        "final_loss": results["final_loss"],
        "barrier_init_to_solution": float(interp["barrier_init"]),
        "barrier_between_seeds": float(interp["barrier_seeds"]),
        "surface_min": float(results["surface"]["losses"].min()),
        "surface_grid": list(results["surface"]["losses"].shape),
        "n_params": int(spectrum["n_params"]),
        "top_eigenvalues": [float(v) for v in spectrum["top"]],
        "trace_hutchinson": float(spectrum["trace"]),
        "trace_standard_error": float(spectrum["trace_se"]),
        "edge_of_stability": {
            lr: {"ratio": eos["ratio"], "within_band": bool(eos["within_band"])}
            for lr, eos in results["eos"].items()
        },
        "seconds": {name: round(seconds, 2) for name, seconds in timings.items()},
    }
    if "exact" in spectrum:
        exact_top = spectrum["exact"][::-1][: len(spectrum["top"])]
        summary["top_eigenvalues_exact"] = [float(v) for v in exact_top]
        summary["top_eigenvalues_max_rel_error"] = float(
            np.max(np.abs(spectrum["top"] - exact_top) / np.abs(exact_top).max())
        )
        summary["trace_exact"] = float(spectrum["exact_trace"])
        step = spectrum["density_grid"][1] - spectrum["density_grid"][0]
        summary["density_l1_error"] = float(
            np.sum(np.abs(spectrum["slq_density"] - spectrum["exact_density"])) * step
        )
    if results["trajectory"] is not None:
        summary["trajectory_explained_variance"] = [
            float(v) for v in results["trajectory"]["explained"]
        ]
    if results["comparisons"] is not None:
        summary["comparisons"] = {
            name: {key: value for key, value in r.items() if key != "slice"}
            for name, r in results["comparisons"].items()
            if name != "alphas"
        }
    return summary


def _notes(config, summary: dict, note: str, band, exact_limit: int) -> str:
    lines = [f"Data: {note}. The landscape is of the full-batch training loss on these examples."]
    if "top_eigenvalues_exact" in summary:
        lines.append(
            f"The model has {summary['n_params']} parameters (at most {exact_limit}), so the full "
            f"Hessian was formed: Lanczos's top eigenvalues agree with eigvalsh to a relative "
            f"{summary['top_eigenvalues_max_rel_error']:.2g}; Hutchinson's trace "
            f"{summary['trace_hutchinson']:.4g} +- {summary['trace_standard_error']:.2g} "
            f"against the exact {summary['trace_exact']:.4g}; the SLQ density's L1 distance "
            f"from the exact one is {summary['density_l1_error']:.3g}."
        )
    else:
        lines.append(
            f"The model has {summary['n_params']} parameters, more than {exact_limit}: the full "
            "Hessian is not formed, and only the HVP-based estimates are shown."
        )
    eos = "; ".join(
        f"lr={lr}: {v['ratio']:.3f} x 2/lr ({'within' if v['within_band'] else 'OUTSIDE'})"
        for lr, v in summary["edge_of_stability"].items()
    )
    lines.append(
        f"Edge of stability: mean sharpness over the last third of GD, in units of 2/lr, "
        f"asserted within [{band[0]}, {band[1]}]: {eos}."
    )
    if config.from_run:
        lines.append(
            f"The solution is the checkpoint of {config.from_run}; the interpolation starts at a "
            "fresh initialization, and no trajectory is drawn (that run's path is not stored)."
        )
    if "comparisons" in summary:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{r['batch_size']}</td><td>{r['loss']:.4g}</td>"
            f"<td>{r['accuracy']:.3f}</td><td>{r['sharpness']:.4g}</td><td>{r['trace']:.4g}</td></tr>"
            for name, r in summary["comparisons"].items()
        )
        table = (
            f"<h2>Comparisons: a {config.compare_depth}-hidden-layer MLP of width "
            f"{config.compare_width}, {config.compare_steps} SGD steps each (lr "
            f"{config.compare_lr}, momentum {config.momentum}) from one init</h2>"
            "<p>One init per variant, trained once: each number is one sample, and the "
            "variants reach different training losses, which sharpness depends on.</p><table><tr>"
            "<th>variant</th><th>batch</th><th>train loss</th><th>train accuracy</th>"
            f"<th>lambda_max</th><th>tr(H)</th></tr>{rows}</table>"
        )
    else:
        table = ""
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines) + table


def write_outputs(out_dir: Path, config, results: dict, timings: dict, note: str) -> dict:
    """landscape.npz, results.json, the figures and report.html; returns the summary."""
    _npz(out_dir, results)
    summary = summarize(config, results, timings)
    write_json(out_dir / RESULTS, summary)
    surface = results["surface"]
    plots = {
        "interpolation.png": plot_interpolation(results["interpolation"]),
        "surface_contour.png": plot_contour(
            surface["axis"], surface["losses"], "Loss around the solution, filter-normalized"
        ),
        "surface_3d.png": plot_surface_3d(surface["axis"], surface["losses"]),
    }
    if results["trajectory"] is not None:
        trajectory = results["trajectory"]
        share = ", ".join(f"{100 * v:.0f}%" for v in trajectory["explained"])
        plots["trajectory.png"] = plot_contour(
            trajectory["axis"],
            trajectory["losses"],
            f"SGD path in its top-2 PCA plane ({share} of variance)",
            trajectory["coords"],
        )
    plots["hessian_spectrum.png"] = plot_spectrum(results["spectrum"])
    plots["edge_of_stability.png"] = plot_eos(results["eos"], EOS_BAND)
    if results["comparisons"] is not None:
        plots["comparisons.png"] = plot_comparisons(results["comparisons"])
    figures = {name: save_figure(figure, out_dir / name) for name, figure in plots.items()}
    report_summary = {
        key: value for key, value in summary.items() if not isinstance(value, dict | list)
    }
    write_report(
        out_dir,
        title=f"loss-landscape: {config.model} on {config.data}",
        summary=report_summary,
        config=config_to_dict(config),
        figures=figures,
        notes=_notes(config, summary, note, EOS_BAND, EXACT_HESSIAN_LIMIT),
    )
    return summary
