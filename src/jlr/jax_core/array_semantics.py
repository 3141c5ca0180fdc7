"""`jax.numpy` array semantics: dtypes, promotion, float64, indexing, static vs traced shapes.

- Default dtypes are 32-bit: float64 is off unless `jax_enable_x64` is set (globally with
  `jax.config.update("jax_enable_x64", True)` at start-up, or locally with `jax.enable_x64`).
- Promotion follows JAX's lattice, not numpy's value-based rules: float16 + int32 -> float16,
  and Python scalars are "weak" (float16 array * 2.0 stays float16).
- Out-of-bounds reads are clamped (no error: there are no exceptions inside XLA), and
  out-of-bounds writes are dropped; `.at[i].get(mode="fill")` asks for a fill value instead.
- Under `jit` values are abstract (shape and dtype only). Anything that needs a concrete
  value (a Python `if`, `float(x)`, a shape taken from an array) raises one of the errors
  `traced_errors` collects; `static_argnums` makes an argument concrete (it must be hashable).
Source: JAX docs, "Type promotion semantics" and "JAX - The Sharp Bits".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

EXPLANATIONS = {
    "TracerBoolConversionError": (
        "a Python `if`/`while` on a traced value: use jnp.where, lax.cond or lax.while_loop, "
        "or make the argument static"
    ),
    "ConcretizationTypeError": (
        "a concrete Python value was needed from a traced array (float(x), a shape, a "
        "data-dependent size): pass it as a static argument or keep it inside jnp"
    ),
    "TypeError": (
        "usually a shape built from a traced value: shapes must be known at trace time, so "
        "pass sizes as static arguments"
    ),
    "ValueError": (
        "a static argument must be hashable (it keys the compilation cache): pass a tuple, "
        "not a list or an array"
    ),
}


def promotion_table(dtypes: Sequence[Any]) -> dict[tuple[str, str], str]:
    """{(a, b): name of jnp.result_type(a, b)} for every pair of the given dtypes."""
    return {
        (np.dtype(a).name, np.dtype(b).name): np.dtype(jnp.result_type(a, b)).name
        for a in dtypes
        for b in dtypes
    }


def numpy_promotion_differs(a: Any, b: Any) -> bool:
    """True when numpy and JAX promote the pair (a, b) to different dtypes."""
    return np.result_type(a, b) != np.dtype(jnp.result_type(a, b))


def default_float_dtypes() -> dict[str, str]:
    """The dtype of jnp.array(1.0) with x64 off and on: {"x64_off": ..., "x64_on": ...}."""
    with jax.enable_x64(False):
        off = jnp.array(1.0).dtype.name
    with jax.enable_x64(True):
        on = jnp.array(1.0).dtype.name
    return {"x64_off": off, "x64_on": on}


def out_of_bounds(x: jax.Array, index: int) -> dict[str, jax.Array]:
    """What x[index] does when index >= len(x): clamp on read, drop on write, or fill.

    x: (n,) -> {"read": x[n-1], "fill": nan, "write": x unchanged}
    """
    return {
        "read": x[index],  # clamped to the last element
        "fill": x.at[index].get(mode="fill", fill_value=jnp.nan),
        "write": x.at[index].set(-1.0),  # dropped
    }


def traced_error(fn: Callable, *args: Any, static_argnums: Sequence[int] = ()) -> str | None:
    """The class name of the error `jax.jit(fn)(*args)` raises, or None if it runs."""
    try:
        jax.jit(fn, static_argnums=tuple(static_argnums))(*args)
    except Exception as error:  # the point is to show the learner which error it is
        return type(error).__name__
    return None


def traced_errors() -> dict[str, str | None]:
    """The errors a learner meets first under `jit`, by cause -> error class name."""
    return {
        "python if on a tracer": traced_error(lambda x: x if x > 0 else -x, 1.0),
        "float() of a tracer": traced_error(lambda x: float(x), 1.0),
        "shape from a tracer": traced_error(lambda n: jnp.zeros(n), 3),
        "shape from a static arg": traced_error(lambda n: jnp.zeros(n), 3, static_argnums=(0,)),
        "non-hashable static arg": traced_error(
            lambda x, sizes: x * len(sizes), 1.0, [1, 2], static_argnums=(1,)
        ),
        "data-dependent size": traced_error(lambda x: x[jnp.nonzero(x)[0]], jnp.arange(3.0)),
    }
