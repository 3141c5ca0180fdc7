r"""Training one size of the family on a fixed number of steps, and scoring it per window.

Each size trains with the transformer project's recipe (`jlr.projects.transformer.training`:
AdamW with decay on the matrices only, clipping, warmup (at most a tenth of the run) then
cosine decay to min_lr_ratio * lr over exactly the run's steps) on the same character
windows in the same order (`jlr.data.batches.batch_rows` with one data seed), so sizes
differ in nothing but their shape and learning rate. `steps_per_call` steps run per jitted
call (`lax.scan`), in chunks of equal length, so each size compiles its step once.

The score is the cross-entropy on each of n_windows held-out windows, (n_windows,): their
mean is the validation loss and std / sqrt(n_windows) its standard error (the windows do not
overlap, so they are treated as independent draws of held-out text); `fit.bootstrap_fit`
resamples them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jlr.data.batches import batch_rows
from jlr.models.transformer import TransformerConfig, init_transformer, transformer
from jlr.probability.cross_entropy import softmax_cross_entropy
from jlr.projects.scaling_laws.family import embedding_params, non_embedding_params
from jlr.projects.transformer.data import Windows, make_window_batch
from jlr.projects.transformer.training import make_loss_fn, make_optimizer
from jlr.train import init_train_state, make_multi_step, make_train_step

EVAL_BATCH = 64  # validation windows per vmapped chunk


def chunk_lengths(steps: int, steps_per_call: int) -> list[int]:
    """Split `steps` into equal chunks of at most steps_per_call (one compile), using the
    largest divisor of steps in [steps_per_call / 2, steps_per_call]; without one, full
    chunks and a shorter last one (two compiles)."""
    if steps <= steps_per_call:
        return [steps]
    for length in range(steps_per_call, max(steps_per_call // 2, 1) - 1, -1):
        if steps % length == 0:
            return [length] * (steps // length)
    full, rest = divmod(steps, steps_per_call)
    return [steps_per_call] * full + ([rest] if rest else [])


def make_window_losses(model: TransformerConfig):
    """window_losses(params, x, y) -> (n_windows,): each window's mean next-character
    cross-entropy in nats.  x, y: (n_windows, seq) int32. Jitted; EVAL_BATCH windows at a
    time."""

    def one_window(params, xy):
        logits = transformer(params, xy[0][None], model)  # (1, seq, vocab)
        return jnp.mean(softmax_cross_entropy(logits, xy[1][None]))

    @jax.jit
    def window_losses(params, x, y):
        return jax.lax.map(lambda xy: one_window(params, xy), (x, y), batch_size=EVAL_BATCH)

    return window_losses


def train_size(
    key: jax.Array,
    model: TransformerConfig,
    windows: Windows,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    min_lr_ratio: float = 0.1,
    warmup_steps: int = 50,
    weight_decay: float = 0.1,
    grad_clip: float = 1.0,
    data_seed: int = 0,
    steps_per_call: int = 50,
    stop_requested: Callable[[], bool] = lambda: False,
) -> tuple[dict, dict] | None:
    """Train a fresh model of shape `model` for `steps` steps; (params, record), or None when
    stop_requested() turned true between two chunks (nothing is kept).

    The rate warms up over min(warmup_steps, steps // 10) steps: a short run (an IsoFLOP
    run of a large size) is not spent mostly warming up.
    key: split into the initialisation and the step keys. windows: the training windows
    (`jlr.projects.transformer.data.training_windows`). x_val, y_val: (n_windows, seq).
    record: n_params (N, non-embedding), embedding_params, steps, tokens (D = steps * batch
    * seq, the characters predicted), lr, diverged (a step's loss or gradient turned NaN/Inf:
    training stopped there, at the last good parameters), curve {"tokens", "train_loss"}
    (one point per chunk, the mean of its finite minibatch losses; None when it had none),
    window_losses (n_windows,), val_loss, val_se,
    seconds (compiling included).
    """
    started = time.perf_counter()
    init_key, train_key = jax.random.split(key)
    params = init_transformer(init_key, model)
    optimizer = make_optimizer(
        lr=lr,
        min_lr=min_lr_ratio * lr,
        warmup_steps=min(warmup_steps, steps // 10),
        steps=steps,
        weight_decay=weight_decay,
        b2=0.99,
        grad_clip=grad_clip,
    )
    state = init_train_state(params, optimizer, train_key)
    train_step = make_train_step(make_loss_fn(model), optimizer)
    multi_step = jax.jit(make_multi_step(train_step, make_window_batch(model.block_size)))
    data = jax.device_put(windows)
    tokens_per_step = batch_size * model.block_size
    curve = {"tokens": [], "train_loss": []}
    step, diverged = 0, False
    for length in chunk_lengths(steps, steps_per_call):
        if stop_requested():
            return None
        rows = batch_rows(
            step, length, seed=data_seed, n=len(windows.starts), batch_size=batch_size
        )
        state, metrics = multi_step(state, data, jnp.asarray(rows))
        step += length
        finite = np.asarray(metrics["finite"])  # steps after a NaN/Inf changed nothing
        diverged = diverged or not finite.all()
        curve["tokens"].append(step * tokens_per_step)
        chunk_loss = np.asarray(metrics["loss"])[finite]
        curve["train_loss"].append(float(chunk_loss.mean()) if finite.any() else None)
    losses = np.asarray(make_window_losses(model)(state.params, x_val, y_val), np.float64)
    record = {
        "n_params": non_embedding_params(state.params),
        "embedding_params": embedding_params(state.params),
        "steps": steps,
        "tokens": steps * tokens_per_step,
        "lr": lr,
        "diverged": diverged,
        "curve": curve,
        "window_losses": losses.tolist(),
        "val_loss": float(losses.mean()),
        "val_se": float(losses.std(ddof=1) / np.sqrt(len(losses))),
        "seconds": time.perf_counter() - started,
    }
    return state.params, record
