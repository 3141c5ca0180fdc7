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


def test_named_minima_are_critical_points_with_the_stated_values(float64):
    """The *_MINIMA constants (literature values) against jax.grad and closed-form values."""
    cases = [  # f, its minima, f there, tolerance (Himmelblau's constants have 6 decimals)
        (F.himmelblau, F.HIMMELBLAU_MINIMA, 0.0, 1e-3),
        (F.rosenbrock, F.ROSENBROCK_MINIMUM, 0.0, 1e-12),
        (F.rastrigin, F.RASTRIGIN_MINIMUM, 0.0, 1e-12),
        (F.strict_saddle, F.STRICT_SADDLE_MINIMA, -0.25, 1e-12),
    ]
    for f, minima, value, atol in cases:
        minima = jnp.asarray(minima, jnp.float64)
        np.testing.assert_allclose(jax.vmap(f)(minima), value, rtol=0, atol=atol)
        np.testing.assert_allclose(jax.vmap(jax.grad(f))(minima), 0.0, rtol=0, atol=atol)
        eigenvalues = jax.vmap(lambda x, f=f: jnp.linalg.eigvalsh(jax.hessian(f)(x)))(minima)
        assert np.all(eigenvalues > 0)  # each is a strict local minimum
    np.testing.assert_allclose(
        jax.hessian(F.strict_saddle)(jnp.zeros(2)), np.diag([1.0, -1.0]), rtol=0, atol=1e-12
    )


def test_tanh_layer_uses_the_linear_layout_and_its_jacobian(key):
    """y = tanh(x W + b) with W: (d_in, d_out), as jlr.nn.linear; J = diag(1 - y^2) W^T."""
    params_key, x_key = jax.random.split(key)
    params = F.init_tanh_layer(params_key, 4, 3)
    assert params["w"].shape == (4, 3) and params["b"].shape == (3,)
    x = jax.random.normal(x_key, (4,))
    w, b = np.asarray(params["w"], np.float64), np.asarray(params["b"], np.float64)
    y = np.tanh(np.asarray(x, np.float64) @ w + b)  # numpy oracle, (3,)
    np.testing.assert_allclose(F.tanh_layer(params, x), y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        jax.jacfwd(lambda x: F.tanh_layer(params, x))(x),
        (1.0 - y**2)[:, None] * w.T,  # (3, 4)
        rtol=1e-5,
        atol=1e-6,
    )


def test_grid_matches_pointwise_evaluation():
    xs, ys = jnp.linspace(-2.0, 2.0, 5), jnp.linspace(-1.0, 1.0, 3)
    values = F.evaluate_on_grid(F.himmelblau, xs, ys)
    grads = F.gradient_field(F.himmelblau, xs, ys)
    assert values.shape == (3, 5) and grads.shape == (3, 5, 2)
    i, j = 2, 1
    point = jnp.array([xs[j], ys[i]])
    np.testing.assert_allclose(values[i, j], F.himmelblau(point), rtol=1e-6)
    np.testing.assert_allclose(grads[i, j], jax.grad(F.himmelblau)(point), rtol=1e-5)
