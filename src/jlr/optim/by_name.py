"""Optimizers by name, each built from a learning rate that may be a traced array.

A sweep over learning rates vmaps one training step over a vector of rates, so the rate
cannot be baked in as a Python float when the optimizer is built: `make_optimizer(name,
lr)` is called *inside* the vmapped step (`jlr.train.sweep`) with `lr` a traced scalar.
JLR's optimizers only multiply by `lr`, so they accept an array as readily as a float. The
only branch is on the name, a Python string; no hyperparameter value is ever tested here.
"""

from __future__ import annotations

import jax

from jlr.optim.adam import adam, adamw
from jlr.optim.base import GradientTransformation
from jlr.optim.rmsprop import rmsprop
from jlr.optim.sgd import sgd

OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")


def make_optimizer(
    name: str, lr: float | jax.Array, *, momentum: float = 0.9, weight_decay: float = 1e-2
) -> GradientTransformation:
    """The optimizer `name` with learning rate `lr` (a float or a traced scalar).

    sgd:       x <- x - lr g
    momentum:  v <- momentum v + g,  x <- x - lr v               (heavy ball)
    nesterov:  v <- momentum v + g,  x <- x - lr (g + momentum v)
    rmsprop:   nu <- 0.9 nu + 0.1 g^2,  x <- x - lr g / sqrt(nu + eps)
    adam:      bias-corrected moments, x <- x - lr m_hat / (sqrt(v_hat) + eps)
    adamw:     adam plus decoupled decay, x <- x - lr (m_hat / (sqrt(v_hat) + eps) + wd x)
    """
    if name == "sgd":
        return sgd(lr)
    if name == "momentum":
        return sgd(lr, momentum=momentum)
    if name == "nesterov":
        return sgd(lr, momentum=momentum, nesterov=True)
    if name == "rmsprop":
        return rmsprop(lr)
    if name == "adam":
        return adam(lr)
    if name == "adamw":
        return adamw(lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZER_NAMES)}")
