"""Optimizers from scratch, in optax's shape: `init(params) -> state`,
`update(grads, state, params) -> (updates, state)`, so optax is their test oracle."""

from jlr.optim.adam import adam, adamw
from jlr.optim.base import GradientTransformation, apply_updates, chain
from jlr.optim.sgd import sgd

__all__ = ["GradientTransformation", "adam", "adamw", "apply_updates", "chain", "sgd"]
