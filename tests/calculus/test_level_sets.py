import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.calculus import functions as F
from jlr.calculus import level_sets as L

matplotlib.use("Agg")


def test_projection_lands_on_the_level_set():
    x = L.project_to_level_set(F.himmelblau, jnp.array([1.0, 1.0]), 50.0)
    np.testing.assert_allclose(F.himmelblau(x), 50.0, rtol=1e-5)


def test_traced_curve_stays_on_level_and_is_normal_to_gradient():
    x0 = jnp.array([1.0, 1.0])
    path = L.trace_level_set(F.himmelblau, x0, step_size=0.05, n_steps=40)
    np.testing.assert_allclose(F.himmelblau(path[-1]), F.himmelblau(x0), rtol=1e-4)
    assert jnp.all(jnp.linalg.norm(path[1:] - path[:-1], axis=-1) > 0.04)  # it moved
    assert float(jnp.max(L.gradient_level_set_cosines(F.himmelblau, path))) < 0.05


def test_gradient_is_normal_to_matplotlib_contours():
    """Oracle: matplotlib's (contourpy's) marching-squares contours, not our tracer."""
    import matplotlib.pyplot as plt

    xs, ys = np.linspace(-5, 5, 201), np.linspace(-5, 5, 201)
    values = np.asarray(F.evaluate_on_grid(F.himmelblau, jnp.asarray(xs), jnp.asarray(ys)))
    fig, ax = plt.subplots()
    contours = ax.contour(xs, ys, values, levels=[20.0, 80.0, 150.0])
    plt.close(fig)
    for path in contours.get_paths():
        vertices = path.vertices[::3]  # chords of a few grid cells: tangents, not grid noise
        cosines = L.gradient_level_set_cosines(F.himmelblau, jnp.asarray(vertices, jnp.float32))
        assert float(jnp.median(cosines)) < 0.02
        assert float(jnp.quantile(cosines, 0.95)) < 0.1  # a few chords cut sharp bends


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_tangent_is_unit_and_orthogonal_to_gradient(seed):
    x = jax.random.uniform(jax.random.key(seed), (2,), minval=-4.0, maxval=4.0)
    tangent = L.level_set_tangent(F.himmelblau, x)
    grad = jax.grad(F.himmelblau)(x)
    np.testing.assert_allclose(jnp.linalg.norm(tangent), 1.0, rtol=1e-5)
    np.testing.assert_allclose(tangent @ grad / jnp.linalg.norm(grad), 0.0, atol=1e-5)
