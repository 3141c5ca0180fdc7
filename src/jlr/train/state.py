"""The training state: everything a step reads and writes, as one pytree.

`params` are what the optimizer trains; `model_state` is what the model updates itself
without gradients (batch norm's running mean and variance, an EMA of the weights, ...).
Both are checkpointed, resumed and rolled back together with the optimizer state.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation


class TrainState(NamedTuple):
    params: Any  # the model's trainable parameter pytree
    model_state: Any  # non-trainable state the forward pass updates, e.g. running statistics
    opt_state: Any  # the optimizer's state pytree
    key: jax.Array  # typed PRNG key; step t uses fold_in(key, t), so no key is ever reused
    step: jax.Array  # int32, shape (): optimizer steps taken, also the data position


def init_train_state(
    params: Any, optimizer: GradientTransformation, key: jax.Array, *, model_state: Any = None
) -> TrainState:
    """The state at step 0; model_state=None means a model without one (the empty dict)."""
    model_state = {} if model_state is None else model_state
    return TrainState(params, model_state, optimizer.init(params), key, jnp.zeros((), jnp.int32))
