"""Every figure function draws from small arrays without error and returns a Figure."""

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from jlr.calculus.functions import himmelblau, rastrigin, rosenbrock, strict_saddle
from jlr.viz import optimization_plots as plots


def test_every_plot_returns_a_figure():
    steps = np.arange(5)
    path = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 1.0]])
    rows = [{"x": 1.0, "y": 2.0, "label": "a"}, {"x": 2.0, "y": 1.0, "label": "b"}]
    figures = [
        plots.plot_schedules(steps, {"constant": np.ones(5), "linear": steps / 4}),
        plots.plot_adam_first_steps(steps + 1, np.ones(5), np.linspace(3, 1, 5), 1.0),
        plots.plot_variance_vs_batch(
            np.array([1, 2, 4]), np.array([4.0, 2, 1]), np.array([4.0, 2, 1]), 8
        ),
        plots.plot_iterations_vs_condition(
            np.array([10, 100]), {"gd": np.array([10, 100])}, {"gd": np.array([11, 110])}
        ),  # fmt: skip
        plots.plot_landscapes(
            [
                {"f": f, "paths": {"gd": path}, "xlim": (-1, 1), "ylim": (-1, 1)}
                for f in (rosenbrock, himmelblau, rastrigin, strict_saddle)
            ]
        ),  # fmt: skip
        plots.plot_escape_times(["GD"], {"GD": np.array([3, 5])}, np.array([1e-2, 1e-4])),
        plots.plot_study_scatter(rows, "x", ["y"], "label", log_x=True),
        plots.plot_double_descent(np.array([5, 10, 20]), np.array([1.0, 9.0, 0.5]), 10),
        plots.plot_max_margin(path, np.array([1, -1, 1]), {"w": jnp.array([1.0, 1.0])}),
    ]
    assert all(isinstance(figure, Figure) for figure in figures)
    plt.close("all")
