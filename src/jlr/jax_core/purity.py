"""Pure functions under `jit`: what a side effect does when JAX traces your function.

`jax.jit` runs the Python function once per input signature, with tracers in place of
arrays, and records the array operations into a jaxpr. Everything else the function does
(printing, appending to a list, reading a global) happens during that one trace and is not
part of the compiled program. Source: the JAX docs, "JAX - The Sharp Bits", pure functions.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def side_effect_counts(n_calls: int) -> dict[str, int]:
    """Call a jitted function `n_calls` times; count a Python side effect and a debug callback.

    The Python `list.append` (a stand-in for `print`) runs once, at trace time; the
    `jax.debug.callback` (what `jax.debug.print` is built on) is part of the compiled program
    and runs on every call. -> {"python": 1, "debug_callback": n_calls}
    """
    python_log: list[str] = []
    runtime_log: list[float] = []

    @jax.jit
    def double(x):
        python_log.append("traced")  # runs while tracing, never again
        jax.debug.callback(lambda value: runtime_log.append(float(value)), x)
        return 2.0 * x

    for i in range(n_calls):
        double(jnp.float32(i)).block_until_ready()
    jax.effects_barrier()  # wait for the callbacks to finish
    return {"python": len(python_log), "debug_callback": len(runtime_log)}


def make_scaler(settings: dict[str, float]) -> Callable[[jax.Array], jax.Array]:
    """A jitted x -> settings["scale"] * x that reads the dict at trace time (impure).

    Changing `settings` afterwards does not change the compiled function: the value was
    baked into the jaxpr as a constant. Pass the scale as an argument instead.
    """

    @jax.jit
    def scale(x):
        return settings["scale"] * x

    return scale


def scale_pure(scale: jax.Array, x: jax.Array) -> jax.Array:
    """The pure version: everything the output depends on is an argument.  x: (...) -> (...)."""
    return scale * x


def debug_print_inside_jit(x: jax.Array) -> jax.Array:
    """sum(x^2), printing the traced intermediate with `jax.debug.print` on every call."""
    squares = x**2
    jax.debug.print("sum of squares = {s}", s=squares.sum())
    return squares.sum()
