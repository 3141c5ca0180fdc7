"""Optimizers from scratch, in optax's shape: `init(params) -> state`,
`update(grads, state, params) -> (updates, state)`, so optax is their test oracle.

Optimizers:  sgd (plain, heavy-ball, Nesterov), rmsprop, adam, adamw
By name:     make_optimizer(name, lr), OPTIMIZER_NAMES (lr may be traced: sweeps vmap over it)
Schedules:   constant_schedule, step_decay, exponential_decay, cosine_decay,
             warmup_cosine_decay, one_cycle
Behaviour:   trajectory (an optimizer's path on a function), quadratic_convergence
             (iterations to converge on x^T A x / 2 vs the condition number)
"""

from jlr.optim.adam import adam, adamw
from jlr.optim.base import GradientTransformation, apply_updates, chain
from jlr.optim.by_name import OPTIMIZER_NAMES, make_optimizer
from jlr.optim.quadratic_convergence import iterations_to_converge
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
from jlr.optim.trajectory import trajectory

__all__ = [
    "OPTIMIZER_NAMES",
    "GradientTransformation",
    "adam",
    "adamw",
    "apply_updates",
    "chain",
    "constant_schedule",
    "cosine_decay",
    "exponential_decay",
    "iterations_to_converge",
    "make_optimizer",
    "one_cycle",
    "rmsprop",
    "sgd",
    "step_decay",
    "trajectory",
    "warmup_cosine_decay",
]
