"""Random numbers in JAX: explicit keys, `split`, `fold_in`, and why a reused key is a bug.

JAX's generator is counter-based (threefry): a key plus a counter determines the bits, and
there is no hidden global state. The same key always gives the same numbers, so two calls
with one key give *identical* "random" draws (dropout masks that agree, an init whose layers
are copies). The rule: every key is consumed once; derive new ones with

    k_a, k_b = split(k)           (independent children)
    k_t = fold_in(k, t)           (the key of step t, reproducible and resumable)

`find_reused_keys` reads a function's jaxpr and reports key variables consumed more than
once (by random_bits / random_split, or by a sub-computation that does), including a key a
`scan` body consumes on every iteration without replacing it.
It is a static check of one trace; `jax.debug_key_reuse(True)` is JAX's full runtime checker
(used as the oracle in the tests). Source: JAX docs, "Pseudorandom numbers", JEP 9263.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

# Primitives that use up a key. fold_in does not: fold_in(k, t) for distinct t are
# independent keys (JAX's own checker treats it the same way).
CONSUMERS = frozenset({"random_bits", "random_split"})


def split_named(key: jax.Array, names: Sequence[str]) -> dict[str, jax.Array]:
    """One independent child key per name: {"init": ..., "data": ...}."""
    return dict(zip(names, jax.random.split(key, len(names)), strict=True))


def step_key(key: jax.Array, step: int | jax.Array) -> jax.Array:
    """The key of training step `step`: fold_in(key, step), the same on every resume."""
    return jax.random.fold_in(key, step)


def _is_key(var: Any) -> bool:
    aval = getattr(var, "aval", None)
    dtype = getattr(aval, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)


def _sub_jaxprs(eqn: Any) -> list[list[Any]]:
    """Groups of sub-jaxprs of a higher-order equation; jaxprs in one group are alternatives."""
    groups = []
    for name, value in eqn.params.items():
        if name == "cond_jaxpr":  # a while loop's predicate only reads its carry
            continue
        items = value if isinstance(value, tuple | list) else [value]
        jaxprs = [getattr(item, "jaxpr", item) for item in items]
        jaxprs = [j for j in jaxprs if hasattr(j, "eqns") and hasattr(j, "invars")]
        if jaxprs:
            groups.append(jaxprs)
    return groups


def _consumed_inputs(jaxpr: Any, findings: list[str]) -> set[int]:
    """Indices of jaxpr.invars consumed as keys; appends every reuse found inside to findings."""
    uses: Counter = Counter()
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in CONSUMERS:
            uses.update(v for v in eqn.invars if _is_key(v))
        for group in _sub_jaxprs(eqn):
            consumed: set[int] = set()
            for sub in group:  # inputs line up with the *last* invars of the equation
                offset = len(eqn.invars) - len(sub.invars)
                consumed |= {offset + i for i in _consumed_inputs(sub, findings)}
            uses.update(eqn.invars[i] for i in consumed if i >= 0 and _is_key(eqn.invars[i]))
            if eqn.primitive.name == "scan" and eqn.params["length"] > 1:
                findings.extend(_reused_across_iterations(eqn, consumed))
    findings.extend(
        f"a {var.aval.str_short()} value consumed {count} times"
        for var, count in uses.items()
        if count > 1
    )
    return {i for i, var in enumerate(jaxpr.invars) if uses[var] > 0}


def _reused_across_iterations(eqn: Any, consumed: set[int]) -> list[str]:
    """Keys a scan body consumes that are constants or carries passed through unchanged."""
    body = eqn.params["jaxpr"].jaxpr
    n_consts, n_carry = eqn.params["num_consts"], eqn.params["num_carry"]
    findings = []
    for i in sorted(consumed):
        is_const = i < n_consts
        passed_through = n_consts <= i < n_consts + n_carry and (
            body.outvars[i - n_consts] is body.invars[i]
        )
        if is_const or passed_through:
            findings.append(
                f"scan consumes key input {i} on each of {eqn.params['length']} iterations"
            )
    return findings


def find_reused_keys(fn: Callable, *args: Any) -> list[str]:
    """Key variables `fn(*args)` consumes more than once: [] when keys are used right.

    Every argument is traced; bind sizes and other static values with a lambda first.
    """
    closed = jax.make_jaxpr(fn)(*args)
    findings: list[str] = []
    _consumed_inputs(closed.jaxpr, findings)
    return findings


def reused_key_init(key: jax.Array, d_in: int, d_out: int) -> dict[str, jax.Array]:
    """A BUG on purpose: two layers initialised from one key get identical weights."""
    return {
        "w1": jax.random.normal(key, (d_in, d_out)),
        "w2": jax.random.normal(key, (d_in, d_out)),  # same key -> same numbers
    }
