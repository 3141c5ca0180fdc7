"""A complete training loop by hand: init, batches, loss, grad, update, evaluate.

    for t in 0 .. T-1:
        batch_t = rows batch_indices(t) of the data     (a pure function of (seed, t))
        key_t   = fold_in(key, t)                        (dropout key of step t)
        g_t     = grad L(params_t; batch_t, key_t)
        params_{t+1} = params_t - lr g_t                 (SGD, written with tree.map)

Everything is explicit; the only library calls are the model and the loss. With the same
batches, keys and learning rate `jlr.train` (make_train_step + sgd) gives the same
parameters: the library loop is this loop plus logging, checkpoints and `lax.scan`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jlr.data.batches import batch_indices
from jlr.models.mlp import mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy

PyTree = Any


def classification_loss(
    params: PyTree, batch: dict[str, jax.Array], key: jax.Array | None, drop_prob: float = 0.0
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean cross-entropy of the MLP on a batch, and its accuracy as aux.

    batch: {"x": (batch, d_in), "y": (batch,) int} -> ((), {"accuracy": ()})
    """
    logits = mlp(params, batch["x"], drop_prob=drop_prob, key=key)  # (batch, n_classes)
    loss = jnp.mean(jax.vmap(softmax_cross_entropy)(logits, batch["y"]))
    return loss, {"accuracy": accuracy(logits, batch["y"])}


def make_sgd_step(loss_fn: Callable, lr: float) -> Callable:
    """(params, batch, key) -> (params, loss): one jitted step of plain SGD."""

    @jax.jit
    def step(params, batch, key):
        (loss, _aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch, key)
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), loss

    return step


def train_by_hand(
    params: PyTree,
    loss_fn: Callable,
    data: dict[str, np.ndarray],
    *,
    key: jax.Array,
    lr: float,
    batch_size: int,
    n_steps: int,
    data_seed: int,
) -> tuple[PyTree, np.ndarray]:
    """n_steps of SGD over shuffled mini-batches; -> (params, losses (n_steps,))."""
    step = make_sgd_step(loss_fn, lr)
    n_examples = len(data["y"])
    losses = []
    for t in range(n_steps):
        rows = batch_indices(t, seed=data_seed, n=n_examples, batch_size=batch_size)
        batch = {name: jnp.asarray(array[rows]) for name, array in data.items()}
        params, loss = step(params, batch, jax.random.fold_in(key, t))
        losses.append(float(loss))
    return params, np.array(losses)
