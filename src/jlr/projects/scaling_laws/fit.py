r"""Fitting a scaling law L(N) = a N^(-alpha) + c, its bootstrap interval, and IsoFLOP minima.

The fit (nonlinear least squares in nats, over the model sizes i = 1..n):

    minimise  S(a, alpha, c) = sum_i (L_i - a N_i^(-alpha) - c)^2,   a >= 0, c >= 0

For a fixed alpha the model is linear in (a, c): with x_i = (N_i / N_0)^(-alpha) the best
(a', c) is the straight-line least-squares fit of L on x, in closed form (a' = a N_0^(-alpha);
N_0, the geometric mean of the N_i, keeps x near 1 whatever alpha is). What is left is a
one-dimensional problem in alpha ("variable projection", Golub & Pereyra 1973): the profile
S(alpha) is scanned on a grid logarithmic in alpha and the best grid cell refined by golden-
section search. No initial guess is needed, and thousands of bootstrap fits run at once as
numpy arrays. Residuals are taken in nats, not log-loss: every model is scored on the same
validation windows, so its loss's noise is additive and about equal across sizes.

The interval (`bootstrap_fit`): the validation windows are resampled with replacement, the
SAME resample for every model (a paired bootstrap), each model's mean loss recomputed and the
law refitted; the 2.5% and 97.5% quantiles of the refitted alphas bound a 95% interval. The
windows are the random sample here (the held-out text); the models share them, so their
losses' errors are correlated (a hard window is hard for every model), and resampling the
windows jointly keeps that correlation. The interval covers the noise of the held-out text
only: another training seed or learning rate would move the points too.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np

ALPHA_RANGE = (1e-3, 4.0)  # the exponents searched
GRID_SIZE = 400
GOLDEN_STEPS = 60  # each shrinks the bracket by 0.618: 60 steps, a factor 3e-13
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


class PowerLawFit(NamedTuple):
    """L(N) = a N^(-alpha) + c; sse = the sum of squared residuals (nats^2). Floats for one
    fit, arrays (n_fits,) for many."""

    a: float | np.ndarray
    alpha: float | np.ndarray
    c: float | np.ndarray
    sse: float | np.ndarray


def power_law(n_params, a, alpha, c):
    """L(N) = a N^(-alpha) + c, elementwise (numpy broadcasting)."""
    return a * np.asarray(n_params, np.float64) ** (-alpha) + c


def _line_given_alpha(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Least squares y ~ a x + c with a, c >= 0, for many rows at once.

    x, y: (..., n) -> a, c, sse: (...). The unconstrained line first; where its c < 0 the
    line through the origin (c = 0); where its a < 0 the constant (a = 0, c = mean y >= 0
    for losses). Each constrained case is the best on its face, and the sse picks among them.
    """
    x_mean, y_mean = x.mean(-1, keepdims=True), y.mean(-1, keepdims=True)
    dx, dy = x - x_mean, y - y_mean
    a = (dx * dy).sum(-1) / np.maximum((dx * dx).sum(-1), 1e-300)
    c = y_mean[..., 0] - a * x_mean[..., 0]
    through_origin = (x * y).sum(-1) / np.maximum((x * x).sum(-1), 1e-300)
    a = np.where(c < 0, through_origin, a)
    c = np.where(c < 0, 0.0, c)
    c = np.where(a < 0, y_mean[..., 0], c)
    a = np.maximum(a, 0.0)
    sse = ((y - a[..., None] * x - c[..., None]) ** 2).sum(-1)
    return a, c, sse


def _profile(alpha: np.ndarray, log_ratio: np.ndarray, y: np.ndarray):
    """The best (a', c, sse) at each alpha.  alpha: (m, g); log_ratio: (n,) = log(N_i / N_0);
    y: (m, n) -> each (m, g)."""
    x = np.exp(-alpha[..., None] * log_ratio)  # (m, g, n): (N_i / N_0)^(-alpha)
    return _line_given_alpha(x, y[:, None, :])


def fit_power_law_many(n_params, losses) -> PowerLawFit:
    """Least-squares fits of L = a N^(-alpha) + c to many loss vectors at once.

    n_params: (n,) sizes N_i (n >= 3, at least 2 distinct); losses: (m, n), one row per fit
    -> PowerLawFit of arrays (m,). alpha is searched in ALPHA_RANGE; a fit at an end of the
    range means the data do not pin alpha down (e.g. points on a straight line in N^-alpha
    for every alpha, or losses that do not fall with N).
    """
    n_params = np.asarray(n_params, np.float64)
    y = np.atleast_2d(np.asarray(losses, np.float64))  # (m, n)
    if n_params.ndim != 1 or y.shape[-1] != len(n_params) or len(n_params) < 3:
        raise ValueError(f"need (n,) sizes and (m, n) losses with n >= 3; got {n_params.shape}")
    if np.any(n_params <= 0) or len(np.unique(n_params)) < 2:
        raise ValueError("sizes must be positive with at least two distinct values")
    log_n0 = np.mean(np.log(n_params))
    log_ratio = np.log(n_params) - log_n0  # (n,)
    grid = np.geomspace(*ALPHA_RANGE, GRID_SIZE)  # (g,)
    _, _, sse = _profile(np.broadcast_to(grid, (len(y), GRID_SIZE)), log_ratio, y)  # (m, g)
    best = np.argmin(sse, axis=-1)  # (m,)
    low = grid[np.maximum(best - 1, 0)]  # the minimum lies between the best cell's neighbours
    high = grid[np.minimum(best + 1, GRID_SIZE - 1)]
    for _ in range(GOLDEN_STEPS):  # golden-section search on [low, high], all rows at once
        left, right = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
        sse_lr = _profile(np.stack([left, right], -1), log_ratio, y)[2]  # (m, 2)
        go_left = sse_lr[:, 0] <= sse_lr[:, 1]
        high = np.where(go_left, right, high)
        low = np.where(go_left, low, left)
    alpha = (low + high) / 2  # (m,)
    a_scaled, c, sse = (v[:, 0] for v in _profile(alpha[:, None], log_ratio, y))
    return PowerLawFit(a_scaled * np.exp(alpha * log_n0), alpha, c, sse)  # a = a' N_0^alpha


def fit_power_law(n_params, losses) -> PowerLawFit:
    """The least-squares L(N) = a N^(-alpha) + c through one curve: n_params, losses (n,)
    -> PowerLawFit of floats. See `fit_power_law_many`."""
    fit = fit_power_law_many(n_params, np.asarray(losses, np.float64)[None])
    return PowerLawFit(*(float(v[0]) for v in fit))


def fit_pure_power_law(n_params, losses) -> tuple[float, float]:
    """L = a N^(-alpha), no floor (Kaplan et al.'s form): the straight line
    log L = log a - alpha log N by least squares; returns (a, alpha)."""
    slope, intercept = np.polyfit(np.log(n_params), np.log(losses), 1)
    return float(np.exp(intercept)), float(-slope)


class BootstrapFit(NamedTuple):
    """The fit to the mean losses, the refits to resampled windows, and percentile intervals
    (low, high) at `level` for a, alpha and c."""

    fit: PowerLawFit
    samples: PowerLawFit  # arrays (n_resamples,)
    interval: dict[str, tuple[float, float]]
    level: float


def bootstrap_fit(
    key: jax.Array, n_params, window_losses, *, n_resamples: int = 1000, level: float = 0.95
) -> BootstrapFit:
    """The fit with a paired-bootstrap percentile interval over validation windows.

    n_params: (n_models,); window_losses: (n_models, n_windows), the mean loss of each model
    on each held-out window (the same windows for every model). Resample r draws n_windows
    window indices with replacement (one draw shared by all models), takes each model's mean
    over them and refits; the interval is the [(1 - level)/2, (1 + level)/2] quantiles.
    """
    window_losses = np.asarray(window_losses, np.float64)
    n_windows = window_losses.shape[1]
    fit = fit_power_law(n_params, window_losses.mean(axis=1))
    rows = np.asarray(jax.random.randint(key, (n_resamples, n_windows), 0, n_windows))
    resampled = window_losses[:, rows].mean(axis=-1).T  # (n_resamples, n_models)
    samples = fit_power_law_many(n_params, resampled)
    tails = [(1 - level) / 2, (1 + level) / 2]
    interval = {
        name: tuple(float(q) for q in np.quantile(getattr(samples, name), tails))
        for name in ("a", "alpha", "c")
    }
    return BootstrapFit(fit, samples, interval, level)


def prediction_band(boot: BootstrapFit, n_grid, level: float | None = None) -> np.ndarray:
    """Pointwise percentile band of the refitted curves: n_grid (g,) -> (2, g) low, high."""
    level = boot.level if level is None else level
    s = boot.samples
    curves = power_law(np.asarray(n_grid)[None], s.a[:, None], s.alpha[:, None], s.c[:, None])
    return np.quantile(curves, [(1 - level) / 2, (1 + level) / 2], axis=0)  # (2, g)


def isoflop_optimum(n_params, losses) -> dict:
    """The loss-minimising size at one compute budget: a parabola in log N through the runs.

    L ~ p (log N)^2 + q log N + r (least squares over the runs, >= 3 sizes); its vertex
    log N* = -q / (2 p) when p > 0. Returns {"n_opt", "loss_opt", "coeffs", "inside"}: n_opt
    None when the parabola opens downward (no minimum); inside says whether N* lies within
    the sizes tried (outside it is an extrapolation).
    """
    log_n = np.log(np.asarray(n_params, np.float64))
    coeffs = np.polyfit(log_n, np.asarray(losses, np.float64), 2)  # p, q, r
    p, q, r = (float(v) for v in coeffs)
    if p <= 0:
        return {"n_opt": None, "loss_opt": None, "coeffs": [p, q, r], "inside": False}
    vertex = -q / (2 * p)
    return {
        "n_opt": float(np.exp(vertex)),
        "loss_opt": float(r - q * q / (4 * p)),
        "coeffs": [p, q, r],
        "inside": bool(log_n.min() <= vertex <= log_n.max()),
    }


def allocation_exponent(budgets, n_opts) -> float | None:
    """b in N* ∝ C^b from the optima of two or more budgets (least squares in log-log);
    None when fewer than two budgets have an optimum. Chinchilla finds b ≈ 0.5 (so D* ∝
    C^0.5 too), Kaplan et al. b ≈ 0.73."""
    pairs = [(c, n) for c, n in zip(budgets, n_opts, strict=True) if n is not None]
    if len(pairs) < 2:
        return None
    slope, _ = np.polyfit(np.log([c for c, _ in pairs]), np.log([n for _, n in pairs]), 1)
    return float(slope)
