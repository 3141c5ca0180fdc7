"""Optimizers from scratch, in optax's shape: `init(params) -> state`,
`update(grads, state, params) -> (updates, state)`, so optax is their test oracle.

Optimizers:  sgd (plain, heavy-ball, Nesterov), rmsprop, adam, adamw
Schedules:   constant_schedule, step_decay, exponential_decay, cosine_decay,
             warmup_cosine_decay, one_cycle
"""

from jlr.optim.adam import adam, adamw
from jlr.optim.base import GradientTransformation, apply_updates, chain
from jlr.optim.rmsprop import rmsprop
from jlr.optim.schedules import (
    constant_schedule,
    cosine_decay,
    exponential_decay,
    one_cycle,
    step_decay,
    warmup_cosine_decay,
)
from jlr.optim.sgd import sgd

__all__ = [
    "GradientTransformation",
    "adam",
    "adamw",
    "apply_updates",
    "chain",
    "constant_schedule",
    "cosine_decay",
    "exponential_decay",
    "one_cycle",
    "rmsprop",
    "sgd",
    "step_decay",
    "warmup_cosine_decay",
]
