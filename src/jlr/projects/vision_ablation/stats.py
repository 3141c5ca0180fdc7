"""Comparing an ablation with the baseline over seeds: a paired t-test and Holm's correction.

Seed i of every setting shares the seed's initial weights (where the architecture is the
same), its minibatch order and its dropout and augmentation keys (common random numbers), so
the runs pair by seed and the test is on the per-seed differences d_i = a_i - b_i:

    d_bar = mean(d),  s_d = std(d, ddof=1),  t = d_bar / (s_d / sqrt(n)),  df = n - 1
    CI_(1 - alpha) = d_bar -+ t_(1 - alpha/2, df) s_d / sqrt(n),   p = 2 P(T_df > |t|)

(`scipy.stats.ttest_rel` computes t and p; the tests check the interval against its
`confidence_interval`). Pairing removes the seed-to-seed variation the two runs share; it
assumes the differences, not the raw scores, are roughly normal.

Testing k ablations at level alpha each would find a false effect with probability up to
1 - (1 - alpha)^k; Holm's step-down procedure keeps that family-wise rate at alpha: sort the
p-values, reject p_(j) (j = 1..k) while p_(j) <= alpha / (k - j + 1), stop at the first that
is not.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

SAME_DIFFERENCE = 1e-12  # per-seed differences closer than this (relative) are equal


def paired_comparison(ablation, baseline, alpha: float = 0.05) -> dict[str, float | int | bool]:
    """The paired t-test of ablation against baseline: both (n_seeds,), paired by seed.

    Returns {"n", "baseline_mean", "baseline_std", "ablation_mean", "ablation_std" (std over
    seeds, ddof=1), "diff" (d_bar), "ci_low", "ci_high" (the 1 - alpha interval of the mean
    difference), "t", "df", "p", "significant" (p < alpha)}. When every difference is the
    same (s_d = 0, up to SAME_DIFFERENCE times the values' scale), t is +-inf with p = 0 (the
    test's limit; with few seeds and a small test set, equal accuracy changes do happen), or
    0 with p = 1 if they are all zero.
    """
    a, b = np.asarray(ablation, np.float64), np.asarray(baseline, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"need two (n_seeds,) arrays with n_seeds >= 2, got {a.shape}, {b.shape}")
    n, d = len(a), a - b
    d_bar, s_d = float(d.mean()), float(d.std(ddof=1))
    rounding = SAME_DIFFERENCE * max(1.0, float(np.abs(a).max()), float(np.abs(b).max()))
    if s_d <= rounding:  # no spread: scipy would divide (almost) 0 by 0; the limit is exact
        no_change = abs(d_bar) <= rounding
        t, p = (0.0, 1.0) if no_change else (float(np.copysign(np.inf, d_bar)), 0.0)
        half_width = 0.0
    else:
        result = stats.ttest_rel(a, b)
        t, p = float(result.statistic), float(result.pvalue)
        half_width = float(stats.t.ppf(1 - alpha / 2, n - 1)) * s_d / np.sqrt(n)
    return {
        "n": n,
        "baseline_mean": float(b.mean()),
        "baseline_std": float(b.std(ddof=1)),
        "ablation_mean": float(a.mean()),
        "ablation_std": float(a.std(ddof=1)),
        "diff": d_bar,
        "ci_low": d_bar - half_width,
        "ci_high": d_bar + half_width,
        "t": float(t),
        "df": n - 1,
        "p": float(p),
        "significant": bool(p < alpha),
    }


def holm_reject(p_values, alpha: float = 0.05) -> list[bool]:
    """Holm's step-down procedure: which of the k hypotheses to reject, in the given order,
    with the family-wise error rate at most alpha."""
    p = np.asarray(p_values, np.float64)
    reject = np.zeros(len(p), bool)
    for rank, index in enumerate(np.argsort(p, kind="stable")):
        if p[index] > alpha / (len(p) - rank):
            break
        reject[index] = True
    return reject.tolist()
