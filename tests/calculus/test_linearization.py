import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus import linearization as L
from jlr.calculus.error_order import loglog_slope
from jlr.calculus.functions import polar_to_cartesian


def test_linear_approximation_is_exact_for_affine_maps(key):
    a = jax.random.normal(key, (3, 2))
    f = lambda x: a @ x + 1.0
    x, h = jnp.array([0.2, -0.4]), jnp.array([5.0, 3.0])
    np.testing.assert_allclose(L.linear_approximation(f, x, h), f(x + h), rtol=1e-5, atol=1e-5)


def test_linearization_error_shrinks_quadratically(float64):
    x, direction = jnp.array([1.5, 0.7]), jnp.array([0.6, -0.8])
    step_sizes = jnp.logspace(-4, -1, 7)
    error_fn = lambda x, h: L.linearization_error(polar_to_cartesian, x, h)
    errors = L.errors_along_ray(error_fn, x, direction, step_sizes)
    assert np.all(np.diff(np.asarray(errors)) > 0)
    np.testing.assert_allclose(loglog_slope(step_sizes, errors), 2.0, atol=0.05)
