import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.calculus import chain_rule as C
from jlr.calculus.functions import init_tanh_layer, tanh_layer
from jlr.calculus.partials import central_difference

dims = st.sampled_from([1, 3])  # few shapes: each new one costs a compile


def random_pair(seed, d_in, d_mid, d_out):
    g_key, f_key, x_key = jax.random.split(jax.random.key(seed), 3)
    g_params, f_params = init_tanh_layer(g_key, d_in, d_mid), init_tanh_layer(f_key, d_mid, d_out)
    g = lambda x: tanh_layer(g_params, x)
    f = lambda y: jnp.sin(tanh_layer(f_params, y))
    return f, g, jax.random.normal(x_key, (d_in,))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), dims, dims)
def test_jacobian_of_composition_is_product(seed, d_in, d_out):
    f, g, x = random_pair(seed, d_in, 2, d_out)
    np.testing.assert_allclose(
        C.chain_rule_jacobian(f, g, x),
        jax.jacrev(C.compose(f, g))(x),
        rtol=1e-5,
        atol=1e-6,
    )


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), dims, dims)
def test_chain_rule_jvp_matches_jacobian_times_vector(seed, d_in, d_out):
    f, g, x = random_pair(seed, d_in, 2, d_out)
    v = jax.random.normal(jax.random.fold_in(jax.random.key(seed), 1), (d_in,))
    np.testing.assert_allclose(
        C.chain_rule_jvp(f, g, x, v), C.chain_rule_jacobian(f, g, x) @ v, rtol=1e-5, atol=1e-6
    )


def test_chain_rule_against_finite_differences(float64):
    f, g, x = random_pair(3, 3, 4, 2)
    jac = C.chain_rule_jacobian(f, g, x)
    fd_columns = [central_difference(C.compose(f, g), x, j, h=1e-6) for j in range(3)]
    np.testing.assert_allclose(jac, jnp.stack(fd_columns, axis=1), rtol=1e-7, atol=1e-8)
