"""Batch normalization (Ioffe & Szegedy 2015): normalise each feature over the batch.

Train mode, with the statistics of this batch (the biased variance, as flax):
    mu = mean(x),  var = mean((x - mu)^2)      over every axis but the feature axis
    y = scale * (x - mu) / sqrt(var + eps) + bias
    running_mean <- momentum * running_mean + (1 - momentum) * mu        (same for var)
Eval mode uses the running averages in place of mu and var and leaves them unchanged, so an
example's output no longer depends on the rest of its batch.

`scale` and `bias` are trainable params; the running averages are not trained, they are the
model's state, kept outside the params (`TrainState.model_state`) and checkpointed with them.
The conventions (momentum, eps, axis) are flax.linen.BatchNorm's; PyTorch's `momentum` is
our `1 - momentum`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def init_batch_norm(n_features: int) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
    """(params, state): params {"scale": ones, "bias": zeros}, state {"mean": zeros, "var": ones},
    each (n_features,). At init, eval mode is y = x / sqrt(1 + eps)."""
    params = {"scale": jnp.ones((n_features,)), "bias": jnp.zeros((n_features,))}
    state = {"mean": jnp.zeros((n_features,)), "var": jnp.ones((n_features,))}
    return params, state


def batch_norm(
    params: dict[str, jax.Array],
    state: dict[str, jax.Array],
    x: jax.Array,
    *,
    train: bool,
    momentum: float = 0.9,
    eps: float = 1e-5,
    axis: int = -1,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Takes a batch (its statistics are the point): x -> (y, new_state), y of x's shape.

    x: (batch, features) or (batch, height, width, channels) with axis=-1 (statistics over
    batch, height and width); any layout whose feature axis is `axis`.
    params, state: leaves (features,). train=False returns `state` itself, unchanged.
    """
    axis = axis % x.ndim
    reduce_axes = tuple(a for a in range(x.ndim) if a != axis)
    feature_shape = [1] * x.ndim
    feature_shape[axis] = x.shape[axis]  # broadcasts (features,) against x

    if train:
        mean = jnp.mean(x, axis=reduce_axes)  # (features,)
        var = jnp.mean((x - mean.reshape(feature_shape)) ** 2, axis=reduce_axes)  # (features,)
        # the running averages are statistics, not a function of params to differentiate
        new_state = jax.lax.stop_gradient(
            {
                "mean": momentum * state["mean"] + (1 - momentum) * mean,
                "var": momentum * state["var"] + (1 - momentum) * var,
            }
        )
    else:
        mean, var, new_state = state["mean"], state["var"], state

    x_hat = (x - mean.reshape(feature_shape)) * jax.lax.rsqrt(var.reshape(feature_shape) + eps)
    y = params["scale"].reshape(feature_shape) * x_hat + params["bias"].reshape(feature_shape)
    return y, new_state
