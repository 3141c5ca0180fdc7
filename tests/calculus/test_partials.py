import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus import functions as F
from jlr.calculus import partials as P
from jlr.calculus.error_order import loglog_slope


def test_argnums_partials_match_closed_form():
    def f(x, y):
        return x**2 * y + jnp.sin(y)

    x, y = 1.3, -0.7
    np.testing.assert_allclose(P.partial_derivative(f, 0)(x, y), 2 * x * y, rtol=1e-6)
    np.testing.assert_allclose(P.partial_derivative(f, 1)(x, y), x**2 + np.cos(y), rtol=1e-6)


def test_slice_derivative_is_the_partial(float64):
    x = jnp.array([0.5, -1.2, 2.0])
    slope = jax.grad(P.surface_slice(F.rosenbrock, x, 1))(0.0)
    np.testing.assert_allclose(slope, jax.grad(F.rosenbrock)(x)[1], rtol=1e-12)


def test_finite_difference_gradient_matches_jax_grad(float64):
    x = jnp.array([0.5, -1.2, 2.0, 0.3])
    np.testing.assert_allclose(
        P.finite_difference_gradient(F.rosenbrock, x, h=1e-5),
        jax.grad(F.rosenbrock)(x),
        rtol=1e-7,
        atol=1e-6,
    )


def test_central_difference_error_is_second_order(float64):
    x = jnp.array([1.0, 0.5])
    exact = jax.grad(F.himmelblau)(x)[0]
    step_sizes = np.array([1e-1, 5e-2, 2e-2, 1e-2, 5e-3])
    errors = [abs(float(P.central_difference(F.himmelblau, x, 0, h) - exact)) for h in step_sizes]
    np.testing.assert_allclose(loglog_slope(step_sizes, errors), 2.0, atol=0.05)
