import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus import functions as F


def test_known_values():
    np.testing.assert_allclose(F.himmelblau(jnp.array([3.0, 2.0])), 0.0, atol=1e-6)
    np.testing.assert_allclose(F.rosenbrock(jnp.ones(4)), 0.0, atol=1e-6)
    np.testing.assert_allclose(F.monkey_saddle(jnp.array([2.0, 1.0])), 8.0 - 6.0, rtol=1e-6)


def test_quadratic_gradient_closed_form(key):
    a_key, b_key, x_key = jax.random.split(key, 3)
    a = jax.random.normal(a_key, (3, 3))
    b, x = jax.random.normal(b_key, (3,)), jax.random.normal(x_key, (3,))
    expected = 0.5 * (a + a.T) @ x - b
    np.testing.assert_allclose(
        jax.grad(F.quadratic, argnums=2)(a, b, x), expected, rtol=1e-5, atol=1e-6
    )


def test_polar_jacobian_determinant_is_r():
    r_theta = jnp.array([1.7, 0.4])
    det = jnp.linalg.det(jax.jacfwd(F.polar_to_cartesian)(r_theta))
    np.testing.assert_allclose(det, 1.7, rtol=1e-5)


def test_maps_have_declared_codomains(key):
    params = F.init_tanh_layer(key, 4, 3)
    assert F.tanh_layer(params, jnp.ones(4)).shape == (3,)
    assert F.paraboloid_surface(jnp.ones(2)).shape == (3,)
    assert F.polar_to_cartesian(jnp.ones(2)).shape == (2,)


def test_grid_matches_pointwise_evaluation():
    xs, ys = jnp.linspace(-2.0, 2.0, 5), jnp.linspace(-1.0, 1.0, 3)
    values = F.evaluate_on_grid(F.himmelblau, xs, ys)
    grads = F.gradient_field(F.himmelblau, xs, ys)
    assert values.shape == (3, 5) and grads.shape == (3, 5, 2)
    i, j = 2, 1
    point = jnp.array([xs[j], ys[i]])
    np.testing.assert_allclose(values[i, j], F.himmelblau(point), rtol=1e-6)
    np.testing.assert_allclose(grads[i, j], jax.grad(F.himmelblau)(point), rtol=1e-5)
