"""Immutability: JAX arrays cannot change in place; `.at[...]` returns an updated copy.

x.at[i].set(v), .add(v), .multiply(v), .min(v), .max(v), .get(mode=...) are the functional
forms of x[i] = v, x[i] += v, ... Under `jit` XLA performs such an update in place whenever
the old value is dead, and `donate_argnums` lets a jitted function reuse an input's buffer
for its output, so immutability costs no copies. Source: JAX docs, `jax.numpy.ndarray.at`.
"""

from __future__ import annotations

import jax


def set_row(x: jax.Array, i: int, row: jax.Array) -> jax.Array:
    """A copy of x with row i replaced.  x: (n, d), row: (d,) -> (n, d); x is unchanged."""
    return x.at[i].set(row)


def scatter_add(x: jax.Array, indices: jax.Array, values: jax.Array) -> jax.Array:
    """x with values[k] added at indices[k]; repeated indices accumulate (like np.add.at).

    x: (n,), indices: (k,) int, values: (k,) -> (n,)
    """
    return x.at[indices].add(values)


def in_place_error(x: jax.Array) -> str:
    """The message JAX gives for `x[0] = 1` (a TypeError: arrays are immutable)."""
    try:
        x[0] = 1  # type: ignore[index]
    except TypeError as error:
        return str(error)
    raise AssertionError("JAX arrays accepted an in-place update")


def donated_update(x: jax.Array, delta: jax.Array) -> tuple[jax.Array, bool]:
    """x + delta computed by a jit that donates x's buffer; -> (result, whether x was deleted).

    After donation the caller must not use x again: JAX marks it deleted.
    """
    add = jax.jit(lambda a, b: a + b, donate_argnums=0)
    result = add(x, delta)
    return result, x.is_deleted()
