"""The optimizer study's analysis in words, every sentence built from measured numbers.

`write_analysis(sweeps)` runs `analysis` and `claims` over the sweep records and returns
{"paragraphs": [(heading, text)], "claims": [...], "numbers": {...}}: the text and the
numbers it was built from (results.json stores both). `analysis_html` renders it.
"""

from __future__ import annotations

import html
import math
from typing import Any

from scipy import stats

from jlr.projects.optimizer_study.analysis import (
    FLOOR_FRACTION,
    GOOD_FRACTION,
    SIGNIFICANCE,
    analyze_task,
    at_floor,
    schedule_comparison,
)
from jlr.projects.optimizer_study.claims import check_claims


def _names(items: list[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _config(entry: dict) -> str:
    return f"{entry['optimizer']} ({entry['schedule']}, lr = {entry['best_lr']:g})"


def significance_sentence(test: dict | None, n_seeds: int) -> str:
    """What the paired t-test of winner vs runner-up says, and what it can say with n seeds."""
    if test is None:
        return "With a single seed there is no test across seeds."
    if test["mean_difference"] == 0.0 and test["t"] == 0.0:
        return "The two final losses are equal on every seed, so there is nothing to test."
    df = int(test["df"])
    critical = float(stats.t.isf(SIGNIFICANCE / 2, df))
    head = (
        f"A paired t-test over the {n_seeds} seeds on log10 final loss gives "
        f"t = {test['t']:.2f}, p = {test['p']:.2g}"
    )
    if test["p"] < SIGNIFICANCE:
        verdict = f" < {SIGNIFICANCE:g}: the gap is larger than the seed-to-seed variation."
    else:
        verdict = (
            f" >= {SIGNIFICANCE:g}: these {n_seeds} seeds do not separate the two, which is "
            "not evidence that they are equal."
        )
    caveat = (
        f" With {n_seeds} seeds the test has {df} degrees of freedom: only a gap larger than "
        f"{critical:.1f} standard errors of the per-seed difference reaches p < {SIGNIFICANCE:g}."
    )
    return head + verdict + (caveat if n_seeds <= 5 else "")


def winner_sentences(result: dict) -> list[str]:
    task, best = result["task"], result["best"]
    if "winner" not in result:
        return [f"On {task} every run of every optimizer diverged."]
    winner = result["winner"]
    n_seeds = len(winner["seed_losses"])
    if "runner_up" not in result:
        return [f"On {task} only {_config(winner)} trained without diverging."]
    runner = result["runner_up"]
    tied = [name for name, entry in best.items() if at_floor(entry)]
    if len(tied) > 1:
        floor = FLOOR_FRACTION * winner["initial_loss"]
        first = (
            f"On {task}, {_names(tied)} reach the float32 floor (a final loss of "
            f"{floor:.2g}, {FLOOR_FRACTION:g} x the initial loss) on every seed: they tie "
            "for first, and there is no difference to test."
        )
        return [first]
    else:
        first = (
            f"On {task}, {winner['optimizer']} wins: {_config(winner)} reaches a mean final "
            f"train loss of {winner['mean_loss']:.3g} over {n_seeds} seeds, against "
            f"{_config(runner)} at {runner['mean_loss']:.3g}."
        )
    return [first, significance_sentence(result.get("winner_test"), n_seeds)]


def range_sentences(result: dict) -> list[str]:
    if "winner" not in result:
        return []
    winner, best = result["winner"], result["best"]
    good = winner["good_lrs"]
    if len(good) == 1:
        span = f"only lr = {good[0]:g} of the grid, 0 decades"
    else:
        span = f"{min(good):g} to {max(good):g}, {winner['good_decades']:.1f} decades"
    sentences = [
        f"The good learning rates of {winner['optimizer']} ({winner['schedule']}): {span}."
    ]
    if len(best) > 1:
        widths = {name: entry["good_decades"] for name, entry in best.items()}
        wide = max(widths, key=widths.get)
        narrow = min(widths, key=widths.get)
        sentences.append(
            f"Across optimizers (each at its best schedule) the widest good range is "
            f"{wide}'s ({widths[wide]:.1f} decades), the narrowest {narrow}'s "
            f"({widths[narrow]:.1f})."
        )
    return sentences


def divergence_sentence(result: dict) -> str:
    counts = result["divergence"]
    hit = {name: row for name, row in counts.items() if row["diverged"]}
    if not hit:
        return f"No run diverged on {result['task']}."
    parts = [
        f"{name} {row['diverged']} of {row['runs']} (from lr = {row['from_lr']:g})"
        for name, row in hit.items()
    ]
    clean = [name for name in counts if name not in hit]
    tail = f"; no run of {_names(clean, 'or')} diverged" if clean else ""
    return f"Diverged runs on {result['task']}: {'; '.join(parts)}{tail}."


def budget_sentence(result: dict) -> str:
    budget = result["budget"]
    if len(budget["expected_best_loss"]) < 2:
        return ""
    winners = budget["winner"]  # per k, a list (ties)
    steps = ", ".join(
        f"k = {k}: {' = '.join(names)}" for k, names in zip(budget["k"], winners, strict=True)
    )
    shared = set.intersection(*(set(names) for names in winners))
    changes = (
        f"{_names(sorted(shared))} wins at every budget"
        if shared
        else "the winner changes with the budget"
    )
    return (
        f"With equal tuning budgets of k random (schedule, lr) draws, the lowest expected best "
        f"final loss belongs to {steps}: {changes}."
    )


def accuracy_sentence(result: dict) -> str:
    top = result.get("best_accuracy")
    if top is None:
        return ""
    winner = result["winner"]
    return (
        f"The best mean test accuracy at a rate tuned on train loss is "
        f"{top['mean_accuracy']:.1%}, by {_config(top)}; the train-loss winner reaches "
        f"{winner['mean_accuracy']:.1%}."
    )


def task_paragraph(result: dict) -> str:
    sentences = [
        *winner_sentences(result),
        *range_sentences(result),
        divergence_sentence(result),
        budget_sentence(result),
        accuracy_sentence(result),
    ]
    return " ".join(sentence for sentence in sentences if sentence)


def schedule_paragraph(rows: list[dict]) -> str:
    if not rows:
        return ""
    parts = []
    for task in dict.fromkeys(row["task"] for row in rows):
        better = [
            r["optimizer"] for r in rows if r["task"] == task and r["warmup_cosine"] < r["constant"]
        ]
        worse = [
            r["optimizer"]
            for r in rows
            if r["task"] == task and r["warmup_cosine"] >= r["constant"]
        ]
        words = []
        if better:
            words.append(f"lower for {_names(better)}")
        if worse:
            words.append(f"not lower for {_names(worse)}")
        parts.append(f"on {task}, {' and '.join(words)}")
    return (
        "Warmup + cosine decay against a constant rate (tuned final train loss, each "
        f"optimizer's best rate under each): {'; '.join(parts)}."
    )


VERDICT_WORDS = {
    "agrees": "This study agrees",
    "disagrees": "This study disagrees",
    "mixed": "This study's tasks disagree with each other",
    "not evaluated": "This study cannot check it",
}


def claim_paragraph(claim: dict) -> str:
    source = claim["source"][0].upper() + claim["source"][1:]
    return (
        f"{source}: \u201c{claim['claim']}\u201d {VERDICT_WORDS[claim['verdict']]}: "
        f"{claim['evidence']}"
    )


def method_paragraph() -> str:
    return (
        "Definitions. Final loss: the mean train loss at the last evaluation, counted as "
        f"{FLOOR_FRACTION:g} x the initial loss when below it (float32 rounding). A good "
        "learning rate: no seed diverged and the run kept at least "
        f"{GOOD_FRACTION:.0%} of the best rate's decrease in log loss; the width of the good "
        "range is log10(largest good rate / smallest), in decades. Significance: a paired "
        "t-test over seeds (seed s has the same initial parameters and minibatches under "
        "every optimizer and schedule). Tuning budget: the exact expectation of the best of k "
        "random (schedule, lr) configurations of an optimizer drawn without replacement, a "
        "diverged configuration counting as its initial loss."
    )


def _json_safe(value: Any) -> Any:
    """Non-finite floats become None (JSON has no NaN/Inf); dict keys become strings."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_analysis(sweeps: dict) -> dict[str, Any]:
    """The analysis of a study's sweep records: paragraphs, claims and their numbers."""
    tasks = {}
    for task in dict.fromkeys(record["task"] for record in sweeps.values()):
        records = [record for record in sweeps.values() if record["task"] == task]
        tasks[task] = analyze_task(task, records)
    schedule_rows = schedule_comparison(tasks)
    claims = check_claims(tasks, schedule_rows)
    paragraphs = [(f"Task: {task}", task_paragraph(result)) for task, result in tasks.items()]
    if schedule_rows:
        paragraphs.append(("Schedules", schedule_paragraph(schedule_rows)))
    paragraphs += [("Published observations", claim_paragraph(c)) for c in claims]
    paragraphs.append(("Method", method_paragraph()))
    numbers = {
        "tasks": {
            task: {key: value for key, value in result.items() if key != "best"}
            for task, result in tasks.items()
        },
        "schedules": schedule_rows,
    }
    return _json_safe({"paragraphs": paragraphs, "claims": claims, "numbers": numbers})


def analysis_html(analysis: dict) -> str:
    """The analysis as HTML: a heading per topic, a paragraph each."""
    parts, last = [], None
    for heading, text in analysis["paragraphs"]:
        if heading != last:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
            last = heading
        parts.append(f"<p>{html.escape(text)}</p>")
    return "<h2>Analysis (generated from the numbers below)</h2>" + "".join(parts)
