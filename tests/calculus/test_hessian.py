import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.calculus import functions as F
from jlr.calculus import hessian as H


def test_quadratic_hessian_closed_form(key):
    a_key, b_key, x_key, v_key = jax.random.split(key, 4)
    a = jax.random.normal(a_key, (4, 4))
    f = lambda x: F.quadratic(a, jax.random.normal(b_key, (4,)), x)
    x, v = jax.random.normal(x_key, (4,)), jax.random.normal(v_key, (4,))
    sym = 0.5 * (a + a.T)
    np.testing.assert_allclose(H.hessian_fwd_over_rev(f, x), sym, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H.hvp(f, x, v), sym @ v, rtol=1e-5, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_fwd_over_rev_and_hvps_match_jax_hessian(seed):
    x_key, v_key = jax.random.split(jax.random.key(seed))
    x, v = jax.random.normal(x_key, (4,)), jax.random.normal(v_key, (4,))
    expected = jax.hessian(F.rosenbrock)(x)
    scale = float(jnp.abs(expected).max())
    np.testing.assert_allclose(
        H.hessian_fwd_over_rev(F.rosenbrock, x), expected, rtol=1e-5, atol=1e-5 * scale
    )
    np.testing.assert_allclose(
        H.hvp(F.rosenbrock, x, v), expected @ v, rtol=1e-4, atol=1e-4 * scale
    )
    np.testing.assert_allclose(
        H.hvp_reverse_over_reverse(F.rosenbrock, x, v), expected @ v, rtol=1e-4, atol=1e-4 * scale
    )


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_hvp_is_symmetric(seed):
    """u . H v = v . H u (Schwarz), through two products that never form H."""
    x_key, u_key, v_key = jax.random.split(jax.random.key(seed), 3)
    x = jax.random.uniform(x_key, (2,), minval=-4, maxval=4)
    u, v = jax.random.normal(u_key, (2,)), jax.random.normal(v_key, (2,))
    np.testing.assert_allclose(
        u @ H.hvp(F.himmelblau, x, v), v @ H.hvp(F.himmelblau, x, u), rtol=1e-4, atol=1e-3
    )


def test_hvp_against_finite_differences_of_gradient(float64):
    x, v = jnp.array([0.3, -0.8, 1.1]), jnp.array([1.0, 2.0, -0.5])
    grad = jax.grad(F.rosenbrock)
    h = 1e-6
    fd = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
    np.testing.assert_allclose(H.hvp(F.rosenbrock, x, v), fd, rtol=1e-7, atol=1e-6)


def test_directional_curvature(float64):
    x = jnp.array([0.0, 0.0])
    # monkey saddle at 0: all second derivatives vanish; at (1, 0), H = diag(6, -6)
    np.testing.assert_allclose(
        H.directional_curvature(F.monkey_saddle, x, jnp.array([1.0, 1.0])), 0.0, atol=1e-12
    )
    x = jnp.array([1.0, 0.0])
    np.testing.assert_allclose(
        H.directional_curvature(F.monkey_saddle, x, jnp.array([0.0, 2.0])), -6.0, rtol=1e-12
    )
