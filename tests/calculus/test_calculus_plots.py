import jax.numpy as jnp
import matplotlib
import numpy as np

from jlr.calculus.functions import himmelblau
from jlr.viz import calculus_plots

matplotlib.use("Agg")


def test_every_helper_draws():
    import matplotlib.pyplot as plt

    xs = ys = jnp.linspace(-5.0, 5.0, 12)
    fig, axes = plt.subplots(2, 3)
    calculus_plots.plot_contours_with_gradients(axes[0, 0], himmelblau, xs, ys, arrow_stride=3)
    calculus_plots.plot_partial_slices(axes[0, 1:], himmelblau, jnp.array([1.0, 0.5]), n_points=5)
    calculus_plots.plot_loglog_errors(
        axes[1, 0], np.array([0.1, 0.01]), {"e": np.array([1e-2, 1e-4])}
    )
    points = jnp.array([[3.0, 2.0], [-0.270845, -0.923039]])
    calculus_plots.plot_critical_points(
        axes[1, 1], himmelblau, xs, ys, points, ["minimum", "maximum"]
    )
    circle = lambda x: jnp.stack([x @ x - 1.0])
    x_star = np.array([0.6, 0.8])
    calculus_plots.plot_lagrange_geometry(axes[1, 2], lambda x: x[0] + x[1], circle, x_star, xs, ys)
    assert len(axes[1, 0].get_lines()) == 1
    plt.close(fig)
