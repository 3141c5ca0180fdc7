"""`vmap`: write a function for one example, and let JAX add the batch axis.

vmap(f, in_axes, out_axes) maps f over an axis of each argument (None = broadcast that
argument). Two uses that change what is possible:
- per-example gradients: vmap(grad(loss), in_axes=(None, 0, 0)) -> one gradient per example,
  the ingredient of differential privacy and of gradient-noise measurements;
- ensembles: vmap over a stacked parameter pytree trains n models in one program.
Source: JAX docs, "Automatic vectorization"; Kidger, equinox ensembles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import softmax_cross_entropy
from jlr.optim.base import GradientTransformation, apply_updates


def example_loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    """Cross-entropy of an MLP on ONE example.  x: (d_in,), y: () int -> ()."""
    return softmax_cross_entropy(mlp(params, x), y)


def per_example_grads(params: Any, x: jax.Array, y: jax.Array) -> Any:
    """One gradient per example: leaves gain a leading (batch,) axis.  x: (batch, d_in)."""
    return jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(params, x, y)


def batch_loss(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    """Mean of example_loss over the batch, batched by vmap.  x: (batch, d_in) -> ()."""
    return jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(params, x, y))


def pairwise_distances(a: jax.Array, b: jax.Array) -> jax.Array:
    """||a_i - b_j|| from a one-pair function by two vmaps.  a: (n, d), b: (m, d) -> (n, m)."""
    distance = lambda u, v: jnp.sqrt(jnp.sum((u - v) ** 2))
    return jax.vmap(jax.vmap(distance, in_axes=(None, 0)), in_axes=(0, None))(a, b)


def init_ensemble(key: jax.Array, n_models: int, layer_sizes: Sequence[int]) -> Any:
    """n_models MLPs stacked: every leaf gains a leading (n_models,) axis."""
    return jax.vmap(lambda k: init_mlp(k, layer_sizes))(jax.random.split(key, n_models))


def make_ensemble_step(optimizer: GradientTransformation) -> Callable:
    """(params, opt_state, x, y) -> (params, opt_state, losses (n_models,)), for stacked models.

    Every model sees the same batch; vmap maps over the model axis of params and opt_state.
    """

    def one_model_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(batch_loss)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return apply_updates(params, updates), opt_state, loss

    return jax.jit(jax.vmap(one_model_step, in_axes=(0, 0, None, None)))
