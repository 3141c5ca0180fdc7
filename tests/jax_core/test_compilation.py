"""jaxpr, HLO, compile vs run, recompilation counting, static and donated arguments."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.jax_core import compilation


def f(x):
    return jnp.sin(x) * 2.0 + 1.0


def test_jaxpr_and_hlo_text():
    x = jnp.ones(3)
    text = compilation.jaxpr_text(f, x)
    assert "sin" in text and "mul" in text and "f32[3]" in text
    hlo = compilation.hlo_text(f, x)
    assert "stablehlo.sine" in hlo and "tensor<3xf32>" in hlo
    assert "fusion" in compilation.compiled_text(f, x)


def test_compile_and_run_times_are_positive():
    times = compilation.compile_and_run_times(f, jnp.ones(8), n_runs=2)
    assert set(times) == {"lower_s", "compile_s", "run_s"}
    assert all(value > 0 for value in times.values())


def test_new_shapes_retrace_same_shapes_do_not():
    calls = [(jnp.ones(3),), (jnp.zeros(3),), (jnp.ones(4),), (jnp.ones(3, jnp.int32),)]
    assert compilation.count_traces(f, calls) == 3  # (3,) f32, (4,) f32, (3,) i32


def test_static_argnums_retrace_per_value():
    calls = [(jnp.ones(2), 2), (jnp.ones(2), 2), (jnp.ones(2), 3)]
    assert compilation.count_traces(compilation.power, calls, static_argnums=1) == 2
    np.testing.assert_allclose(compilation.power_jit(jnp.array([2.0]), 5), [32.0], rtol=0)
    with pytest.raises(jax.errors.TracerIntegerConversionError):
        jax.jit(compilation.power)(jnp.ones(2), 3)


def test_donate_argnums_frees_the_input():
    step = jax.jit(lambda p, g: p - 0.1 * g, donate_argnums=0)
    params = jnp.ones(4)
    new = step(params, jnp.ones(4))
    assert params.is_deleted()
    np.testing.assert_allclose(new, 0.9 * np.ones(4), rtol=1e-7)
