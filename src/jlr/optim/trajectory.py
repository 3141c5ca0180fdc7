"""An optimizer's path on a function f: (d,) -> (): the points it visits, step by step.

p_0 = start,  p_{t+1} = p_t + update(grad f(p_t) + noise_std xi_t),  xi_t ~ N(0, I)
(noise_std > 0 is noisy gradient descent, a stand-in for minibatch noise). On a 2-D test
function (`jlr.calculus.functions`) the path is what a contour plot draws; on a quadratic
f = x^T H x / 2 it is gradient descent's zig-zag.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, apply_updates


def trajectory(
    optimizer: GradientTransformation,
    f: Callable[[jax.Array], jax.Array],
    start: jax.Array,
    n_steps: int,
    *,
    noise_std: float = 0.0,
    key: jax.Array | None = None,
) -> jax.Array:
    """The points p_0 .. p_n: start (d,) -> (n_steps + 1, d). Jit-able; key needed if noisy."""
    grad_f = jax.grad(f)

    def step(carry, t):
        p, state = carry
        g = grad_f(p)
        if noise_std:
            g = g + noise_std * jax.random.normal(jax.random.fold_in(key, t), g.shape, g.dtype)
        updates, state = optimizer.update(g, state, p)
        p = apply_updates(p, updates)
        return (p, state), p

    _, points = jax.lax.scan(step, (start, optimizer.init(start)), jnp.arange(n_steps))
    return jnp.concatenate([start[None], points])  # (n_steps + 1, d)
