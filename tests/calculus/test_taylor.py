import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus import functions as F
from jlr.calculus import taylor as T
from jlr.calculus.error_order import loglog_slope
from jlr.calculus.linearization import errors_along_ray


def test_second_order_is_exact_on_quadratics(key):
    a_key, b_key, x_key, h_key = jax.random.split(key, 4)
    a = jax.random.normal(a_key, (3, 3))
    f = lambda x: F.quadratic(a, jax.random.normal(b_key, (3,)), x) + 2.0
    x, h = jax.random.normal(x_key, (3,)), jax.random.normal(h_key, (3,))
    np.testing.assert_allclose(T.taylor_second_order(f, x, h), f(x + h), rtol=1e-5, atol=1e-5)


def test_second_order_matches_explicit_hessian(float64, key):
    x, h = jnp.array([0.3, -0.5, 0.9]), 0.1 * jax.random.normal(key, (3,))
    g, hess = jax.grad(F.rosenbrock)(x), jax.hessian(F.rosenbrock)(x)
    expected = F.rosenbrock(x) + g @ h + 0.5 * h @ hess @ h
    np.testing.assert_allclose(T.taylor_second_order(F.rosenbrock, x, h), expected, rtol=1e-12)


def test_remainders_are_order_two_and_three(float64):
    x, direction = jnp.array([0.5, 1.0]), jnp.array([0.8, 0.6])
    step_sizes = jnp.logspace(-3, -1, 6)
    remainders = errors_along_ray(
        lambda x, h: T.taylor_remainders(F.himmelblau, x, h), x, direction, step_sizes
    )
    np.testing.assert_allclose(loglog_slope(step_sizes, remainders[:, 0]), 2.0, atol=0.05)
    np.testing.assert_allclose(loglog_slope(step_sizes, remainders[:, 1]), 3.0, atol=0.05)
