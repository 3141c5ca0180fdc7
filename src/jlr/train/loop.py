"""The training loop: jitted chunks of steps, evaluation, metrics, checkpoints, resume.

Everything that is not arithmetic (progress bar, logging, checkpointing) stays outside
`jit`. Batches are a pure function of (data_seed, step) (`jlr.data.batches.batch_rows`), so
a run resumed from the checkpoint at step s sees exactly the batches an uninterrupted run
sees from step s on, and ends with bitwise-identical parameters and model state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jlr import interrupt
from jlr.data.batches import batch_rows, steps_per_epoch
from jlr.errors import RunFolderError, TrainingDiverged
from jlr.train.checkpoint import load_checkpoint, save_checkpoint
from jlr.train.run_folder import CHECKPOINT, append_metrics, truncate_metrics
from jlr.train.state import TrainState
from jlr.train.step import gather_rows, make_multi_step

Evaluate = Callable[[Any, Any], dict[str, float]]  # (params, model_state) -> metrics


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[rate]} steps/s"),
        TimeRemainingColumn(),
        disable=not enabled,
    )


def _crossed(before: int, after: int, every: int, total: int) -> bool:
    """True when a multiple of `every` lies in (before, after], or the run just ended."""
    return after == total or (every > 0 and after // every > before // every)


def fit(
    state: TrainState,
    train_step: Callable,
    *,
    train_data: Any,
    batch_size: int,
    total_steps: int,
    data_seed: int,
    out_dir: Path,
    evaluate: Evaluate | None = None,
    eval_every: int = 100,
    checkpoint_every: int = 100,
    steps_per_call: int = 10,
    resume: bool = False,
    progress: bool = True,
    batch_from_indices: Callable = gather_rows,
) -> TrainState:
    """Train `state` for `total_steps` steps, writing metrics and checkpoints to `out_dir`.

    train_data: a pytree of arrays with a leading example axis (placed on the device once).
    evaluate(params, model_state) -> {"test_loss": ..., ...}, called every `eval_every` steps
    and at the end (model_state: e.g. the running statistics a batch-norm model evaluates with).
    Raises TrainingDiverged naming the step when a loss, a gradient or the model state turns
    NaN/Inf; the checkpoint on disk is then the last good one.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out_dir / CHECKPOINT
    n_examples = len(jax.tree.leaves(train_data)[0])
    if steps_per_epoch(n_examples, batch_size) == 0:
        raise RunFolderError(f"batch_size={batch_size} exceeds the {n_examples} training examples")
    if resume:
        state, metadata = load_checkpoint(checkpoint_path, state)
        if metadata.get("data_seed") != data_seed:
            raise RunFolderError(
                f"{checkpoint_path} was written with data seed {metadata.get('data_seed')}, "
                f"not {data_seed}; resume with the run's original --seed"
            )
        truncate_metrics(out_dir, int(state.step))
    train_data = jax.device_put(train_data)
    multi_step = jax.jit(make_multi_step(train_step, batch_from_indices))

    def checkpoint(state: TrainState) -> int:
        meta = {"step": int(state.step), "data_seed": data_seed, "total_steps": total_steps}
        save_checkpoint(checkpoint_path, state, meta)
        return int(state.step)

    # A fresh run is resumable from its first second: step 0 is on disk before compilation.
    saved_step = int(state.step) if resume else checkpoint(state)
    step = int(state.step)
    started = time.perf_counter()
    with _progress_bar(progress) as bar, interrupt.polling():
        task = bar.add_task("train", total=total_steps, completed=step, loss="-", rate="-")
        while step < total_steps:
            if interrupt.stop_requested():  # Ctrl-C: stop at this safe point, resumable
                saved_step = checkpoint(state) if int(state.step) != saved_step else saved_step
                raise interrupt.RunInterrupted(saved_step, checkpoint_path)
            n_steps = min(steps_per_call - step % steps_per_call, total_steps - step)
            indices = batch_rows(step, n_steps, seed=data_seed, n=n_examples, batch_size=batch_size)
            chunk_start = time.perf_counter()
            state, metrics = multi_step(state, train_data, jnp.asarray(indices))
            metrics = jax.device_get(metrics)
            seconds = time.perf_counter() - chunk_start
            finite = np.asarray(metrics.pop("finite"))
            if not finite.all():
                bad_step = step + int(np.argmin(finite))
                loss = float(np.asarray(metrics["loss"])[np.argmin(finite)])
                what = "loss" if not math.isfinite(loss) else "the gradient norm or the model state"
                raise TrainingDiverged(
                    f"{what} became NaN/Inf at step {bad_step}; stopped. {checkpoint_path} "
                    f"holds the last good checkpoint (step {saved_step}); lower the learning "
                    "rate and start a new run"
                )
            before, step = step, step + n_steps
            record = {key: float(np.mean(value)) for key, value in metrics.items()}
            record = {f"train_{key}": value for key, value in record.items()}
            record.update(
                step=step, steps_per_sec=n_steps / seconds, elapsed=time.perf_counter() - started
            )
            if evaluate is not None and _crossed(before, step, eval_every, total_steps):
                scores = evaluate(state.params, state.model_state)
                record.update({key: float(value) for key, value in scores.items()})
            append_metrics(out_dir, [record])
            if _crossed(before, step, checkpoint_every, total_steps):
                saved_step = checkpoint(state)
            bar.update(
                task,
                completed=step,
                loss=f"{record['train_loss']:.4f}",
                rate=f"{record['steps_per_sec']:.0f}",
            )
    if int(state.step) != saved_step:
        checkpoint(state)
    return state
