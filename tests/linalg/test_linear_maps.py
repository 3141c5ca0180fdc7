import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.linear_maps import apply_to_points, grid_lines, matrix_of, polygon_area, unit_circle

seeds = st.integers(0, 2**32 - 1)


def test_matrix_of_recovers_the_matrix_and_matches_jacobian(rng):
    a = jnp.asarray(rng.standard_normal((3, 4)))
    f = lambda x: a @ x
    np.testing.assert_allclose(matrix_of(f, 4), a, rtol=1e-12, atol=0)
    np.testing.assert_allclose(matrix_of(f, 4), jax.jacfwd(f)(jnp.zeros(4)), rtol=1e-12, atol=0)


def test_matrix_of_a_rotation():
    c, s = np.cos(0.3), np.sin(0.3)
    rotate = lambda x: jnp.stack([c * x[0] - s * x[1], s * x[0] + c * x[1]])
    np.testing.assert_allclose(matrix_of(rotate, 2), [[c, -s], [s, c]], rtol=1e-12, atol=1e-15)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_composition_is_matrix_product(seed):
    rng = np.random.default_rng(seed)
    a_f, a_g = jnp.asarray(rng.standard_normal((2, 3))), jnp.asarray(rng.standard_normal((3, 4)))
    composed = matrix_of(lambda x: a_f @ (a_g @ x), 4)
    np.testing.assert_allclose(composed, a_f @ a_g, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_circle_image_area_is_pi_det_and_radius_is_sigma_max(seed):
    a = np.random.default_rng(seed).standard_normal((2, 2))
    ellipse = apply_to_points(jnp.asarray(a), unit_circle(4000))
    np.testing.assert_allclose(polygon_area(ellipse), np.pi * abs(np.linalg.det(a)), rtol=1e-5)
    radii = np.linalg.norm(np.asarray(ellipse), axis=1)
    np.testing.assert_allclose(radii.max(), np.linalg.norm(a, 2), rtol=1e-5)


def test_grid_shapes():
    lines = grid_lines(1.0, n_lines=5, n_points=7)
    assert lines.shape == (10, 7, 2)
    np.testing.assert_allclose(lines[0, :, 1], -1.0, rtol=0, atol=1e-15)  # first horizontal line
