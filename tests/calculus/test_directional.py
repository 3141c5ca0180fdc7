import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.calculus import directional as D
from jlr.calculus import functions as F


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_jvp_equals_gradient_dot_direction(seed):
    x_key, v_key = jax.random.split(jax.random.key(seed))
    x, v = jax.random.normal(x_key, (3,)), jax.random.normal(v_key, (3,))
    np.testing.assert_allclose(
        D.directional_derivative(F.rosenbrock, x, v),
        jax.grad(F.rosenbrock)(x) @ v,
        rtol=1e-4,
        atol=1e-3,
    )


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-3, 3), st.floats(-3, 3))
def test_directional_derivative_is_linear_in_direction(seed, a, b):
    x_key, u_key, v_key = jax.random.split(jax.random.key(seed), 3)
    x = jax.random.normal(x_key, (2,))
    u, v = jax.random.normal(u_key, (2,)), jax.random.normal(v_key, (2,))
    lhs = D.directional_derivative(F.himmelblau, x, a * u + b * v)
    rhs = a * D.directional_derivative(F.himmelblau, x, u) + b * D.directional_derivative(
        F.himmelblau, x, v
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4, atol=1e-3)


def test_gradient_is_steepest_ascent_over_a_sweep():
    x = jnp.array([0.8, -1.5])
    directions = D.unit_directions(720)
    rates = D.directional_derivative_sweep(F.himmelblau, x, directions)
    best = directions[jnp.argmax(rates)]
    steepest = D.steepest_ascent_direction(F.himmelblau, x)
    assert float(best @ steepest) > np.cos(2 * np.pi / 720)  # within one sweep step
    np.testing.assert_allclose(rates.max(), jnp.linalg.norm(jax.grad(F.himmelblau)(x)), rtol=1e-4)
    np.testing.assert_allclose(rates.min(), -rates.max(), rtol=1e-4)  # -grad: steepest descent
