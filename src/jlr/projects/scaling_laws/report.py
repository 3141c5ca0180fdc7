"""The scaling-law study's outputs: the fit, the IsoFLOP optima, figures, results.json, report.html.

`summarize` turns the finished runs into every number of the report (the sizes, the fit
with its bootstrap interval, the IsoFLOP optima; `comparison` puts them into words);
`write_study_report` draws the figures and writes the files. metrics.jsonl holds one record
per chunk of every finished run ({"run", "step", "tokens", "train_loss"}) and one with its
validation loss.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np

from jlr.atomic_file import write_atomically
from jlr.config import config_to_dict
from jlr.projects.scaling_laws.comparison import (
    HOFFMANN,
    KAPLAN_ALPHA_N,
    comparison_text,
    isoflop_text,
)
from jlr.projects.scaling_laws.family import kaplan_estimate, parse_size
from jlr.projects.scaling_laws.fit import (
    ALPHA_RANGE,
    allocation_exponent,
    bootstrap_fit,
    fit_pure_power_law,
    isoflop_optimum,
    power_law,
    prediction_band,
)
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import METRICS, write_json

CONVENTION = (
    "N counts non-embedding parameters (Kaplan et al. 2020): every leaf of the parameter "
    "pytree except embed.table (the token embedding, tied with the unembedding) and "
    "positions.table (learned positions only); biases and layer norms are included, so "
    "N = L (12 D^2 + 13 D) + 2 D exactly, against Kaplan's estimate 12 L D^2."
)


def write_metrics(out_dir: Path, runs: dict[str, dict]) -> None:
    """metrics.jsonl from the finished runs, rewritten whole (atomically) after each run."""
    lines = []
    for name, record in runs.items():
        curve = record["curve"]
        step_tokens = record["tokens"] // record["steps"]
        for tokens, loss in zip(curve["tokens"], curve["train_loss"], strict=True):
            row = {"run": name, "step": tokens // step_tokens, "tokens": tokens}
            lines.append({**row, "train_loss": loss})
        lines.append(
            {"run": name, "step": record["steps"], "tokens": record["tokens"]}
            | {"val_loss": record["val_loss"], "val_se": record["val_se"]}
        )
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    write_atomically(Path(out_dir) / METRICS, text.encode())


def size_row(name: str, record: dict, d_head: int, n_train: int) -> dict:
    """One run as a table row; epochs = D / n_train (above 1 the text repeats)."""
    n_layers, d_model = parse_size(record["size"], d_head)
    return {
        "run": name,
        "size": record["size"],
        "n_layers": n_layers,
        "d_model": d_model,
        "n_heads": d_model // d_head,
        "n_params": record["n_params"],
        "kaplan_12LD2": kaplan_estimate(n_layers, d_model),
        "embedding_params": record["embedding_params"],
        "lr": record["lr"],
        "steps": record["steps"],
        "tokens": record["tokens"],
        "tokens_per_param": record["tokens"] / record["n_params"],
        "epochs": record["tokens"] / n_train,
        "flops_6ND": 6.0 * record["n_params"] * record["tokens"],
        "val_loss": record["val_loss"],
        "val_se": record["val_se"],
        "final_train_loss": record["curve"]["train_loss"][-1],
        "diverged": record["diverged"],
        "seconds": record["seconds"],
    }


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r, or None when either sample is constant (e.g. c held at 0 throughout)."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _fraction_at_bound(alphas: np.ndarray) -> float:
    """The share of fitted exponents at an end of the searched range (not pinned down)."""
    ends = np.isclose(alphas[:, None], np.asarray(ALPHA_RANGE)[None], rtol=1e-6)
    return float(ends.any(axis=1).mean())


def summarize(config, runs: dict[str, dict], n_train: int) -> dict:
    """Every number of the report, JSON-ready: sizes, fit, comparison, isoflop."""
    main = {name: r for name, r in runs.items() if name.startswith("main/")}
    rows = sorted(
        (size_row(n, r, config.d_head, n_train) for n, r in main.items()),
        key=lambda r: r["n_params"],
    )
    n_params = np.array([r["n_params"] for r in rows], np.float64)
    window_losses = np.array([main[r["run"]]["window_losses"] for r in rows])
    boot_key = jax.random.fold_in(jax.random.key(config.seed), 10**6)  # not a size's key
    boot = bootstrap_fit(
        boot_key, n_params, window_losses, n_resamples=config.n_resamples, level=config.level
    )
    pure_a, pure_alpha = fit_pure_power_law(n_params, window_losses.mean(axis=1))
    fit = {
        "a": boot.fit.a,
        "alpha": boot.fit.alpha,
        "c": boot.fit.c,
        "sse": boot.fit.sse,
        "interval": {k: list(v) for k, v in boot.interval.items()},
        "level": config.level,
        "n_resamples": config.n_resamples,
        "alpha_c_correlation": _correlation(boot.samples.alpha, boot.samples.c),
        "c_at_zero": float(np.mean(boot.samples.c == 0.0)),  # resamples whose floor is 0
        "alpha_at_bound": _fraction_at_bound(boot.samples.alpha),
        "bootstrap": "paired: the same resampled validation windows for every model",
        "pure_power_law": {"a": pure_a, "alpha": pure_alpha},
    }
    return {
        "convention": CONVENTION,
        "sizes": rows,
        "n_span": float(n_params.max() / n_params.min()),
        "fit": fit,
        "isoflop": isoflop_summary(config, runs, n_train),
        "references": {"kaplan_alpha_N": KAPLAN_ALPHA_N, "hoffmann": HOFFMANN},
        "_boot": boot,  # for the figures; dropped before results.json
    }


def isoflop_summary(config, runs: dict[str, dict], n_train: int) -> dict:
    budgets = []
    for budget in config.isoflop_budgets if config.isoflop_sizes else ():
        prefix = f"isoflop/{budget:.3g}/"
        rows = [
            size_row(n, r, config.d_head, n_train) for n, r in runs.items() if n.startswith(prefix)
        ]
        rows.sort(key=lambda r: r["n_params"])
        optimum = isoflop_optimum([r["n_params"] for r in rows], [r["val_loss"] for r in rows])
        n_opt = optimum["n_opt"]
        d_opt = None if n_opt is None else budget / (6 * n_opt)
        budgets.append(
            {
                "budget": budget,
                "runs": rows,
                **optimum,
                "d_opt": d_opt,
                "tokens_per_param_opt": None if n_opt is None else d_opt / n_opt,
            }
        )
    inside = [b["n_opt"] if b["inside"] else None for b in budgets]  # extrapolations left out
    exponent = allocation_exponent([b["budget"] for b in budgets], inside)
    return {"budgets": budgets, "allocation_exponent": exponent}


# ------------------------------------------------------------------- figures


def plot_scaling(summary: dict):
    rows, fit, boot = summary["sizes"], summary["fit"], summary["_boot"]
    n = np.array([r["n_params"] for r in rows], np.float64)
    loss = np.array([r["val_loss"] for r in rows])
    se = np.array([r["val_se"] for r in rows])
    grid = np.geomspace(n.min() / 1.5, n.max() * 1.5, 200)
    low, high = prediction_band(boot, grid)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    axis.fill_between(grid, low, high, alpha=0.25, label=f"{fit['level']:.0%} bootstrap band")
    lo, hi = fit["interval"]["alpha"]
    label = (
        f"L = {fit['a']:.3g} N^-{fit['alpha']:.3f} + {fit['c']:.3f}   "
        f"(alpha in [{lo:.3f}, {hi:.3f}])"
    )
    axis.plot(grid, power_law(grid, fit["a"], fit["alpha"], fit["c"]), label=label)
    axis.errorbar(n, loss, yerr=2 * se, fmt="o", color="black", capsize=3, label="val loss ± 2 SE")
    for row in rows:
        point = (row["n_params"], row["val_loss"])
        axis.annotate(row["size"], point, textcoords="offset points", xytext=(4, 4), fontsize=8)
    axis.set_xscale("log")
    axis.set_xlabel("N, non-embedding parameters")
    axis.set_ylabel("validation loss (nats per character)")
    axis.set_title(f"L(N) on a fixed budget of {rows[0]['tokens']:,} characters")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    return figure


def plot_curves(summary: dict, runs: dict[str, dict]):
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for row in summary["sizes"]:
        curve = runs[row["run"]]["curve"]
        losses = np.array(curve["train_loss"], dtype=np.float64)  # None (diverged) -> NaN
        axis.plot(curve["tokens"], losses, label=f"{row['size']} (N={row['n_params']:,})")
    axis.set_xscale("log")
    axis.set_xlabel("training characters seen")
    axis.set_ylabel("train loss (nats)")
    axis.set_title("Learning curves on the fixed budget")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    return figure


def plot_isoflop(summary: dict):
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for budget in summary["isoflop"]["budgets"]:
        n = np.array([r["n_params"] for r in budget["runs"]], np.float64)
        loss = np.array([r["val_loss"] for r in budget["runs"]])
        se = np.array([r["val_se"] for r in budget["runs"]])
        line = axis.errorbar(
            n, loss, yerr=2 * se, fmt="o", capsize=3, label=f"C = {budget['budget']:.3g}"
        )
        grid = np.geomspace(n.min(), n.max(), 100)
        axis.plot(grid, np.polyval(budget["coeffs"], np.log(grid)), color=line[0].get_color())
        if budget["n_opt"] is not None and budget["inside"]:  # a vertex outside is a guess
            axis.plot(budget["n_opt"], budget["loss_opt"], "*", ms=12, color=line[0].get_color())
    axis.set_xscale("log")
    axis.set_xlabel("N, non-embedding parameters")
    axis.set_ylabel("validation loss (nats per character)")
    axis.set_title("IsoFLOP: at a fixed compute C = 6 N D, which size is best?")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    return figure


def plot_alpha(summary: dict):
    fit, boot = summary["fit"], summary["_boot"]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.hist(boot.samples.alpha, bins=40, alpha=0.7, label="bootstrap alphas")
    for value in fit["interval"]["alpha"]:
        axis.axvline(value, color="black", ls="--")
    axis.axvline(fit["pure_power_law"]["alpha"], color="C2", label="pure power law (c = 0)")
    axis.axvline(KAPLAN_ALPHA_N, color="C3", label="Kaplan et al. 0.076")
    axis.axvline(HOFFMANN["alpha"], color="C4", label="Hoffmann et al. 0.34")
    axis.set(xlabel="alpha", ylabel="resamples", title="The exponent's bootstrap distribution")
    axis.legend(fontsize=8)
    return figure


def _table(rows: list[dict], columns: dict[str, str]) -> str:
    def cell(value) -> str:
        if isinstance(value, bool) or value is None:
            return html.escape(str(value))
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:.4g}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[key])}</td>" for key in columns) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


SIZE_COLUMNS = {
    "size": "size LxD",
    "n_heads": "heads",
    "n_params": "N (exact)",
    "kaplan_12LD2": "12 L D^2",
    "embedding_params": "embedding (excluded)",
    "lr": "lr",
    "steps": "steps",
    "tokens": "D",
    "tokens_per_param": "D / N",
    "epochs": "epochs",
    "val_loss": "val loss",
    "val_se": "SE",
    "final_train_loss": "train loss",
    "diverged": "diverged",
    "seconds": "seconds",
}
ISOFLOP_COLUMNS = ("size", "n_params", "steps", "tokens", "tokens_per_param", "epochs")


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{html.escape(text)}</p>" for text in texts)


def _notes(summary: dict, data_source: str) -> str:
    fit, n_sizes = summary["fit"], len(summary["sizes"])
    fit_rows = []
    for name in ("a", "alpha", "c"):
        low, high = fit["interval"][name]
        fit_rows.append({"name": name, "value": fit[name], "low": low, "high": high})
    level = f"{fit['level']:.0%}"
    fit_columns = {
        "name": "parameter",
        "value": "fit",
        "low": f"{level} low",
        "high": f"{level} high",
    }
    budgets = summary["isoflop"]["budgets"]
    iso_rows = [run | {"budget": budget["budget"]} for budget in budgets for run in budget["runs"]]
    iso_columns = {"budget": "C (FLOPs)"} | {key: SIZE_COLUMNS[key] for key in ISOFLOP_COLUMNS}
    iso_columns |= {"val_loss": "val loss", "val_se": "SE"}
    return "".join(
        [
            f"<p>{n_sizes} GPT sizes trained on {html.escape(data_source)}, each on the same "
            f"{summary['sizes'][0]['tokens']:,} characters. {html.escape(CONVENTION)}</p>",
            "<h2>The fit L(N) = a N^-alpha + c</h2>",
            _table(fit_rows, fit_columns),
            f"<p>Least squares in nats over the {n_sizes} sizes; interval from "
            f"{fit['n_resamples']} paired bootstrap resamples of the validation windows. "
            f"Without a floor (c = 0) the slope is {fit['pure_power_law']['alpha']:.4f}.</p>",
            _paragraphs(comparison_text(summary)),
            "<h2>The sizes</h2>",
            _table(summary["sizes"], SIZE_COLUMNS),
            "<h2>Compute-optimal allocation (IsoFLOP)</h2>",
            _paragraphs(isoflop_text(summary)),
            _table(iso_rows, iso_columns) if iso_rows else "",
        ]
    )


def write_study_report(out_dir: Path, config, data, runs: dict[str, dict]) -> dict:
    """Fit, figures, results.json and report.html from the finished runs; returns results."""
    summary = summarize(config, runs, len(data.train))
    figures = {"scaling.png": plot_scaling(summary), "curves.png": plot_curves(summary, runs)}
    if summary["isoflop"]["budgets"]:
        figures["isoflop.png"] = plot_isoflop(summary)
    figures["alpha.png"] = plot_alpha(summary)
    pngs = {name: save_figure(figure, Path(out_dir) / name) for name, figure in figures.items()}
    summary.pop("_boot")
    fit = summary["fit"]
    results = {
        "alpha": fit["alpha"],
        "alpha_low": fit["interval"]["alpha"][0],
        "alpha_high": fit["interval"]["alpha"][1],
        "a": fit["a"],
        "c": fit["c"],
        **summary,
        "comparison": comparison_text(summary),
        "isoflop_text": isoflop_text(summary),
        "data": data.source,
    }
    write_json(Path(out_dir) / "results.json", results)
    write_report(
        out_dir,
        title="scaling laws: L(N) on a fixed token budget",
        summary={
            "alpha": f"{fit['alpha']:.4f} [{fit['interval']['alpha'][0]:.4f}, "
            f"{fit['interval']['alpha'][1]:.4f}]",
            "a": fit["a"],
            "c (nats)": fit["c"],
            "N span": f"{summary['n_span']:.0f}x",
            "data": data.source,
        },
        config=config_to_dict(config),
        figures=pngs,
        notes=_notes(summary, data.source),
    )
    return results
