"""The optimizer study's analysis: numbers computed from the sweeps, and sentences built from them.

Every number in the text is read from the sweep records; no result is typed in. Definitions:

final loss   the mean train loss at the last evaluation; a loss below FLOOR_FRACTION x the
             initial loss counts as that floor (float32 rounding: a relative error ~1e-6 in
             the parameters is ~1e-12 in a quadratic loss, so the quadratic's runs that reach
             1e-16..1e-13 differ by noise, not optimization).
best lr      lowest mean final loss over seeds among rates where no seed diverged.
good lr      no seed diverged and the run kept at least GOOD_FRACTION of the best rate's
             decrease in log loss:  log(L_0 / L) >= GOOD_FRACTION log(L_0 / L_best); with
             GOOD_FRACTION = 1/2, L <= sqrt(L_0 L_best): at least half way to the best in log
             loss (the grid steps by half a decade; losses change by factors at each step).
             The width of the good range is log10(largest good lr / smallest), in decades.
winner       the optimizer (at its best schedule and rate) with the lowest final loss;
             runner-up: the best other optimizer.
significance a paired t-test over seeds on log10 final loss (on test accuracy for the
             generalization claims): seed s has the same initial parameters and minibatches
             under every optimizer, so the seeds are matched pairs.
             t = mean(d) / (std(d) / sqrt(n)),  d = a - b per seed,  n - 1 degrees of freedom.
budget k     tuning by k random (schedule, lr) draws from an optimizer's grid, without
             replacement: E[best of k] = sum_i v_(i) C(n - i, k - 1) / C(n, k) over the n
             configurations' losses sorted ascending, a diverged configuration counting as
             its initial loss (Choi et al. 2019 compare optimizers this way).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

FLOOR_FRACTION = 1e-12  # losses below 1e-12 x the initial loss are float32 rounding
GOOD_FRACTION = 0.5  # a good rate keeps half of the best rate's decrease in log loss
SIGNIFICANCE = 0.05
ADAPTIVE = ("rmsprop", "adam", "adamw")
NON_ADAPTIVE = ("sgd", "momentum", "nesterov")


def best_lr_index(record: dict) -> int | None:
    """The rate with the lowest mean final train loss among rates where no seed diverged."""
    final = record["curves"]["train_loss"][..., -1]  # (n_lrs, n_seeds)
    stable = ~record["diverged"].any(axis=1)  # (n_lrs,)
    if not stable.any():
        return None
    return int(np.argmin(np.where(stable, final.mean(axis=1), np.inf)))


def initial_loss(record: dict) -> float:
    """Mean train loss before training (the same initial parameters at every rate)."""
    return float(np.nanmean(record["curves"]["train_loss"][..., 0]))


def final_losses(record: dict) -> np.ndarray:
    """Final train losses clipped at the float floor, NaN where diverged: (n_lrs, n_seeds)."""
    floor = FLOOR_FRACTION * initial_loss(record)
    final = np.maximum(record["curves"]["train_loss"][..., -1], floor)
    return np.where(record["diverged"], np.nan, final)


def good_lrs(record: dict) -> np.ndarray:
    """(n_lrs,) bool: no seed diverged and log(L_0/L) >= GOOD_FRACTION log(L_0/L_best)."""
    best = best_lr_index(record)
    if best is None:
        return np.zeros(len(record["lrs"]), bool)
    mean = final_losses(record).mean(axis=1)  # (n_lrs,), NaN where a seed diverged
    start = initial_loss(record)
    stable = ~record["diverged"].any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.log(start / mean) >= GOOD_FRACTION * np.log(start / mean[best])
    return stable & kept


def range_decades(lrs, mask: np.ndarray) -> float | None:
    """log10(max / min) of the rates in `mask`; None when none is."""
    chosen = np.asarray(lrs, np.float64)[mask]
    return float(np.log10(chosen.max() / chosen.min())) if chosen.size else None


def paired_t_test(a, b) -> dict[str, float] | None:
    """Two-sided paired t-test of mean(a - b) = 0 over n matched seeds; None if n < 2.

    t = mean(d) / (std(d, ddof=1) / sqrt(n)), d = a - b, p from Student's t with n - 1
    degrees of freedom. Equal pairs give t = 0, p = 1; a constant nonzero d gives p = 0.
    """
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)  # (n,)
    n = d.size
    if n < 2 or not np.all(np.isfinite(d)):
        return None
    mean, spread = float(d.mean()), float(d.std(ddof=1))
    if spread == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    else:
        t = mean / (spread / math.sqrt(n))
    p = float(2.0 * stats.t.sf(abs(t), n - 1))
    return {"t": t, "p": p, "df": float(n - 1), "mean_difference": mean}


def expected_best_of_k(values, k: int) -> float:
    """E[min of k draws without replacement] from `values` (n,): the sorted values weighted
    by P(the i-th smallest is the least drawn) = C(n - i, k - 1) / C(n, k), i = 1..n."""
    ordered = np.sort(np.asarray(values, np.float64))
    n = ordered.size
    weights = [math.comb(n - i, k - 1) / math.comb(n, k) for i in range(1, n + 1)]
    return float(np.dot(weights, ordered))


def sweep_entry(record: dict) -> dict[str, Any] | None:
    """What the text says about one (task, optimizer, schedule) sweep; None if all diverged."""
    best = best_lr_index(record)
    if best is None:
        return None
    final = final_losses(record)
    good = good_lrs(record)
    lrs = np.asarray(record["lrs"], np.float64)
    stable = ~record["diverged"].any(axis=1)
    entry = {
        "optimizer": record["optimizer"],
        "schedule": record.get("schedule", "constant"),
        "best_lr": float(lrs[best]),
        "seed_losses": final[best].tolist(),
        "mean_loss": float(final[best].mean()),
        "initial_loss": initial_loss(record),
        "good_lrs": lrs[good].tolist(),
        "good_decades": range_decades(lrs, good),
        "stable_decades": range_decades(lrs, stable),
    }
    if "test_accuracy" in record["curves"]:
        accuracy = record["curves"]["test_accuracy"][best, :, -1]  # (n_seeds,)
        entry["seed_accuracy"] = accuracy.tolist()
        entry["mean_accuracy"] = float(accuracy.mean())
    return entry


def best_per_optimizer(entries: list[dict]) -> dict[str, dict]:
    """Each optimizer's entry at its best schedule (lowest mean final loss)."""
    best: dict[str, dict] = {}
    for entry in entries:
        current = best.get(entry["optimizer"])
        if current is None or entry["mean_loss"] < current["mean_loss"]:
            best[entry["optimizer"]] = entry
    return dict(sorted(best.items(), key=lambda item: item[1]["mean_loss"]))


def at_floor(entry: dict) -> bool:
    """Whether an entry's final loss is the float floor on every seed."""
    floor = FLOOR_FRACTION * entry["initial_loss"]
    return bool(np.all(np.asarray(entry["seed_losses"]) <= floor * (1 + 1e-6)))


def log_loss_test(first: dict, second: dict) -> dict[str, float] | None:
    """Paired t-test over seeds of log10 final loss, first minus second."""
    return paired_t_test(np.log10(first["seed_losses"]), np.log10(second["seed_losses"]))


def divergence_counts(records: list[dict]) -> dict[str, dict[str, Any]]:
    """Per optimizer (all its schedules): diverged runs, runs, smallest rate that diverged."""
    counts: dict[str, dict[str, Any]] = {}
    for record in records:
        row = counts.setdefault(record["optimizer"], {"diverged": 0, "runs": 0, "from_lr": None})
        row["diverged"] += int(record["diverged"].sum())
        row["runs"] += int(record["diverged"].size)
        hit = np.asarray(record["lrs"])[record["diverged"].any(axis=1)]
        if hit.size:
            low = float(hit.min())
            row["from_lr"] = low if row["from_lr"] is None else min(row["from_lr"], low)
    return counts


def tuning_budget(records: list[dict]) -> dict[str, Any]:
    """Expected best final loss vs k random (schedule, lr) draws, per optimizer, and the
    winners at each k (a list: optimizers tied at the float floor all win)."""
    pools: dict[str, list[float]] = {}
    for record in records:
        mean = final_losses(record).mean(axis=1)  # (n_lrs,), NaN where a seed diverged
        failed = record["diverged"].any(axis=1)
        mean = np.where(failed, initial_loss(record), mean)
        pools.setdefault(record["optimizer"], []).extend(mean.tolist())
    n = min(len(pool) for pool in pools.values())
    ks = sorted({1, 2, 4, 8, 16, 32, n} & set(range(1, n + 1)))
    curves = {name: [expected_best_of_k(pool, k) for k in ks] for name, pool in pools.items()}
    winners = []  # per k, the optimizers with the lowest expected best loss (ties: all)
    for i in range(len(ks)):
        low = min(curve[i] for curve in curves.values())
        winners.append(
            [name for name, c in curves.items() if np.isclose(c[i], low, rtol=1e-9, atol=0.0)]
        )
    return {"k": ks, "expected_best_loss": curves, "winner": winners}


def analyze_task(task: str, records: list[dict]) -> dict[str, Any]:
    """The numbers behind one task's paragraph."""
    entries = [e for e in (sweep_entry(r) for r in records) if e is not None]
    ranked = best_per_optimizer(entries)
    result: dict[str, Any] = {
        "task": task,
        "entries": entries,
        "ranking": list(ranked),
        "best": ranked,
        "divergence": divergence_counts(records),
        "budget": tuning_budget(records),
    }
    if ranked:
        names = list(ranked)
        result["winner"] = ranked[names[0]]
        if len(names) > 1:
            result["runner_up"] = ranked[names[1]]
            result["winner_test"] = log_loss_test(ranked[names[0]], ranked[names[1]])
    if entries and "mean_accuracy" in entries[0]:
        top = max(entries, key=lambda e: e["mean_accuracy"])
        result["best_accuracy"] = top
    return result


def schedule_comparison(tasks: dict[str, dict]) -> list[dict[str, Any]]:
    """Per (task, optimizer) with both schedules: best final loss of each, paired test."""
    rows = []
    for task, result in tasks.items():
        by_key = {(e["optimizer"], e["schedule"]): e for e in result["entries"]}
        for optimizer in result["ranking"]:
            constant = by_key.get((optimizer, "constant"))
            scheduled = by_key.get((optimizer, "warmup-cosine"))
            if constant is None or scheduled is None:
                continue
            rows.append(
                {
                    "task": task,
                    "optimizer": optimizer,
                    "constant": constant["mean_loss"],
                    "warmup_cosine": scheduled["mean_loss"],
                    "test": log_loss_test(scheduled, constant),
                }
            )
    return rows
