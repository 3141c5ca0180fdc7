"""Forward vs reverse mode: `jvp` pushes a tangent forward, `vjp` pulls a cotangent back.

For F: R^n -> R^m with Jacobian J (m, n):
    jvp:  v (n,) -> J v (m,)      one forward sweep per column: n sweeps give J
    vjp:  u (m,) -> u^T J (n,)    one backward sweep per row:   m sweeps give J
Each sweep costs a small constant times one evaluation of F (reverse mode also stores the
forward intermediates). So forward mode wins when n < m (tall J), reverse when n > m (wide J,
e.g. a scalar loss: m = 1, any n). `linearize` does the forward pass once and returns v -> J v
for many v. Source: Baydin et al., "Automatic differentiation in machine learning" (2018).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def jacobian_by_jvp(f: Callable, x: jax.Array) -> jax.Array:
    """J column by column: J[:, i] = jvp(f, x, e_i), batched with vmap.  x: (n,) -> (m, n)."""
    basis = jnp.eye(x.size, dtype=x.dtype)
    columns = jax.vmap(lambda v: jax.jvp(f, (x,), (v,))[1])(basis)  # (n, m)
    return columns.T  # (m, n)


def jacobian_by_vjp(f: Callable, x: jax.Array) -> jax.Array:
    """J row by row: J[j, :] = vjp(f, x)(e_j), batched with vmap.  x: (n,) -> (m, n)."""
    y, pullback = jax.vjp(f, x)
    basis = jnp.eye(y.size, dtype=y.dtype)
    return jax.vmap(lambda u: pullback(u)[0])(basis)  # (m, n)


def jvps_by_linearize(f: Callable, x: jax.Array, tangents: jax.Array) -> jax.Array:
    """J v for each row v of tangents, with one linearization.  tangents: (k, n) -> (k, m)."""
    _, jvp_at_x = jax.linearize(f, x)
    return jax.vmap(jvp_at_x)(tangents)


def sweeps_needed(n_in: int, n_out: int) -> dict[str, int]:
    """The cost model: sweeps to build a full (n_out, n_in) Jacobian in each mode."""
    return {"forward": n_in, "reverse": n_out}


def preferred_mode(n_in: int, n_out: int) -> str:
    """ "forward" when the Jacobian is tall (n_in < n_out), else "reverse"."""
    return "forward" if n_in < n_out else "reverse"
