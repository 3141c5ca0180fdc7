"""The alignment project's outputs: results.json, three figures and report.html.

tuning.png   true score, learned reward, KL to the reference and distinct-2 against the tuning
             step, for DPO and for REINFORCE with and without the KL penalty
limits.png   distinct-4 and repetition rate of samples from models of equal perplexity and
             from one model under four decodings, with their likelihoods
losses.png   the reference's pretraining loss and the reward model's Bradley–Terry loss
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from jlr.config import config_to_dict
from jlr.projects.alignment.likelihood import DIVERSITY_N
from jlr.projects.alignment.study import COMPLETION_N
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import write_json

CURVE_KEYS = ("true_score", "reward", "kl", f"distinct_{COMPLETION_N}", "repetition_rate")
RUNS = {"dpo": "DPO", "with_kl": "REINFORCE + KL", "without_kl": "REINFORCE, no KL"}


def endpoint(point: dict) -> dict:
    """The numbers of one evaluation, without its sample text."""
    return {key: point[key] for key in ("step", *CURVE_KEYS) if key in point}


def summarize(config, results: dict) -> dict:
    """results.json: every number the report shows (JSON-ready)."""
    dpo, rl = results["dpo"], results["reinforce"]
    return {
        "ref_val_loss": results["ref_val_loss"],
        "ref_perplexity": math.exp(results["ref_val_loss"]),
        "n_pairs": results["n_pairs"],
        "pairs_from": results["pairs_from"],
        "reward_model_loss": results["reward_losses"][-1],
        "reward_accuracy": results["reward_accuracy"],
        "target": config.target,
        "dpo_beta": config.dpo_beta,
        "dpo_before": endpoint(dpo[0]),
        "dpo_after": endpoint(dpo[-1]),
        "reinforce_with_kl_after": endpoint(rl["with_kl"][-1]),
        "reinforce_without_kl_after": endpoint(rl["without_kl"][-1]),
        "rl_kl_coef": config.rl_kl_coef,
        "curves": {
            "dpo": [endpoint(p) for p in dpo],
            **{name: [endpoint(p) for p in curve] for name, curve in rl.items()},
        },
        "equal_perplexity_models": results["limits"]["models"],
        "decodings": results["limits"]["decodings"],
        "samples": {
            "reference": dpo[0]["sample"],
            "dpo": dpo[-1]["sample"],
            "reinforce_with_kl": rl["with_kl"][-1]["sample"],
            "reinforce_without_kl": rl["without_kl"][-1]["sample"],
            **results["limits"]["samples"],
        },
        "seconds": results["seconds"],
        "stage_seconds": results["stage_seconds"],
    }


def tuning_figure(summary: dict):
    curves = summary["curves"]
    titles = {
        "true_score": f"true score (fraction of '{summary['target']}')",
        "reward": "learned reward",
        "kl": "KL(policy || reference), nats",
        f"distinct_{COMPLETION_N}": f"distinct-{COMPLETION_N} of completions",
    }
    figure, axes = plt.subplots(1, len(titles), figsize=(4 * len(titles), 3.4))
    for axis, (key, title) in zip(axes, titles.items(), strict=True):
        for name, label in RUNS.items():
            points = curves[name]
            axis.plot([p["step"] for p in points], [p[key] for p in points], "o-", label=label)
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("tuning step")
        if key in ("reward", "kl"):  # the run without KL is 10-100x the others
            axis.set_yscale("symlog", linthresh=1.0)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    return figure


def limits_figure(summary: dict):
    rows = [
        (f"M_tau tau={m['tau']:.2f}\nloss {m['val_loss']:.3f}", m)
        for m in summary["equal_perplexity_models"]
    ] + [(f"{d['decoding']}\n{d['nats_per_char']:.2f} nats/char", d) for d in summary["decodings"]]
    figure, axis = plt.subplots(figsize=(11, 3.8))
    x = np.arange(len(rows))
    for offset, key, label in (
        (-0.2, "distinct_n", f"distinct-{DIVERSITY_N}"),
        (0.2, "repetition_rate", f"repetition rate ({DIVERSITY_N}-grams)"),
    ):
        axis.bar(x + offset, [row[key] for _, row in rows], width=0.4, label=label)
    axis.axvline(len(summary["equal_perplexity_models"]) - 0.5, color="gray", lw=1)
    axis.set_xticks(x, [name for name, _ in rows], fontsize=7)
    axis.set_title(
        "left: the reference (tau = 1) and two models of equal validation loss; "
        "right: the reference, four decodings",
        fontsize=10,
    )
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def losses_figure(results: dict):
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(results["pretrain_losses"])
    left.set(title="reference pretraining", xlabel="step", ylabel="cross-entropy (nats/char)")
    right.plot(results["reward_losses"])
    right.set(title="reward model", xlabel="full-batch step", ylabel="Bradley–Terry loss")
    figure.tight_layout()
    return figure


def _rows_table(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        return f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[c])}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_outputs(out_dir: Path, config, results: dict) -> dict:
    """results.json, the figures and report.html; returns the summary."""
    out_dir = Path(out_dir)
    summary = summarize(config, results)
    write_json(out_dir / "results.json", summary)
    figures = {
        "tuning.png": save_figure(tuning_figure(summary), out_dir / "tuning.png"),
        "limits.png": save_figure(limits_figure(summary), out_dir / "limits.png"),
        "losses.png": save_figure(losses_figure(results), out_dir / "losses.png"),
    }
    endpoints = [
        {"policy": "reference", **summary["dpo_before"]},
        {"policy": f"DPO (beta {config.dpo_beta:g})", **summary["dpo_after"]},
        {"policy": f"REINFORCE, KL {config.rl_kl_coef:g}", **summary["reinforce_with_kl_after"]},
        {"policy": "REINFORCE, no KL", **summary["reinforce_without_kl_after"]},
    ]
    samples = "".join(
        f"<h3>{html.escape(name)}</h3><pre>{html.escape(text)}</pre>"
        for name, text in summary["samples"].items()
    )
    notes = (
        f"<p>A reference character GPT (validation loss {summary['ref_val_loss']:.3f} "
        f"nats/char) is tuned toward completions with more of the characters "
        f"<code>{html.escape(config.target)}</code>. {summary['n_pairs']} preference pairs "
        f"({html.escape(summary['pairs_from'])}); the reward model agrees with the true score's "
        f"ordering on {summary['reward_accuracy']:.1%} of held-out pairs. Every policy is "
        "sampled at temperature 1 on the same held-out prompts; KL is the per-token estimate "
        "of KL(policy || reference) in nats per completion.</p>"
        + _rows_table(endpoints, ["policy", "step", *CURVE_KEYS])
        + "<p>DPO and REINFORCE with the KL penalty raise the true score and the reward with "
        "a bounded KL. Without the penalty REINFORCE maximises the learned reward at any "
        "cost: the KL grows, and the completions collapse to repeated characters "
        f"(distinct-{COMPLETION_N} falls), see the samples below.</p>"
        "<h2>The limits of likelihood</h2><p>Left: the reference M and two models M_tau whose "
        "final layer norm is scaled by 1/tau (logits / tau), tau chosen so that both have the "
        "same validation loss; right: the reference sampled four ways (one model, one "
        "perplexity). Diversity and repetition differ widely at equal likelihood; greedy "
        "text, the most repetitive, has the highest likelihood under the model.</p>"
        + _rows_table(
            summary["equal_perplexity_models"],
            ["tau", "val_loss", "distinct_n", "repetition_rate", "nats_per_char"],
        )
        + _rows_table(
            summary["decodings"],
            ["decoding", "val_loss", "distinct_n", "repetition_rate", "nats_per_char"],
        )
        + f"<h2>Samples</h2>{samples}"
    )
    write_report(
        out_dir,
        title="alignment: a reward model, DPO and REINFORCE on a small GPT",
        summary={
            "reference val loss (nats/char)": summary["ref_val_loss"],
            "reward model held-out agreement": summary["reward_accuracy"],
            "true score before / after DPO": f"{summary['dpo_before']['true_score']:.4f} / "
            f"{summary['dpo_after']['true_score']:.4f}",
            "reward before / after DPO": f"{summary['dpo_before']['reward']:.4f} / "
            f"{summary['dpo_after']['reward']:.4f}",
            "KL after DPO (nats)": summary["dpo_after"]["kl"],
            "seconds": summary["seconds"],
        },
        config=config_to_dict(config),
        figures=figures,
        notes=notes,
    )
    return summary
