"""The ablation report: paired comparisons, generated analysis, figures, JSON and HTML.

Every number and every sentence here is computed from the per-seed final metrics of the
settings (records made by `train_setting`); no claim is typed in. `analysis_text` writes the
analysis; `compare_settings` the statistics it quotes; both land in results.json, so a test
can check that each sentence says what the numbers say.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from jlr.config import config_to_dict
from jlr.projects.vision_ablation.stats import holm_reject, paired_comparison
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import write_json

METRICS = {  # name: (what it is, higher is better)
    "test_accuracy": ("test accuracy", True),
    "test_loss": ("test loss", False),
    "train_accuracy": ("train accuracy", True),
    "gap": ("train - test accuracy gap", False),
}
PRIMARY = "test_accuracy"
TEST_NAME = "paired t-test (scipy.stats.ttest_rel) on the per-seed differences"


def per_seed(record: dict, metric: str) -> np.ndarray:
    """(n_seeds,) final values of a metric; "gap" is train minus test accuracy."""
    final = record["final"]
    if metric == "gap":
        return np.asarray(final["train_accuracy"]) - np.asarray(final["test_accuracy"])
    return np.asarray(final[metric])


def compare_settings(records: list[dict], alpha: float) -> dict[str, dict]:
    """{ablation: {metric: paired_comparison(...)}, "holm_significant": bool} for every record
    after the first (the baseline); Holm's correction is over the ablations' PRIMARY p-values."""
    baseline, ablations = records[0], records[1:]
    comparisons = {
        record["name"]: {
            metric: paired_comparison(per_seed(record, metric), per_seed(baseline, metric), alpha)
            for metric in METRICS
        }
        for record in ablations
    }
    p_values = [comparisons[r["name"]][PRIMARY]["p"] for r in ablations]
    for record, holm in zip(ablations, holm_reject(p_values, alpha), strict=True):
        comparisons[record["name"]]["holm_significant"] = holm
    return comparisons


# ------------------------------------------------------------------------------ analysis


def _percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"


def _verb(diff: float) -> str:
    return "raised" if diff > 0 else "lowered" if diff < 0 else "did not change"


def _p(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def _t(t: float) -> str:
    return f"{t:.2f}" if np.isfinite(t) else ("+inf" if t > 0 else "-inf")


def ablation_sentences(record: dict, comparison: dict, alpha: float, n_tests: int) -> str:
    """What one ablation changed, by how much, and whether it is significant, in words."""
    acc, loss, gap = comparison[PRIMARY], comparison["test_loss"], comparison["gap"]
    ci = f"{_points(acc['ci_low'])} to {_points(acc['ci_high'])}"
    text = (
        f"Adding {record['description']} ({record['name']}) {_verb(acc['diff'])} the mean "
        f"test accuracy from {_percent(acc['baseline_mean'])} to "
        f"{_percent(acc['ablation_mean'])}, a change of {_points(acc['diff'])} points "
        f"({100 * (1 - alpha):.0f}% CI {ci}; paired t({acc['df']}) = {_t(acc['t'])}, "
        f"{_p(acc['p'])}, {acc['n']} seeds). "
    )
    if acc["significant"]:
        holm = "and it survives" if comparison["holm_significant"] else "but it does not survive"
        text += (
            f"This is significant at alpha = {alpha:g}: the interval excludes zero, {holm} "
            f"Holm's correction for {n_tests} comparisons. "
        )
    else:
        text += (
            f"This is not significant at alpha = {alpha:g}: the interval includes zero, so "
            "these seeds cannot tell the change from seed-to-seed noise. "
        )
    text += (
        f"The test loss went from {loss['baseline_mean']:.4f} to {loss['ablation_mean']:.4f} "
        f"({loss['diff']:+.4f}, {_p(loss['p'])}, {_significance(loss)}). "
    )
    train = comparison["train_accuracy"]
    gap_verb = "narrowed" if gap["diff"] < 0 else "widened" if gap["diff"] > 0 else "kept"
    text += (
        f"Train accuracy (evaluation mode) went from {_percent(train['baseline_mean'])} to "
        f"{_percent(train['ablation_mean'])} ({_p(train['p'])}, {_significance(train)}), and "
        f"the train-test gap {gap_verb} from {100 * gap['baseline_mean']:.2f} to "
        f"{100 * gap['ablation_mean']:.2f} points ({_p(gap['p'])}, {_significance(gap)})."
    )
    reading = mechanism_sentence(comparison)
    return f"{text} {reading}" if reading else text


def _significance(comparison: dict) -> str:
    return "significant" if comparison["significant"] else "not significant"


MECHANISMS = {  # (test accuracy up?, train accuracy up?), both significant -> a reading
    (True, True): "Both rose: the change helps the network fit, consistent with easier "
    "optimization within the same budget.",
    (True, False): "Test accuracy rose while train accuracy fell: the change trades fit for "
    "generalization, the signature of a regularizer.",
    (False, False): "Both fell: the network fits less within this budget, consistent with "
    "underfitting (too strong a change, or too few steps for it).",
    (False, True): "Train accuracy rose while test accuracy fell: the change lets the network "
    "fit the training set at the expense of generalization, consistent with overfitting.",
}


def mechanism_sentence(comparison: dict) -> str:
    """How test and train accuracy moved together, when both changes are significant; ""
    otherwise (a reading needs both)."""
    test, train = comparison[PRIMARY], comparison["train_accuracy"]
    if not (test["significant"] and train["significant"]):
        return ""
    return MECHANISMS[(test["diff"] > 0, train["diff"] > 0)]


def summary_sentence(records: list[dict], comparisons: dict, alpha: float) -> str:
    """One sentence over all ablations: the baseline, and which changes were significant."""
    base = per_seed(records[0], PRIMARY)
    text = (
        f"The baseline reached a test accuracy of {_percent(base.mean())} "
        f"(standard deviation {100 * base.std(ddof=1):.2f} points over {len(base)} seeds). "
    )
    significant = [n for n, c in comparisons.items() if c[PRIMARY]["significant"]]
    if not significant:
        return text + (
            f"None of the {len(comparisons)} ablations changed it significantly at "
            f"alpha = {alpha:g}."
        )
    ranked = sorted(significant, key=lambda n: -comparisons[n][PRIMARY]["diff"])
    listed = ", ".join(f"{n} ({_points(comparisons[n][PRIMARY]['diff'])})" for n in ranked)
    n_holm = sum(comparisons[n]["holm_significant"] for n in significant)
    return text + (
        f"{len(significant)} of the {len(comparisons)} ablations changed it significantly at "
        f"alpha = {alpha:g}, in points: {listed}; {n_holm} of them also after Holm's "
        "correction."
    )


def analysis_text(records: list[dict], comparisons: dict, alpha: float) -> dict:
    """{"summary": sentence, "ablations": {name: sentences}}, generated from the numbers."""
    return {
        "summary": summary_sentence(records, comparisons, alpha),
        "ablations": {
            r["name"]: ablation_sentences(r, comparisons[r["name"]], alpha, len(records) - 1)
            for r in records[1:]
        },
    }


# ------------------------------------------------------------------------------- figures


def plot_curves(records: list[dict], metric: str, ylabel: str):
    """Mean over seeds (line) and +- one standard deviation (band) of each setting's curve."""
    figure, axes = plt.subplots(figsize=(7, 4), layout="constrained")
    for index, record in enumerate(records):
        steps = np.asarray(record["curves"]["step"])
        curves = np.asarray(record["curves"][metric])  # (n_seeds, n_evals)
        mean, std = curves.mean(axis=0), curves.std(axis=0, ddof=1)
        style = {"color": "black", "lw": 2.2} if index == 0 else {"lw": 1.2}
        (line,) = axes.plot(steps, mean, label=record["name"], **style)
        axes.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    axes.set_xlabel("step")
    axes.set_ylabel(ylabel)
    axes.set_title(f"{ylabel}: mean +- std over seeds")
    if metric == "test_loss":
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncols=2)
    return figure


def plot_differences(comparisons: dict, alpha: float):
    """Each ablation's change in test accuracy with its confidence interval (a forest plot)."""
    names = list(comparisons)
    figure, axes = plt.subplots(figsize=(7, 0.5 * len(names) + 1.2), layout="constrained")
    for row, name in enumerate(names):
        c = comparisons[name][PRIMARY]
        color = "tab:blue" if c["significant"] else "tab:gray"
        low, high = 100 * (c["diff"] - c["ci_low"]), 100 * (c["ci_high"] - c["diff"])
        axes.errorbar(100 * c["diff"], row, xerr=[[low], [high]], fmt="o", color=color, capsize=4)
    axes.axvline(0.0, color="black", lw=1)
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.set_xlabel(
        f"change in test accuracy vs baseline (points), {100 * (1 - alpha):.0f}% CI; "
        "blue: significant"
    )
    axes.grid(alpha=0.3, axis="x")
    return figure


# ---------------------------------------------------------------------------------- html


def _cell(value: Any) -> str:
    return html.escape(str(value))


def _value(metric: str, value: float) -> str:
    return f"{100 * value:.2f}" if metric != "test_loss" else f"{value:.4f}"


def comparison_table(comparison: dict, alpha: float) -> str:
    """One ablation's table: a row per metric, baseline and ablation mean +- std, the
    difference with its interval, t, p, and the verdict at alpha."""
    level = f"{100 * (1 - alpha):.0f}% CI"
    head = ["metric", "baseline", "ablation", "difference", level, "t (df)", "p", "verdict"]
    rows = []
    for metric, (label, _) in METRICS.items():
        c = comparison[metric]
        unit = " (nats)" if metric == "test_loss" else " (%)"
        rows.append(
            [
                label + unit,
                f"{_value(metric, c['baseline_mean'])} +- {_value(metric, c['baseline_std'])}",
                f"{_value(metric, c['ablation_mean'])} +- {_value(metric, c['ablation_std'])}",
                _value(metric, c["diff"]),
                f"[{_value(metric, c['ci_low'])}, {_value(metric, c['ci_high'])}]",
                f"{_t(c['t'])} ({c['df']})",
                f"{c['p']:.3g}",
                "significant" if c["significant"] else "not significant",
            ]
        )
    header = "".join(f"<th>{_cell(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def overview_table(records: list[dict], comparisons: dict) -> str:
    """One row per setting: test accuracy mean +- std, its change, p, Holm, seconds."""
    head = ["setting", "what changed", "params", "test accuracy (%)", "change (points)", "p",
            "Holm", "seconds"]  # fmt: skip
    rows = []
    for record in records:
        acc = per_seed(record, PRIMARY)
        c = comparisons.get(record["name"])
        rows.append(
            [
                record["name"],
                record["description"],
                record["n_params"],
                f"{100 * acc.mean():.2f} +- {100 * acc.std(ddof=1):.2f}",
                _points(c[PRIMARY]["diff"]) if c else "",
                f"{c[PRIMARY]['p']:.3g}" if c else "",
                ("yes" if c["holm_significant"] else "no") if c else "",
                f"{record['seconds']:.1f}",
            ]
        )
    header = "".join(f"<th>{_cell(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def method_note(config, n_seeds: int) -> str:
    return (
        f"Each setting is the baseline with one change, trained over {n_seeds} seeds at once "
        "(vmapped). Seed i of every setting starts from the same weights (all but depth, "
        "whose network differs), sees the same minibatches and draws the same dropout and "
        f"augmentation keys, so the settings pair by seed: the test is a {TEST_NAME}, "
        f"two-sided, at alpha = {config.alpha:g}, with a t-interval for the mean difference. "
        "Holm's correction over the ablations' test-accuracy p-values controls the chance of "
        "any false positive among them. Train accuracy is measured in evaluation mode on the "
        "unaugmented training set."
    )


def write_ablation_report(
    out_dir: Path, config, records: list[dict], data_note: str, *, wall_seconds: float
) -> dict:
    """results.json, the figures and report.html; returns the headline numbers."""
    out_dir = Path(out_dir)
    comparisons = compare_settings(records, config.alpha)
    analysis = analysis_text(records, comparisons, config.alpha)
    write_json(
        out_dir / "results.json",
        {
            "alpha": config.alpha,
            "test": TEST_NAME,
            "settings": records,
            "comparisons": comparisons,
            "analysis": analysis,
            "wall_seconds": wall_seconds,
        },
    )
    figures = {
        "test_accuracy.png": plot_curves(records, "test_accuracy", "test accuracy"),
        "test_loss.png": plot_curves(records, "test_loss", "test loss"),
        "differences.png": plot_differences(comparisons, config.alpha),
    }
    figures = {name: save_figure(fig, out_dir / name) for name, fig in figures.items()}
    sections = "".join(
        f"<h3>{_cell(r['name'])}: {_cell(r['description'])}</h3>"
        f"<p>{_cell(analysis['ablations'][r['name']])}</p>"
        f"{comparison_table(comparisons[r['name']], config.alpha)}"
        for r in records[1:]
    )
    notes = (
        f"<p>{_cell(data_note)}</p><p>{_cell(method_note(config, config.n_seeds))}</p>"
        f"<h2>Analysis</h2><p>{_cell(analysis['summary'])}</p>"
        f"{overview_table(records, comparisons)}<h2>Ablations</h2>{sections}"
    )
    baseline = per_seed(records[0], PRIMARY)
    summary = {
        "data": config.data,
        "seeds per setting": config.n_seeds,
        "steps per setting": config.steps,
        "baseline test accuracy (mean)": float(baseline.mean()),
        "significance test": TEST_NAME,
        "wall seconds": wall_seconds,
    }
    write_report(
        out_dir,
        title=f"vision-ablation: one-factor ablations of a CNN on {config.data}",
        summary=summary,
        config=config_to_dict(config),
        figures=figures,
        notes=notes,
    )
    return {
        "baseline_test_accuracy": float(baseline.mean()),
        **{f"{name}_accuracy_change": c[PRIMARY]["diff"] for name, c in comparisons.items()},
        "wall_seconds": wall_seconds,
    }
