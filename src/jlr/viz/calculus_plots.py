"""Figures for the calculus lesson: contours with gradient fields, slices, log-log error plots,
critical points, and the Lagrange picture. Each helper draws on a matplotlib Axes it is given.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus.error_order import loglog_slope
from jlr.calculus.functions import evaluate_on_grid, gradient_field

KIND_MARKERS = {"minimum": "o", "maximum": "^", "saddle": "X", "degenerate": "*"}


def plot_contours_with_gradients(ax, f, xs, ys, levels=15, arrow_stride: int = 4):
    """Filled contours of f: R^2 -> R on xs x ys; unit arrows along grad f every few points."""
    values = np.asarray(evaluate_on_grid(f, xs, ys))
    grads = np.asarray(gradient_field(f, xs[::arrow_stride], ys[::arrow_stride]))
    filled = ax.contourf(xs, ys, values, levels=levels, cmap="viridis")
    ax.contour(xs, ys, values, levels=filled.levels, colors="white", linewidths=0.5)
    lengths = np.linalg.norm(grads, axis=-1, keepdims=True)
    unit = grads / np.maximum(lengths, 1e-12)  # direction only: lengths vary by orders of magnitude
    gx, gy = np.meshgrid(xs[::arrow_stride], ys[::arrow_stride])
    ax.quiver(gx, gy, unit[..., 0], unit[..., 1], color="tab:red", angles="xy", width=0.004)
    ax.set_aspect("equal")
    return filled


def plot_partial_slices(axes, f, x, span: float = 1.0, n_points: int = 101):
    """Two panels: slices t -> f(x + t e_i), i = 0, 1, with tangent lines of slope d_i f(x)."""
    from jlr.calculus.partials import central_difference, surface_slice

    ts = jnp.linspace(-span, span, n_points)
    for i, ax in enumerate(axes):
        slice_i = surface_slice(f, x, i)
        slope = float(central_difference(f, x, i))
        ax.plot(ts, [float(slice_i(t)) for t in ts], label=f"slice along $x_{i}$")
        ax.plot(ts, float(f(x)) + slope * ts, "--", label=f"slope $\\partial_{i} f$ = {slope:.2f}")
        ax.set_xlabel("t")
        ax.legend(fontsize=8)


def plot_loglog_errors(ax, step_sizes, errors_by_label: dict[str, np.ndarray]):
    """Errors against step size on log-log axes, each label annotated with its fitted slope."""
    for label, errors in errors_by_label.items():
        slope = loglog_slope(step_sizes, errors)
        ax.loglog(step_sizes, errors, "o-", label=f"{label}: slope {slope:.2f}")
    ax.set_xlabel("step size |h|")
    ax.set_ylabel("error")
    ax.legend(fontsize=8)


def plot_critical_points(ax, f, xs, ys, points, kinds, levels=30):
    """Contours of f with each critical point marked by its kind (legend: one entry per kind)."""
    values = np.asarray(evaluate_on_grid(f, xs, ys))
    ax.contour(xs, ys, values, levels=levels, cmap="viridis", linewidths=0.8)
    for kind, marker in KIND_MARKERS.items():
        chosen = np.array([p for p, k in zip(np.asarray(points), kinds, strict=True) if k == kind])
        if len(chosen):
            ax.scatter(chosen[:, 0], chosen[:, 1], marker=marker, s=80, label=kind, zorder=3)
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def plot_lagrange_geometry(ax, f, g, x_star, xs, ys, arrow_scale: float = 0.5):
    """Contours of f, the curve g = 0, and the parallel arrows grad f, grad g at the optimum."""
    f_values = np.asarray(evaluate_on_grid(f, xs, ys))
    g_values = np.asarray(evaluate_on_grid(lambda x: g(x)[0], xs, ys))
    ax.contour(xs, ys, f_values, levels=15, cmap="viridis", linewidths=0.8)
    ax.contour(xs, ys, f_values, levels=[float(f(x_star))], colors="tab:green", linewidths=2)
    ax.contour(xs, ys, g_values, levels=[0.0], colors="black", linewidths=2)
    grad_f = np.asarray(jax.grad(f)(x_star))
    grad_g = np.asarray(jax.jacfwd(g)(x_star)[0])
    for vec, color, label in [
        (grad_f, "tab:red", r"$\nabla f$"),
        (grad_g, "tab:blue", r"$\nabla g$"),
    ]:
        v = arrow_scale * vec / np.linalg.norm(vec)
        ax.annotate(
            "",
            xy=x_star + v,
            xytext=x_star,
            arrowprops={"arrowstyle": "->", "color": color, "lw": 2},
        )
        ax.text(*(x_star + 1.15 * v), label, color=color, fontsize=12)
    ax.plot(*x_star, "ko")
    ax.set_aspect("equal")
