"""Reference solutions to lesson 08's exercises (``exercises/08_computer_vision.py``).

Where the library computes what an exercise asks for (`jlr.nn.batch_norm`,
`jlr.nn.layer_norm`, `jlr.nn.dropout`, `jlr.optim.adamw`,
`jlr.experiments.feature_hierarchy`), the solution calls it, adapting only the signature:
the concept is written once, in the module named for it, and tested there against flax and
optax. The two statistics, which the library does not have, are written out.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from jlr.experiments.feature_hierarchy import top_k_examples, unit_responses
from jlr.nn.batch_norm import batch_norm
from jlr.nn.dropout import dropout
from jlr.nn.layer_norm import layer_norm as jlr_layer_norm
from jlr.optim import adamw
from jlr.optim.adam import AdamState


def top_k_activating(activations: jax.Array, unit: int, k: int) -> jax.Array:
    """Max over positions, then the k largest responses of channel `unit`. -> (k,)"""
    return top_k_examples(unit_responses(activations), k)[unit]


def batch_norm_train(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
    """Batch statistics over every axis but the last; running averages updated."""
    params = {"scale": scale, "bias": bias}
    state = {"mean": running_mean, "var": running_var}
    y, new_state = batch_norm(params, state, x, train=True, momentum=momentum, eps=eps)
    return y, new_state["mean"], new_state["var"]


def batch_norm_eval(x, scale, bias, running_mean, running_var, eps=1e-5):
    """Normalize with the running averages."""
    params = {"scale": scale, "bias": bias}
    state = {"mean": running_mean, "var": running_var}
    return batch_norm(params, state, x, train=False, eps=eps)[0]


def layer_norm(x, scale, bias, eps=1e-5):
    """Statistics over the last axis of each token."""
    return jlr_layer_norm({"scale": scale, "bias": bias}, x, eps=eps)


def inverted_dropout(key: jax.Array, x: jax.Array, drop_prob: float, train: bool) -> jax.Array:
    """Mask with keep probability 1 - drop_prob, survivors divided by it; identity in eval."""
    return dropout(x, drop_prob, key=key if train else None)


def adamw_update(grad, param, m, v, step: int, lr: float, weight_decay: float,
                 b1=0.9, b2=0.999, eps=1e-8):  # fmt: skip
    """`jlr.optim.adamw` from the state (step - 1 steps taken, m, v)."""
    optimizer = adamw(lr, b1, b2, eps, weight_decay=weight_decay)
    state = AdamState(jnp.asarray(step - 1, jnp.int32), m, v)
    update, state = optimizer.update(grad, state, param)
    return update, state.m, state.v


def welch_t(a, b):
    """t = (mean a - mean b) / sqrt(u + w), Welch-Satterthwaite df, u = s_a^2 / n_a."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    u, w = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(u + w)
    df = (u + w) ** 2 / (u**2 / (len(a) - 1) + w**2 / (len(b) - 1))
    return t, df


def paired_difference_ci(a, b, confidence: float = 0.95):
    """mean(d) -+ t_{(1 + confidence)/2, n-1} std(d, ddof=1) / sqrt(n), d = a - b."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    half = stats.t.ppf((1 + confidence) / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean() - half, d.mean() + half
