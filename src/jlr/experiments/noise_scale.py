"""SGD's noise scale and the minimum it finds (implicit regularization by stochasticity).

One SGD step moves by -lr g_B = -lr g - lr (g_B - g); the noise term has covariance
lr^2 Sigma / B, so over the ~1 / lr steps it takes to cross a fixed distance the injected
noise scales like lr / B: the noise scale (Smith & Le 2018; Jastrzebski et al. 2018). A
larger lr / B cannot settle in a sharp minimum (one with a large top Hessian eigenvalue) and
also, for full-batch GD, a step lr is only stable where the sharpness is below 2 / lr
(Cohen et al. 2021). This module trains the MNIST-1D MLP with a given optimizer and batch
size and reports what the study plots: train loss, test accuracy and sharpness
(`jlr.landscape.sharpness`).

Run by lesson 04 (`lessons/04_optimization.py`): section 1 (full batch vs minibatch),
section 3 (the noise-scale study) and section 8 (the minima different optimizers reach).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jlr.landscape.sharpness import top_hessian_eigenvalue
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.optim.base import GradientTransformation
from jlr.optim.sgd import sgd
from jlr.train import init_train_state, make_multi_step, make_train_step


def mlp_loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    """The training objective, the mean cross-entropy of the MLP's logits.

    L = mean_i -log softmax(mlp(x_i))_{y_i}.  x: (batch, d_in), y: (batch,) int -> ()
    """
    return jnp.mean(softmax_cross_entropy(mlp(params, x), y))  # (batch,) -> ()


def _loss_fn(params, batch, key):
    return mlp_loss(params, batch["x"], batch["y"]), {}


def train_mlp_classifier(
    key: jax.Array,
    optimizer: GradientTransformation,
    x: jax.Array,
    y: jax.Array,
    *,
    batch_size: int,
    n_steps: int,
    hidden: Sequence[int] = (64,),
    n_classes: int | None = None,
) -> Any:
    """Train an MLP (d_in, *hidden, n_classes) with `optimizer`: batches drawn with replacement
    per step (batch_size == len(x) means full-batch gradient descent). -> params.

    Pure and traceable: wrap it in jax.jit (or vmap it over learning rates, as
    `sgd_noise_scale_runs` does). n_classes defaults to y.max() + 1, read from a concrete y.
    """
    init_key, data_key = jax.random.split(key)
    n_classes = int(np.max(y)) + 1 if n_classes is None else n_classes
    params = init_mlp(init_key, (x.shape[1], *hidden, n_classes))
    state = init_train_state(params, optimizer, data_key)
    if batch_size >= x.shape[0]:
        indices = jnp.broadcast_to(jnp.arange(x.shape[0]), (n_steps, x.shape[0]))
    else:
        indices = jax.random.randint(data_key, (n_steps, batch_size), 0, x.shape[0])
    multi_step = make_multi_step(make_train_step(_loss_fn, optimizer))  # jit by the caller
    state, _ = multi_step(state, {"x": x, "y": y}, indices)
    return state.params


@functools.partial(jax.jit, static_argnames="n_power_iters")
def minimum_metrics(
    key: jax.Array, params: Any, x_train, y_train, x_test, y_test, n_power_iters: int = 20
) -> dict[str, jax.Array]:
    """{"train_loss", "train_acc", "test_acc", "sharpness"} at params, as arrays (jitted:
    one compile serves every run of the same shapes). Sharpness is the top eigenvalue of the
    Hessian of the full training loss."""
    sharpness, _ = top_hessian_eigenvalue(
        key, lambda p: mlp_loss(p, x_train, y_train), params, n_power_iters
    )
    return {
        "train_loss": mlp_loss(params, x_train, y_train),
        "train_acc": accuracy(mlp(params, x_train), y_train),
        "test_acc": accuracy(mlp(params, x_test), y_test),
        "sharpness": sharpness,
    }


def describe_minimum(
    key: jax.Array, params: Any, x_train, y_train, x_test, y_test, n_power_iters: int = 20
) -> dict[str, float]:
    """`minimum_metrics` as Python floats, for tables and plots."""
    metrics = minimum_metrics(key, params, x_train, y_train, x_test, y_test, n_power_iters)
    return {name: float(value) for name, value in metrics.items()}


def sgd_noise_scale_runs(
    key: jax.Array,
    x: jax.Array,
    y: jax.Array,
    lrs: Sequence[float],
    batch_size: int,
    *,
    train_time: float,
    hidden: Sequence[int] = (64,),
) -> Any:
    """Plain SGD at every lr in lrs for the same 'time' lr * steps = train_time, same init.

    Equal time makes runs comparable: gradient flow moves the same distance, and only the
    noise (lr / B) differs. Run i takes round(train_time / lr_i) steps; all runs train at
    once with vmap for the longest run's steps, a run's lr dropping to 0 after its own
    budget. -> params with a leading (len(lrs),) axis on every leaf.
    """
    n_classes = int(np.max(y)) + 1
    budgets = [round(train_time / lr) for lr in lrs]

    def train_one(lr, budget, x, y):
        optimizer = sgd(lambda step: jnp.where(step < budget, lr, 0.0))
        return train_mlp_classifier(
            key,
            optimizer,
            x,
            y,
            batch_size=batch_size,
            n_steps=max(budgets),
            hidden=hidden,
            n_classes=n_classes,
        )

    train_all = jax.jit(jax.vmap(train_one, in_axes=(0, 0, None, None)))
    return train_all(jnp.asarray(lrs, jnp.float32), jnp.asarray(budgets), x, y)
