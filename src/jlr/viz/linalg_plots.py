"""Figures for the linear-algebra lesson: a 2x2 map acting on a grid and the unit circle with
its eigen-directions, and rows of images reconstructed at several ranks. Each helper draws on
the matplotlib Axes it is given and returns nothing a caller must keep.
"""

from __future__ import annotations

import numpy as np

from jlr.linalg.linear_maps import apply_to_points, grid_lines, unit_circle


def real_eigendirections(a: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """(eigenvalue, unit eigenvector) for each real eigenvalue of a 2x2 matrix (none if complex)."""
    eigenvalues, eigenvectors = np.linalg.eig(np.asarray(a, np.float64))
    if np.any(np.abs(eigenvalues.imag) > 1e-12):
        return []
    return [(float(lam), eigenvectors[:, i].real) for i, lam in enumerate(eigenvalues.real)]


def plot_linear_map(ax, a, half_width: float = 2.0, title: str | None = None) -> None:
    """The plane before (grey) and after (blue) x -> a x: grid lines, the unit circle and its
    image ellipse, the images of e_1 and e_2, and the real eigen-directions (dashed, with
    their eigenvalues)."""
    a = np.asarray(a, np.float64)
    for line in np.asarray(grid_lines(half_width, 9, 30)):
        ax.plot(line[:, 0], line[:, 1], color="0.85", lw=0.6)
        image = np.asarray(apply_to_points(a, line))
        ax.plot(image[:, 0], image[:, 1], color="tab:blue", lw=0.6, alpha=0.6)
    circle = np.asarray(unit_circle(200))
    ellipse = np.asarray(apply_to_points(a, circle))
    ax.plot(*np.vstack([circle, circle[:1]]).T, color="0.4", lw=1.5, label="unit circle")
    ax.plot(*np.vstack([ellipse, ellipse[:1]]).T, color="tab:orange", lw=2, label="its image")
    for j, color in ((0, "tab:red"), (1, "tab:green")):
        ax.annotate(
            "", xy=a[:, j], xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color, "lw": 2}
        )
        ax.text(*(1.08 * a[:, j]), f"$A e_{j + 1}$", color=color)
    reach = 1.3 * half_width * max(1.0, np.abs(a).max())
    for eigenvalue, vector in real_eigendirections(a):
        ends = np.outer([-reach, reach], vector)
        ax.plot(ends[:, 0], ends[:, 1], "k--", lw=1)
        ax.text(*(0.55 * reach * vector), f"$\\lambda$={eigenvalue:.2f}", fontsize=9)
    limit = half_width * max(1.5, np.abs(a).sum(axis=1).max() / 1.2)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)


def plot_image_rows(axes, rows: list[np.ndarray], labels: list[str], shape=(8, 8)) -> None:
    """A grid of images: rows[i][j] drawn in axes[i, j], label[i] on the row's first image."""
    for row_axes, images, label in zip(axes, rows, labels, strict=True):
        for ax, image in zip(row_axes, images, strict=True):
            ax.imshow(np.asarray(image).reshape(shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
