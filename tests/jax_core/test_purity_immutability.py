"""Side effects under jit, and functional updates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.jax_core import immutability, purity


def test_python_side_effect_runs_once_debug_callback_every_call():
    assert purity.side_effect_counts(4) == {"python": 1, "debug_callback": 4}


def test_global_read_is_frozen_at_trace_time():
    settings = {"scale": 2.0}
    scale = purity.make_scaler(settings)
    np.testing.assert_allclose(scale(jnp.float32(3.0)), 6.0, rtol=0, atol=0)
    settings["scale"] = 10.0
    np.testing.assert_allclose(scale(jnp.float32(3.0)), 6.0, rtol=0, atol=0)  # stale
    pure = jax.jit(purity.scale_pure)
    np.testing.assert_allclose(pure(10.0, jnp.float32(3.0)), 30.0, rtol=0, atol=0)


def test_debug_print_prints_on_every_call(capfd):
    f = jax.jit(purity.debug_print_inside_jit)
    for _ in range(2):
        f(jnp.arange(3.0)).block_until_ready()
    jax.effects_barrier()
    assert capfd.readouterr().out.count("sum of squares = 5") == 2


def test_set_row_returns_copy(key):
    x = jax.random.normal(key, (3, 2))
    y = immutability.set_row(x, 1, jnp.array([7.0, 8.0]))
    np.testing.assert_allclose(y[1], [7.0, 8.0], rtol=0, atol=0)
    np.testing.assert_allclose(
        np.delete(np.asarray(y), 1, 0), np.delete(np.asarray(x), 1, 0), rtol=0, atol=0
    )
    assert not np.allclose(x[1], [7.0, 8.0])


def test_scatter_add_accumulates_like_numpy_add_at():
    indices = np.array([0, 2, 2, 4, 0])
    values = np.arange(5.0)
    expected = np.zeros(5)
    np.add.at(expected, indices, values)
    actual = immutability.scatter_add(jnp.zeros(5), jnp.asarray(indices), jnp.asarray(values))
    np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=0)


def test_in_place_assignment_is_a_type_error():
    assert "immutable" in immutability.in_place_error(jnp.zeros(3))


def test_donation_deletes_the_input():
    x = jnp.arange(4.0)
    result, deleted = immutability.donated_update(x, jnp.ones(4))
    np.testing.assert_allclose(result, np.arange(4.0) + 1, rtol=0, atol=0)
    assert deleted
    with pytest.raises(RuntimeError):
        np.asarray(x)
