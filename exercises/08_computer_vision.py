"""Lesson 08 exercises, computer vision (advanced): run `jlr check 08`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy (and
scipy.stats for a t quantile where a docstring says so). The checker runs your functions on
fixed random inputs and compares them with flax's BatchNorm and LayerNorm, optax's adamw,
scipy's t-tests and numpy; `jlr progress` shows what you have done.
"""

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats


def top_k_activating(activations: jax.Array, unit: int, k: int) -> jax.Array:
    """The k examples that activate one unit of a conv layer most, most activating first.

    activations: (n, height, width, channels), a layer's output for n examples; a unit is
    one channel. Its response to example i is its LARGEST activation over the positions:
        response[i] = max_{h, w} activations[i, h, w, unit]
    -> (k,) int indices into the n examples, by decreasing response.
    """
    raise NotImplementedError


def batch_norm_train(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
    """Batch norm in TRAIN mode, with the update of the running averages (flax's convention).

    x: (batch, features) or (batch, height, width, channels): statistics per feature (the
    last axis) over EVERY other axis (batch, and the positions of an image):
        mu = mean(x),  var = mean((x - mu)^2)          (biased: divide by the count)
        y = scale * (x - mu) / sqrt(var + eps) + bias
        new_running_mean = momentum * running_mean + (1 - momentum) * mu     (same for var)
    scale, bias, running_mean, running_var: (features,)
    -> (y like x, new_running_mean (features,), new_running_var (features,))
    """
    raise NotImplementedError


def batch_norm_eval(x, scale, bias, running_mean, running_var, eps=1e-5):
    """Batch norm in EVAL mode: normalize with the running averages, not the batch's.

    y = scale * (x - running_mean) / sqrt(running_var + eps) + bias
    x: (batch, ..., features); the others (features,) -> y like x. Each example's output
    depends on that example alone.
    """
    raise NotImplementedError


def layer_norm(x, scale, bias, eps=1e-5):
    """Layer norm: normalize each token over its own features (the last axis).

    x: (..., d_model), e.g. (batch, seq, d_model); scale, bias: (d_model,)
        mu = mean(x, last axis),  var = mean((x - mu)^2, last axis)     (biased)
        y = scale * (x - mu) / sqrt(var + eps) + bias
    -> y like x; no statistic crosses tokens or examples.
    """
    raise NotImplementedError


def inverted_dropout(key: jax.Array, x: jax.Array, drop_prob: float, train: bool) -> jax.Array:
    """Inverted dropout: in training zero each element with probability drop_prob and divide
    the survivors by the keep probability 1 - drop_prob, so E[y] = x; in evaluation
    (train=False) return x unchanged.

    key: a jax.random key, used for the mask (a different key gives a different mask)
    x: any shape -> y like x
    """
    raise NotImplementedError


def adamw_update(grad, param, m, v, step: int, lr: float, weight_decay: float,
                 b1=0.9, b2=0.999, eps=1e-8):  # fmt: skip
    """One AdamW step: Adam on the loss gradient, then DECOUPLED weight decay (optax.adamw).

    m <- b1 m + (1 - b1) grad;   v <- b2 v + (1 - b2) grad^2     (grad: the loss gradient only)
    m_hat = m / (1 - b1^step);   v_hat = v / (1 - b2^step)       (step counts from 1)
    update = -lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * param)
    grad, param, m, v: (d,) -> (update (d,), new m (d,), new v (d,))
    """
    raise NotImplementedError


def welch_t(a, b):
    """Welch's t statistic and degrees of freedom for mean(a) - mean(b) (unequal variances).

    With s^2 the unbiased sample variances (ddof=1) and u = s_a^2 / n_a, w = s_b^2 / n_b:
        t = (mean(a) - mean(b)) / sqrt(u + w)
        df = (u + w)^2 / (u^2 / (n_a - 1) + w^2 / (n_b - 1))     (Welch-Satterthwaite)
    a: (n_a,), b: (n_b,), e.g. test accuracies of two settings over seeds -> (t, df)
    """
    raise NotImplementedError


def paired_difference_ci(a, b, confidence: float = 0.95):
    """Confidence interval of the mean difference of PAIRED runs (seed i of a with seed i of b).

    d = a - b (n,);  half = t_q * std(d, ddof=1) / sqrt(n),  t_q the quantile of Student's t
    with n - 1 degrees of freedom at (1 + confidence) / 2 (stats.t.ppf);
    -> (mean(d) - half, mean(d) + half)
    """
    raise NotImplementedError
