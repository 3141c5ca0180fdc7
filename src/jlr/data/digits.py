"""The 8x8 handwritten digits bundled with scikit-learn (UCI optdigits test set, 1797 images).

Embedded in the scikit-learn package, so loading it needs no network. Pixels are counts
0..16 of a 4x4 block of a 32x32 bitmap; we scale them to [0, 1].
"""

from __future__ import annotations

from jlr.data.dataset import Dataset, as_dataset
from jlr.data.splits import stratified_split


def load_digits(*, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Digits with a stratified split: x (n, 8, 8) float32 in [0, 1], y (n,) int32 in 0..9.

    The same seed gives the same split; each class keeps its share in train and test.
    """
    from sklearn.datasets import load_digits as sklearn_digits  # slow import: only when used

    bunch = sklearn_digits()
    images = bunch.images / 16.0  # (1797, 8, 8)
    train_idx, test_idx = stratified_split(bunch.target, test_fraction=test_fraction, seed=seed)
    return as_dataset(
        images[train_idx], bunch.target[train_idx], images[test_idx], bunch.target[test_idx]
    )
