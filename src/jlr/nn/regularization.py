"""Regularization terms added to a training loss: the L2 penalty (weight decay in the loss).

    L_reg(theta) = L(theta) + weight_decay * l2_penalty(theta),   l2_penalty = ||theta||^2 / 2
    grad L_reg = grad L + weight_decay * theta

With plain SGD this is exactly decoupled weight decay: theta <- theta - lr grad L - lr
weight_decay theta, the decay scaled by the learning rate as in optax and `jlr.optim.adamw`.
With Adam it is not: the decay gradient is divided by sqrt(v_hat) like every other gradient,
so weights with large gradients are barely decayed; AdamW (`jlr.optim.adamw`) adds
lr * weight_decay * theta after the adaptive scaling instead (Loshchilov & Hutter 2019).
Dropout, the other regularizer of a layer, is a layer: `jlr.nn.dropout`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def l2_penalty(params: Any) -> jax.Array:
    """||theta||^2 / 2 summed over every leaf of a pytree -> (); its gradient is params itself.

    Pass only the subtree to decay (commonly the weights, not biases or norm scales).
    """
    return sum((jnp.sum(leaf**2) for leaf in jax.tree.leaves(params)), jnp.zeros(())) / 2
