"""Lesson 10 exercises, the projects: run `jlr check 10`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy and
numpy. The checker runs your functions on fixed random inputs and compares them with
independent oracles (a layer-by-layer numpy product, an enumeration of every subset, a
per-filter numpy loop); `jlr progress` shows what you have done.
"""

import jax
import jax.numpy as jnp
import numpy as np


def attention_rollout(weights: jax.Array) -> jax.Array:
    """Attention rollout (Abnar & Zuidema 2020): how much each output position draws on each
    input position through ALL the layers, residual connections included.

    weights: (n_layer, n_head, seq, seq), weights[l, h, i, j] = how much query i attends to
    key j in head h of layer l (rows sum to 1). Per layer, average the heads and add the
    residual path as an identity, with equal weight:
        A_l = 0.5 * mean_h weights[l, h] + 0.5 * I          (rows still sum to 1)
    then compose the layers, the FIRST layer acting first on the input:
        R = A_{L-1} @ ... @ A_1 @ A_0
    -> R (seq, seq), R[i, j] = the share of input token j in output position i; rows sum to 1.
    """
    raise NotImplementedError


def expected_best_of_k(losses, k: int) -> float:
    """The expected best (lowest) final loss when a study can afford k of its n runs.

    losses: (n,) finite final losses of n configurations (for example one optimizer at n
    learning rates). Draw k DISTINCT configurations uniformly at random (without
    replacement) and keep the best one: return E[min of the k drawn losses], exactly (no
    sampling). Sort the losses, v_(1) <= ... <= v_(n); the best of the draw is v_(i) when
    v_(i) is drawn and none of v_(1..i-1) is:
        P(best = v_(i)) = [C(n - i + 1, k) - C(n - i, k)] / C(n, k)
    k = 1 gives the mean loss, k = n the lowest. This is how a study compares optimizers at
    EQUAL tuning budgets (Dodge et al. 2019, "Show your work").
    """
    raise NotImplementedError


def filter_normalize(direction: dict, params: dict) -> dict:
    """Li et al. (2018)'s filter normalization of a direction in parameter space.

    direction, params: dicts of arrays with the same keys and shapes. In every leaf with 2
    or more axes a FILTER is a slice on the LAST axis (a column of a (d_in, d_out) weight,
    kernel[..., o] of a (k_h, k_w, c_in, c_out) kernel). Rescale each filter of the
    direction to the norm of the same filter of the parameters:
        d_f <- d_f / |d_f| * |theta_f|        (norms over every axis but the last)
    Leaves with fewer than 2 axes (biases, norm scales) get a zero direction.
    -> a dict like direction.
    """
    raise NotImplementedError
