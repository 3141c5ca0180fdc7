"""MNIST-1D (Greydanus, 2020): ten 1-D templates, randomly padded, sheared, translated and
noised into length-40 signals. A small benchmark on which CNNs beat MLPs, unlike 8x8 digits.

Generated OFFLINE with `mnist1d.data.make_dataset` from the package's templates, never its
download path (`get_dataset`), and cached as `.npz` under the cache folder. `make_dataset`
reseeds numpy's and Python's global RNGs; we restore both afterwards so loading data leaves
no global side effect.
"""

from __future__ import annotations

import importlib.metadata
import random
from pathlib import Path

import numpy as np

from jlr.data.cache import atomic_write, cache_root
from jlr.data.dataset import Dataset, as_dataset
from jlr.data.errors import DataError


def mnist1d_cache_path(cache_dir, num_samples: int, seed: int) -> Path:
    """<cache>/mnist1d/mnist1d-<package version>-n<num_samples>-seed<seed>.npz"""
    version = importlib.metadata.version("mnist1d")
    return cache_root(cache_dir) / "mnist1d" / f"mnist1d-{version}-n{num_samples}-seed{seed}.npz"


def generate_mnist1d(*, num_samples: int, seed: int) -> Dataset:
    """Run mnist1d's generator (80/20 train/test split, its default) with no lasting side effect.

    x: (n, 40) float32, standardized over the whole set; y: (n,) int32 in 0..9
    """
    if num_samples < 10:
        raise DataError(f"num_samples={num_samples} is too small; MNIST-1D needs at least 10")
    from mnist1d.data import get_dataset_args, make_dataset  # slow import: only when used

    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    # the legacy global RNG is exactly what make_dataset reseeds, so it is what we restore
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
    return as_dataset(data["x"], data["y"], data["x_test"], data["y_test"])


def _read_cache(path: Path) -> Dataset | None:
    try:
        with np.load(path) as saved:
            return Dataset(*(saved[name] for name in Dataset._fields))
    except (OSError, ValueError, KeyError, EOFError):  # missing or damaged: regenerate
        return None


def load_mnist1d(*, cache_dir=None, num_samples: int = 5000, seed: int = 42) -> Dataset:
    """MNIST-1D, generated once and then read from the cache.

    x: (n, 40) float32; y: (n,) int32; n_train = 0.8 * 10 * (num_samples // 10).
    The defaults (5000 samples, seed 42) are the package's standard dataset.
    """
    path = mnist1d_cache_path(cache_dir, num_samples, seed)
    cached = _read_cache(path) if path.exists() else None
    if cached is not None:
        return cached
    dataset = generate_mnist1d(num_samples=num_samples, seed=seed)
    atomic_write(path, lambda file: np.savez(file, **dataset._asdict()))
    return dataset
