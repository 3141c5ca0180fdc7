"""fast_linear: its forward pass is `linear`'s bit for bit; its custom VJP gives the gradients
jax.grad gives for `linear` (any leading axes, under jit and vmap, second order through an
HVP); the weight gradient is the dot over one flattened token axis that keeps XLA:CPU from
copying g into a transposed layout (jaxpr and compiled HLO)."""

import functools
import re

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.nn.linear import fast_linear, init_linear, linear

RTOL = 1e-5  # float32: the two backward passes sum the same products in different orders


def random_problem(seed, lead, d_in, d_out, dtype=jnp.float32):
    """Params with a nonzero bias, x: (*lead, d_in) and a cotangent g: (*lead, d_out).

    numpy draws the data: a jax.random draw would compile anew for every shape."""
    rng = np.random.default_rng(seed)
    params = {
        "w": jnp.asarray(rng.standard_normal((d_in, d_out)) / np.sqrt(d_in), jnp.float32),
        "b": jnp.asarray(rng.standard_normal(d_out), jnp.float32),
    }
    x = jnp.asarray(rng.standard_normal((*lead, d_in)), dtype)
    g = jnp.asarray(rng.standard_normal((*lead, d_out)), jnp.float32)
    return params, x, g


@functools.cache
def jitted_vjp(dense):
    """(params, x, g) -> (y, (dparams, dx)): one compiled VJP per layer, reused per shape."""

    def vjp(params, x, g):
        y, pullback = jax.vjp(dense, params, x)
        return y, pullback(g.astype(y.dtype))

    return jax.jit(vjp)


def assert_grads_close(got, expected, n_tokens, rtol=RTOL):
    """Leaf by leaf; atol for entries that cancel to near 0 in a sum over n_tokens terms."""
    atol = rtol * np.sqrt(max(n_tokens, 1)) * 4
    for got_leaf, expected_leaf in zip(
        jax.tree.leaves(got), jax.tree.leaves(expected), strict=True
    ):
        assert got_leaf.shape == expected_leaf.shape
        assert got_leaf.dtype == expected_leaf.dtype
        np.testing.assert_allclose(got_leaf, expected_leaf, rtol=rtol, atol=atol)


@pytest.mark.parametrize("lead", [(), (7,), (3, 5), (2, 3, 4)], ids=["1-D", "2-D", "3-D", "4-D"])
def test_forward_is_linear_bit_for_bit(lead):
    params, x, _ = random_problem(0, lead, 6, 4)
    np.testing.assert_array_equal(fast_linear(params, x), linear(params, x))
    np.testing.assert_array_equal(
        jitted_vjp(fast_linear)(params, x, jnp.zeros((*lead, 4)))[0], jax.jit(linear)(params, x)
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    lead=st.sampled_from([(), (6,), (2, 5), (2, 1, 3)]),
    d_in=st.sampled_from([1, 3, 8]),
    d_out=st.sampled_from([1, 4]),
)
def test_vjp_equals_autodiff_of_linear(seed, lead, d_in, d_out):
    """dW, db and dx for a random cotangent, 2-D and 3-D inputs among others, under jit.
    (Few distinct shapes: each compiles anew; the seeds vary the values for free.)"""
    params, x, g = random_problem(seed, lead, d_in, d_out)
    y, grads = jitted_vjp(fast_linear)(params, x, g)
    y_plain, grads_plain = jitted_vjp(linear)(params, x, g)
    np.testing.assert_array_equal(y, y_plain)
    assert_grads_close(grads, grads_plain, n_tokens=int(np.prod(lead)))


def test_vjp_equals_autodiff_of_linear_under_vmap():
    """vmap over runs (each its own params and data), and over data with shared params."""
    n_runs, lead, d_in, d_out = 3, (4, 5), 6, 2
    problems = [random_problem(seed, lead, d_in, d_out) for seed in range(n_runs)]
    params, x, g = jax.tree.map(lambda *leaves: jnp.stack(leaves), *problems)  # (n_runs, ...)
    for dense_in_axes in [(0, 0, 0), (None, 0, 0)]:
        shared = dense_in_axes[0] is None
        p = jax.tree.map(lambda leaf: leaf[0], params) if shared else params

        def batched(dense, p=p, axes=dense_in_axes):
            return jax.jit(jax.vmap(jitted_vjp(dense), in_axes=axes))(p, x, g)

        (y, grads), (y_plain, grads_plain) = batched(fast_linear), batched(linear)
        np.testing.assert_allclose(y, y_plain, rtol=RTOL, atol=RTOL)
        assert_grads_close(grads, grads_plain, n_tokens=int(np.prod(lead)))


def test_gradient_of_a_loss_through_two_layers():
    """jax.grad of a small MLP loss, fast_linear in place of linear, over (batch, seq, d)."""
    first_key, second_key, x_key = jax.random.split(jax.random.key(1), 3)
    params = [init_linear(first_key, 5, 8), init_linear(second_key, 8, 3)]
    x = jax.random.normal(x_key, (4, 6, 5))

    def loss(dense, params):
        h = jax.nn.gelu(dense(params[0], x))
        return jnp.mean(dense(params[1], h) ** 2)

    got = jax.jit(jax.grad(functools.partial(loss, fast_linear)))(params)
    expected = jax.jit(jax.grad(functools.partial(loss, linear)))(params)
    assert_grads_close(got, expected, n_tokens=24)


def test_hessian_vector_product_forward_over_reverse():
    """jvp of grad: the second-order tools (HVPs, sharpness) work through fast_linear."""
    params, x, g = random_problem(2, (3, 4), 5, 3)
    tangent = jax.tree.map(jnp.ones_like, params)

    def hvp(dense):
        def loss(params):
            return jnp.sum(jnp.tanh(dense(params, x)) * g)

        return jax.jit(lambda p, t: jax.jvp(jax.grad(loss), (p,), (t,))[1])(params, tangent)

    assert_grads_close(hvp(fast_linear), hvp(linear), n_tokens=12, rtol=1e-4)


def test_gradient_dtypes_follow_the_inputs():
    """bf16 activations with float32 weights: dx in bf16, dW and db in float32."""
    params, x, g = random_problem(3, (4, 6), 8, 5, dtype=jnp.bfloat16)
    y, (grads, dx) = jitted_vjp(fast_linear)(params, x, g)
    _, (grads_plain, dx_plain) = jitted_vjp(linear)(params, x, g)
    assert y.dtype == jnp.float32
    assert dx.dtype == jnp.bfloat16
    assert grads["w"].dtype == grads["b"].dtype == jnp.float32
    np.testing.assert_allclose(dx.astype(np.float32), dx_plain.astype(np.float32), rtol=2e-2)
    assert_grads_close(grads, grads_plain, n_tokens=24)


def weight_gradient_dots(dense, lead, d_in, d_out):
    """The dot_general equations of grad wrt W whose result has W's size (d_in * d_out)."""
    params, x, g = random_problem(0, lead, d_in, d_out)
    jaxpr = jax.make_jaxpr(jax.grad(lambda p: jnp.sum(dense(p, x) * g)))(params)
    return [
        eqn
        for eqn in jaxpr.jaxpr.eqns
        if eqn.primitive.name == "dot_general" and eqn.outvars[0].aval.size == d_in * d_out
    ]


def test_weight_gradient_is_dot_g_x_over_one_token_axis():
    """dW^T = dot(g, x): 2-D operands (n_tokens, d_out) and (n_tokens, d_in), contracting their
    axis 0, a (d_out, d_in) result. Autodiff of `linear` contracts two token axes instead."""
    lead, d_in, d_out = (2, 7), 3, 5
    (eqn,) = weight_gradient_dots(fast_linear, lead, d_in, d_out)
    (contracting, batch) = eqn.params["dimension_numbers"]
    assert contracting == ((0,), (0,)) and batch == ((), ())
    assert [v.aval.shape for v in eqn.invars] == [(14, d_out), (14, d_in)]
    assert eqn.outvars[0].aval.shape == (d_out, d_in)
    (plain,) = weight_gradient_dots(linear, lead, d_in, d_out)
    assert plain.params["dimension_numbers"][0] == ((0, 1), (0, 1))


def copies_in_compiled_backward(dense):
    """Names and shapes of copy/transpose ops in the compiled gradient of a two-layer chain."""
    first_key, second_key, x_key = jax.random.split(jax.random.key(4), 3)
    params = [init_linear(first_key, 16, 32), init_linear(second_key, 32, 16)]
    x = jax.random.normal(x_key, (4, 8, 16))  # (batch, seq, d_in)

    def loss(params):
        return jnp.sum(dense(params[1], jax.nn.gelu(dense(params[0], x))) ** 2)

    hlo = jax.jit(jax.grad(loss)).lower(params).compile().as_text()
    entry = hlo[hlo.index("ENTRY") :]
    ops = re.findall(r"%(\S+) = (\S+) (\w+)\(", entry)
    return [
        (name, shape)
        for name, shape, op in ops
        if op in ("copy", "transpose") or "copy" in name or "transpose" in name
    ]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="a property of XLA:CPU's layouts")
def test_compiled_backward_reads_g_in_place_on_cpu():
    """The reason fast_linear exists: XLA:CPU compiles `linear`'s weight gradient over
    (batch, seq) with copies of g and x into transposed layouts; fast_linear's with none.
    If the first assertion fails, a newer XLA no longer needs the trick."""
    assert copies_in_compiled_backward(linear), "XLA:CPU no longer transposes g for `linear`"
    assert copies_in_compiled_backward(fast_linear) == []
