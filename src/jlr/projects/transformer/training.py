"""The transformer project's optimizer, loss and evaluation (nanoGPT's recipe).

Two evaluations: `make_evaluate`, the mean loss per token over fixed validation windows
(during training, nanoGPT's estimate), and `make_text_nats`, the total loss over the whole
validation text (at the end), from which bits per character compare tokenizers.

AdamW (b2 = 0.99) with decoupled weight decay on the weight matrices and embeddings only
(biases and layer-norm parameters are not decayed: pulling a norm's scale toward 0 is not
regularisation), the global gradient norm clipped to `grad_clip` first, and a learning rate
warmed up linearly from 0 then decayed along a cosine to `min_lr`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jlr.models.transformer import TransformerConfig, lm_loss, transformer
from jlr.nn.causal_lm import total_nats
from jlr.optim import adamw, chain
from jlr.optim.base import GradientTransformation
from jlr.optim.schedules import warmup_cosine_decay


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """g <- g * max_norm / ||g|| when ||g|| > max_norm (||g|| over every leaf), as optax's."""

    def init(params):
        del params
        return ()

    def update(grads, state, params=None):
        del params
        norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grads)))
        scale = jnp.where(norm < max_norm, 1.0, max_norm / norm)
        return jax.tree.map(lambda g: g * scale, grads), state

    return GradientTransformation(init, update)


def decay_matrices_only(optimizer: GradientTransformation) -> GradientTransformation:
    """The optimizer with its weight decay seeing 0 for every parameter of fewer than 2 axes
    (biases, layer norms), so only matrices and embedding tables are decayed."""

    def update(grads, state, params=None):
        if params is not None:
            params = jax.tree.map(lambda p: p if p.ndim >= 2 else jnp.zeros_like(p), params)
        return optimizer.update(grads, state, params)

    return GradientTransformation(optimizer.init, update)


def make_optimizer(
    *,
    lr: float,
    min_lr: float,
    warmup_steps: int,
    steps: int,
    weight_decay: float,
    b2: float,
    grad_clip: float,
) -> GradientTransformation:
    """Clip (grad_clip > 0), then AdamW on a warmup-cosine schedule 0 -> lr -> min_lr.

    A run shorter than its warmup warms up over steps - 1 steps instead.
    """
    warmup = min(warmup_steps, steps - 1)
    schedule = warmup_cosine_decay(0.0, lr, warmup, steps, min_lr)
    adam = decay_matrices_only(adamw(schedule, b1=0.9, b2=b2, weight_decay=weight_decay))
    return chain(clip_by_global_norm(grad_clip), adam) if grad_clip > 0 else adam


def make_loss_fn(model: TransformerConfig):
    """loss_fn(params, batch, key) -> (loss, {}) for `jlr.train.make_train_step`; the step's
    key drives dropout (and is ignored when model.dropout is 0)."""

    def loss_fn(params, batch, key):
        dropout_key = key if model.dropout > 0 else None
        return lm_loss(params, batch["x"], batch["y"], model, key=dropout_key), {}

    return loss_fn


def make_evaluate(model: TransformerConfig, x_val: np.ndarray, y_val: np.ndarray, batch: int):
    """evaluate(params, model_state) -> {"val_loss": mean cross-entropy over the validation
    windows x_val, y_val (n, T)}, `batch` windows at a time (n must be a multiple of it)."""
    n_windows, block = x_val.shape
    x = jnp.asarray(x_val).reshape(n_windows // batch, batch, block)  # (n_chunks, batch, T)
    y = jnp.asarray(y_val).reshape(n_windows // batch, batch, block)

    @jax.jit
    def evaluate(params, model_state):
        del model_state  # the transformer keeps no running statistics

        def chunk_loss(xy):
            return lm_loss(params, xy[0], xy[1], model)

        return {"val_loss": jnp.mean(jax.lax.map(chunk_loss, (x, y)))}

    return evaluate


def whole_text_windows(ids: np.ndarray, block_size: int, batch: int):
    """Every target of a text once: ids (n,) -> x, y, weights (n_chunks, batch, T).

    The n - 1 targets ids[1:] are cut into consecutive windows of T = block_size (each
    window's first target sees one token of context, its last T); the last window and the
    last chunk are padded with weight 0, so padding never counts.
    """
    n_targets = len(ids) - 1
    per_chunk = batch * block_size
    n_chunks = -(-n_targets // per_chunk)  # ceil
    padded = n_chunks * per_chunk
    x = np.zeros(padded, np.int32)
    y = np.zeros(padded, np.int32)
    x[:n_targets], y[:n_targets] = ids[:-1], ids[1:]
    weights = (np.arange(padded) < n_targets).astype(np.float32)
    shape = (n_chunks, batch, block_size)
    return x.reshape(shape), y.reshape(shape), weights.reshape(shape)


def make_text_nats(model: TransformerConfig, ids: np.ndarray, batch: int):
    """text_nats(params) -> the summed loss in nats over every target of the text ids (n,)
    (`whole_text_windows`), batch windows per step of a `lax.map`; n - 1 targets scored."""
    x, y, weights = (jnp.asarray(a) for a in whole_text_windows(ids, model.block_size, batch))

    @jax.jit
    def text_nats(params):
        def chunk_nats(chunk):
            x_c, y_c, w_c = chunk
            return total_nats(transformer(params, x_c, model), y_c, w_c)

        return jnp.sum(jax.lax.map(chunk_nats, (x, y, weights)))

    return text_nats
