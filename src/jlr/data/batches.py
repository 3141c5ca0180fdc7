"""Minibatches as a pure function of (seed, epoch, step), so a resumed run sees the same data.

Epoch e visits the examples in the order `epoch_permutation(seed, e, n)`; step s is batch
s mod S of epoch s // S, with S = n // batch_size (the last n mod batch_size examples of
each permutation are dropped). Nothing is stored between steps: to resume at step s, ask
for step s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jlr.data.errors import DataError


def steps_per_epoch(n: int, batch_size: int) -> int:
    """S = n // batch_size full batches per epoch (drop-last); 0 when batch_size > n."""
    if batch_size < 1:
        raise DataError(f"batch_size={batch_size} must be at least 1")
    return n // batch_size


def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """The visiting order of epoch `epoch`: a permutation of range(n), (n,) int64.

    Seeded by the pair [seed, epoch], so every epoch has its own order and none depends on
    how many random numbers an earlier epoch drew.
    """
    if seed < 0 or epoch < 0:
        raise DataError(f"seed={seed} and epoch={epoch} must be non-negative")
    return np.random.default_rng([seed, epoch]).permutation(n)


def batch_rows(start: int, n_steps: int, *, seed: int, n: int, batch_size: int) -> np.ndarray:
    """Example indices of steps start .. start + n_steps - 1: (n_steps, batch_size) int32.

    Step t takes slice i = t mod S of epoch t // S's permutation (S = n // batch_size):
    rows[t - start] = epoch_permutation(seed, t // S, n)[i B : (i + 1) B]. Each epoch's
    permutation is computed once, so a chunk of many steps costs one shuffle per epoch.
    This is the one generator of minibatch rows: the training loop, the vmapped sweeps and
    the data-parallel project all call it, so they all see the same data order.
    """
    if start < 0 or n_steps < 0:
        raise DataError(f"start={start} and n_steps={n_steps} must be non-negative")
    per_epoch = steps_per_epoch(n, batch_size)
    if per_epoch == 0:
        raise DataError(
            f"batch_size={batch_size} does not fit {n} examples; choose 1 <= batch_size <= {n}"
        )
    rows = np.empty((n_steps, batch_size), np.int32)
    first_epoch, last_epoch = start // per_epoch, (start + n_steps - 1) // per_epoch
    for epoch in range(first_epoch, last_epoch + 1) if n_steps else ():
        permutation = epoch_permutation(seed, epoch, n)[: per_epoch * batch_size]
        epoch_rows = permutation.reshape(per_epoch, batch_size)  # (S, B): row i is step e S + i
        lo, hi = max(start, epoch * per_epoch), min(start + n_steps, (epoch + 1) * per_epoch)
        rows[lo - start : hi - start] = epoch_rows[lo - epoch * per_epoch : hi - epoch * per_epoch]
    return rows


def batch_indices(step: int, *, seed: int, n: int, batch_size: int) -> np.ndarray:
    """Example indices of global step `step`: (batch_size,), the one-step case of `batch_rows`.

    epoch = step // S, i = step mod S, indices = epoch_permutation(seed, epoch, n)[i*B:(i+1)*B]
    """
    if step < 0:
        raise DataError(f"step={step} must be non-negative")
    return batch_rows(step, 1, seed=seed, n=n, batch_size=batch_size)[0]


def batch_at(
    arrays: Sequence[np.ndarray], step: int, *, seed: int, batch_size: int
) -> tuple[np.ndarray, ...]:
    """The batch of global step `step` from arrays sharing their first axis, e.g. (x, y)."""
    n = len(arrays[0])
    if any(len(array) != n for array in arrays):
        raise DataError(
            f"arrays have different lengths {[len(a) for a in arrays]}; expected all {n}"
        )
    index = batch_indices(step, seed=seed, n=n, batch_size=batch_size)
    return tuple(array[index] for array in arrays)
