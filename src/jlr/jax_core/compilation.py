"""`jit` and XLA: trace to a jaxpr, lower to HLO, compile once per signature, then run.

    fn --trace--> jaxpr --lower--> StableHLO text --compile--> executable --run--> result

The compiled executable is cached by the *abstract signature* of the arguments (shapes,
dtypes, the values of static arguments), so a new shape means a new trace and compile.
`static_argnums` makes an argument a compile-time constant (Python control flow on it is
fine; each value compiles separately); `donate_argnums` lets the output reuse an input's
buffer. Source: JAX docs, "Just-in-time compilation" and the AOT lowering API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp


def jaxpr_text(fn: Callable, *args: Any) -> str:
    """The jaxpr JAX records when it traces fn on args (JAX's own intermediate language)."""
    return str(jax.make_jaxpr(fn)(*args))


def hlo_text(fn: Callable, *args: Any) -> str:
    """The StableHLO module jit hands to XLA for these argument shapes."""
    return jax.jit(fn).lower(*args).as_text()


def compiled_text(fn: Callable, *args: Any) -> str:
    """The HLO after XLA's optimization passes (fusion shows up here)."""
    return jax.jit(fn).lower(*args).compile().as_text()


def _seconds(thunk: Callable[[], Any]) -> float:
    start = time.perf_counter()
    jax.block_until_ready(thunk())
    return time.perf_counter() - start


def compile_and_run_times(fn: Callable, *args: Any, n_runs: int = 5) -> dict[str, float]:
    """Seconds to trace+lower, to compile, and the best of n_runs executions."""
    start = time.perf_counter()
    lowered = jax.jit(fn).lower(*args)
    lower_s = time.perf_counter() - start
    start = time.perf_counter()
    compiled = lowered.compile()
    compile_s = time.perf_counter() - start
    run_s = min(_seconds(lambda: compiled(*args)) for _ in range(n_runs))
    return {"lower_s": lower_s, "compile_s": compile_s, "run_s": run_s}


def count_traces(fn: Callable, calls: Sequence[tuple], **jit_kwargs: Any) -> int:
    """How many times `jax.jit(fn, **jit_kwargs)` traces (and so compiles) over the calls."""
    traces = []

    def counted(*args):
        traces.append(1)  # a Python side effect: runs once per trace
        return fn(*args)

    jitted = jax.jit(counted, **jit_kwargs)
    for args in calls:
        jax.block_until_ready(jitted(*args))
    return len(traces)


def power(x: jax.Array, n: int) -> jax.Array:
    """x**n by repeated multiplication; a Python loop over n, so n must be static under jit."""
    result = jnp.ones_like(x)
    for _ in range(n):
        result = result * x
    return result


power_jit = jax.jit(power, static_argnums=1)
