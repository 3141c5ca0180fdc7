"""The training state: everything a step reads and writes, as one pytree."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation


class TrainState(NamedTuple):
    params: Any  # the model's parameter pytree
    opt_state: Any  # the optimizer's state pytree
    key: jax.Array  # typed PRNG key; step t uses fold_in(key, t), so no key is ever reused
    step: jax.Array  # int32, shape (): optimizer steps taken, also the data position


def init_train_state(params: Any, optimizer: GradientTransformation, key: jax.Array) -> TrainState:
    return TrainState(params, optimizer.init(params), key, jnp.zeros((), jnp.int32))
