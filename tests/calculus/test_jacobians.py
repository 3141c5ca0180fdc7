import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.calculus import jacobians as J
from jlr.calculus.functions import (
    init_tanh_layer,
    paraboloid_surface,
    polar_to_cartesian,
    tanh_layer,
)
from jlr.calculus.partials import central_difference


def random_map(seed, d_in, d_out):
    params_key, x_key = jax.random.split(jax.random.key(seed))
    params = init_tanh_layer(params_key, d_in, d_out)
    return (lambda x: tanh_layer(params, x)), jax.random.normal(x_key, (d_in,))


def test_jacobians_from_products_match_jax_and_closed_form():
    r_theta = jnp.array([2.0, 0.3])
    r, theta = r_theta
    closed_form = jnp.array(
        [[jnp.cos(theta), -r * jnp.sin(theta)], [jnp.sin(theta), r * jnp.cos(theta)]]
    )
    for build in (J.jacobian_from_jvps, J.jacobian_from_vjps):
        np.testing.assert_allclose(
            build(polar_to_cartesian, r_theta), closed_form, rtol=1e-6, atol=1e-6
        )


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([(1, 4), (4, 1), (3, 2)]))
def test_columns_from_jvps_rows_from_vjps(seed, dims):
    f, x = random_map(seed, *dims)
    np.testing.assert_allclose(J.jacobian_from_jvps(f, x), jax.jacfwd(f)(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(J.jacobian_from_vjps(f, x), jax.jacrev(f)(x), rtol=1e-6, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_jvp_vjp_duality(seed):
    """u . (J v) = (u^T J) . v for every u, v: the two products are transposes."""
    f, x = random_map(seed, 3, 2)
    u_key, v_key = jax.random.split(jax.random.fold_in(jax.random.key(seed), 7))
    u, v = jax.random.normal(u_key, (2,)), jax.random.normal(v_key, (3,))
    np.testing.assert_allclose(u @ J.jvp(f, x, v), J.vjp(f, x, u) @ v, rtol=1e-5, atol=1e-6)


def test_jacobian_against_finite_differences(float64):
    x = jnp.array([0.4, -1.1])
    fd = jnp.stack([central_difference(paraboloid_surface, x, j, h=1e-6) for j in range(2)], 1)
    np.testing.assert_allclose(
        J.jacobian_from_vjps(paraboloid_surface, x), fd, rtol=1e-8, atol=1e-9
    )
