"""Published observations about optimizers, each checked on this study's numbers.

Each check reads the per-task analysis (`analysis.analyze_task`) and returns
{"source", "claim", "verdict", "evidence", "numbers"}: verdict is "agrees", "disagrees",
"mixed" (tasks disagree with each other) or "not evaluated" (the study lacks the task or
the optimizers the claim is about); `evidence` is a sentence built from the numbers.

- Polyak 1964: momentum beats gradient descent on an ill-conditioned quadratic.
- A common practitioners' observation: Adam's range of good learning rates is narrower than
  momentum SGD's on an ill-conditioned problem.
- Wilson et al. 2017: adaptive methods generalize worse than (momentum) SGD.
- Loshchilov & Hutter 2019: decoupled weight decay (AdamW) generalizes better than Adam.
- Choi et al. 2019: optimizer comparisons depend on the tuning budget.
- Loshchilov & Hutter 2017 (cosine), Goyal et al. 2017 (warmup): warmup + cosine decay
  beats a constant learning rate.
"""

from __future__ import annotations

from typing import Any

from jlr.projects.optimizer_study.analysis import (
    ADAPTIVE,
    NON_ADAPTIVE,
    SIGNIFICANCE,
    at_floor,
    paired_t_test,
)


def _claim(source: str, claim: str, verdict: str, evidence: str, numbers=None) -> dict:
    return {
        "source": source,
        "claim": claim,
        "verdict": verdict,
        "evidence": evidence,
        "numbers": numbers or {},
    }


def _overall(verdicts: list[str]) -> str:
    if not verdicts:
        return "not evaluated"
    return verdicts[0] if len(set(verdicts)) == 1 else "mixed"


def _p_note(test: dict | None) -> str:
    if test is None:
        return "one seed: no test"
    words = "significant" if test["p"] < SIGNIFICANCE else "not significant"
    return f"paired t-test over seeds p = {test['p']:.2g}, {words}"


def momentum_beats_gd(tasks: dict) -> dict:
    source = "Polyak 1964"
    claim = "On an ill-conditioned quadratic, momentum converges faster than gradient descent."
    best = tasks.get("quadratic", {}).get("best", {})
    momentum = [best[name] for name in ("momentum", "nesterov") if name in best]
    if "sgd" not in best or not momentum:
        return _claim(source, claim, "not evaluated", "needs the quadratic, sgd and momentum.")
    sgd, fast = best["sgd"], min(momentum, key=lambda e: e["mean_loss"])
    numbers = {"sgd": sgd["mean_loss"], fast["optimizer"]: fast["mean_loss"]}
    evidence = (
        f"after the same steps, tuned sgd reached a final loss of {sgd['mean_loss']:.3g} "
        f"and tuned {fast['optimizer']} {fast['mean_loss']:.3g}"
    )
    if at_floor(sgd) and at_floor(fast):
        return _claim(source, claim, "not evaluated", evidence + ", both the float floor.")
    verdict = "agrees" if fast["mean_loss"] < sgd["mean_loss"] else "disagrees"
    floor = " (the float floor)" if at_floor(fast) else ""
    return _claim(source, claim, verdict, evidence + floor + ".", numbers)


def adam_narrow_range(tasks: dict) -> dict:
    source = "a common practitioners' observation"
    claim = (
        "On an ill-conditioned problem, Adam's range of good learning rates is narrower than "
        "momentum SGD's."
    )
    entries = {
        e["optimizer"]: e
        for e in tasks.get("quadratic", {}).get("entries", [])
        if e["schedule"] == "constant"
    }
    if "adam" not in entries or "momentum" not in entries:
        return _claim(source, claim, "not evaluated", "needs the quadratic, adam and momentum.")
    adam, momentum = entries["adam"], entries["momentum"]
    numbers = {
        "adam_good_decades": adam["good_decades"],
        "momentum_good_decades": momentum["good_decades"],
        "adam_stable_decades": adam["stable_decades"],
        "momentum_stable_decades": momentum["stable_decades"],
    }
    evidence = (
        f"with a constant rate on the quadratic, Adam's good rates span "
        f"{adam['good_decades']:.1f} decades and momentum's {momentum['good_decades']:.1f}; "
        f"the rates where no seed diverged span {adam['stable_decades']:.1f} and "
        f"{momentum['stable_decades']:.1f} decades."
    )
    verdict = "agrees" if adam["good_decades"] < momentum["good_decades"] else "disagrees"
    return _claim(source, claim, verdict, evidence, numbers)


def _accuracy_contest(tasks: dict, first: tuple[str, ...], second: tuple[str, ...]):
    """Per classification task: the best test accuracy of each family, paired test."""
    rows = []
    for task, result in tasks.items():
        entries = [e for e in result["entries"] if "mean_accuracy" in e]
        a = [e for e in entries if e["optimizer"] in first]
        b = [e for e in entries if e["optimizer"] in second]
        if not a or not b:
            continue
        top_a = max(a, key=lambda e: e["mean_accuracy"])
        top_b = max(b, key=lambda e: e["mean_accuracy"])
        test = paired_t_test(top_a["seed_accuracy"], top_b["seed_accuracy"])
        rows.append((task, top_a, top_b, test))
    return rows


def _labelled(label: str, entry: dict) -> str:
    """ "adaptive (rmsprop, warmup-cosine)" or "adamw (constant)"."""
    if label == entry["optimizer"]:
        return f"{label} ({entry['schedule']})"
    return f"{label} ({entry['optimizer']}, {entry['schedule']})"


def _contest_claim(source, claim, rows, first_label, second_label, needs) -> dict:
    if not rows:
        return _claim(source, claim, "not evaluated", f"needs a classification task and {needs}.")
    parts, verdicts, numbers = [], [], {}
    for task, top_a, top_b, test in rows:
        verdicts.append(
            "agrees" if top_a["mean_accuracy"] > top_b["mean_accuracy"] else "disagrees"
        )
        numbers[task] = {first_label: top_a["mean_accuracy"], second_label: top_b["mean_accuracy"]}
        name_a, name_b = _labelled(first_label, top_a), _labelled(second_label, top_b)
        parts.append(
            f"on {task}, {name_a} {top_a['mean_accuracy']:.1%} vs {name_b} "
            f"{top_b['mean_accuracy']:.1%} test accuracy ({_p_note(test)})"
        )
    return _claim(source, claim, _overall(verdicts), "; ".join(parts) + ".", numbers)


def adaptive_generalize_worse(tasks: dict) -> dict:
    source = "Wilson et al. 2017, The marginal value of adaptive gradient methods"
    claim = "Adaptive methods (RMSProp, Adam) generalize worse than SGD with or without momentum."
    rows = _accuracy_contest(tasks, NON_ADAPTIVE, ADAPTIVE)
    return _contest_claim(
        source, claim, rows, "non-adaptive", "adaptive", "adaptive and non-adaptive optimizers"
    )


def adamw_generalizes_better(tasks: dict) -> dict:
    source = "Loshchilov & Hutter 2019, Decoupled weight decay regularization"
    claim = "Adam with decoupled weight decay (AdamW) generalizes better than Adam."
    rows = _accuracy_contest(tasks, ("adamw",), ("adam",))
    return _contest_claim(source, claim, rows, "adamw", "adam", "adam and adamw")


def tuning_changes_ranking(tasks: dict) -> dict:
    source = "Choi et al. 2019, On empirical comparisons of optimizers for deep learning"
    claim = "Which optimizer wins depends on how much tuning each one gets."
    parts, changed, numbers = [], [], {}
    for task, result in tasks.items():
        budget = result["budget"]
        if len(budget["expected_best_loss"]) < 2:
            continue
        first, last = budget["winner"][0], budget["winner"][-1]
        changed.append(not set(first) & set(last))
        numbers[task] = dict(zip(budget["k"], budget["winner"], strict=True))
        parts.append(
            f"on {task} the winner with 1 random draw is {' = '.join(first)} and with all "
            f"{budget['k'][-1]} configurations {' = '.join(last)}"
        )
    if not parts:
        return _claim(source, claim, "not evaluated", "needs two optimizers on a task.")
    verdict = "agrees" if any(changed) else "disagrees"
    return _claim(source, claim, verdict, "; ".join(parts) + ".", numbers)


def schedule_beats_constant(rows: list[dict]) -> dict:
    source = "Loshchilov & Hutter 2017 (SGDR, cosine decay); Goyal et al. 2017 (warmup)"
    claim = "Warmup followed by cosine decay reaches a lower loss than a constant rate."
    if not rows:
        return _claim(source, claim, "not evaluated", "needs both schedules.")
    better = [r for r in rows if r["warmup_cosine"] < r["constant"]]
    significant = [r for r in better if r["test"] is not None and r["test"]["p"] < SIGNIFICANCE]
    twice = 2 * len(better)
    verdict = "agrees" if twice > len(rows) else "disagrees" if twice < len(rows) else "mixed"
    evidence = (
        f"warmup + cosine gave the lower tuned final train loss in {len(better)} of "
        f"{len(rows)} (task, optimizer) pairs, {len(significant)} of them significant at "
        f"p < {SIGNIFICANCE:g}."
    )
    numbers = {"pairs": len(rows), "better": len(better), "significant": len(significant)}
    return _claim(source, claim, verdict, evidence, numbers)


def check_claims(tasks: dict, schedule_rows: list[dict]) -> list[dict[str, Any]]:
    return [
        momentum_beats_gd(tasks),
        adam_narrow_range(tasks),
        adaptive_generalize_worse(tasks),
        adamw_generalizes_better(tasks),
        tuning_changes_ranking(tasks),
        schedule_beats_constant(schedule_rows),
    ]
