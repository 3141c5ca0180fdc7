"""`Dataset`: a supervised dataset as four numpy arrays, the train/test halves of (x, y)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    """x: float32 features, (n, ...); y: int32 class labels, (n,).

    Plain numpy arrays: the loaders stay independent of JAX, and `jnp.asarray(ds.x_train)`
    moves them to the device when a training step needs them.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def as_dataset(x_train, y_train, x_test, y_test) -> Dataset:
    """Cast to the `Dataset` dtypes: x float32, y int32."""
    return Dataset(
        np.asarray(x_train, dtype=np.float32),
        np.asarray(y_train, dtype=np.int32),
        np.asarray(x_test, dtype=np.float32),
        np.asarray(y_test, dtype=np.int32),
    )
