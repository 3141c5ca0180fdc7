"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019).

m_t = b1 m_{t-1} + (1 - b1) g_t,    v_t = b2 v_{t-1} + (1 - b2) g_t^2
m_hat = m_t / (1 - b1^t),  v_hat = v_t / (1 - b2^t)         (bias correction)
update = -lr (m_hat / (sqrt(v_hat) + eps) + wd * params)    (wd > 0: AdamW, decoupled decay)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, PyTree, Schedule, learning_rate_at


class AdamState(NamedTuple):
    step: jax.Array  # int32, shape ()
    m: PyTree
    v: PyTree


def adamw(
    lr: float | Schedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float | jax.Array | None = 1e-4,
    bias_correction: bool = True,
) -> GradientTransformation:
    """AdamW as optax.adamw; bias_correction=False drops the 1 / (1 - b^t) factors (lesson 04
    shows what that does to the first steps). lr may be a schedule `step -> lr`.

    Every number (lr, b1, b2, eps, weight_decay) may be a traced array, so a sweep can vmap
    over any of them; weight_decay=None (Adam) is the only value that changes the program:
    then `params` are not read.
    """

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads, state, params=None):
        step = state.step + 1
        rate = learning_rate_at(lr, state.step)
        m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.m, grads)
        v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g**2, state.v, grads)
        m_scale = 1 - b1**step if bias_correction else 1.0
        v_scale = 1 - b2**step if bias_correction else 1.0

        def leaf(m, v, p):
            direction = (m / m_scale) / (jnp.sqrt(v / v_scale) + eps)
            if weight_decay is not None:
                direction = direction + weight_decay * p
            return -rate * direction

        if weight_decay is not None and params is None:
            raise ValueError("adamw's update needs params for the weight decay; pass params=")
        param_tree = m if weight_decay is None else params  # params are only read for decay
        return jax.tree.map(leaf, m, v, param_tree), AdamState(step, m, v)

    return GradientTransformation(init, update)


def adam(
    lr: float | Schedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    bias_correction: bool = True,
) -> GradientTransformation:
    """Adam is AdamW without weight decay."""
    return adamw(lr, b1, b2, eps, weight_decay=None, bias_correction=bias_correction)
