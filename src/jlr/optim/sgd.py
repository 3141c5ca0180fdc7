"""Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

v_t = mu v_{t-1} + g_t;  update = -lr v_t  (heavy ball)  or  -lr (g_t + mu v_t)  (Nesterov)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, PyTree, Schedule, learning_rate_at


class SGDState(NamedTuple):
    step: jax.Array  # int32, shape ()
    velocity: PyTree  # () when momentum is None


def sgd(
    lr: float | Schedule, momentum: float = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """SGD as optax.sgd(lr, momentum, nesterov): momentum=0 is plain (mini-batch) SGD.

    lr may be a schedule `step -> lr`, read at the step count before this update.
    """

    def init(params):
        velocity = () if momentum is None else jax.tree.map(jnp.zeros_like, params)
        return SGDState(jnp.zeros((), jnp.int32), velocity)

    def update(grads, state, params=None):
        rate = learning_rate_at(lr, state.step)
        if momentum is None:
            return jax.tree.map(lambda g: -rate * g, grads), SGDState(state.step + 1, ())
        velocity = jax.tree.map(lambda v, g: momentum * v + g, state.velocity, grads)
        if nesterov:
            direction = jax.tree.map(lambda v, g: g + momentum * v, velocity, grads)
        else:
            direction = velocity
        updates = jax.tree.map(lambda d: -rate * d, direction)
        return updates, SGDState(state.step + 1, velocity)

    return GradientTransformation(init, update)
