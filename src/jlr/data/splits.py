"""Deterministic train/test splits: stratified by class for labelled data, head/tail for text.

A split is a pure function of its inputs and a seed, so a run's config (seed, fraction)
pins it down exactly.
"""

from __future__ import annotations

import numpy as np

from jlr.data.errors import DataError


def stratified_split(
    y: np.ndarray, *, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train_idx, test_idx) holding out round(test_fraction * n_c) of each class c.

    Each class keeps its proportion in both parts (up to rounding). The same (y, seed,
    test_fraction) always gives the same split; both index arrays are sorted.

    y: (n,) labels -> train_idx: (n - n_test,), test_idx: (n_test,), int64
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction={test_fraction} must lie strictly between 0 and 1")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in np.unique(y):  # sorted classes: the order of rng draws is fixed
        members = rng.permutation(np.flatnonzero(y == label))
        test_parts.append(members[: round(test_fraction * len(members))])
    test_idx = np.sort(np.concatenate(test_parts))
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)  # sorted, disjoint from test
    return train_idx, test_idx


def text_split(text: str, *, train_fraction: float = 0.9) -> tuple[str, str]:
    """(text[:k], text[k:]) with k = int(train_fraction * len(text)): no shuffling, no overlap."""
    if not 0.0 < train_fraction < 1.0:
        raise DataError(f"train_fraction={train_fraction} must lie strictly between 0 and 1")
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]


def tinyshakespeare_split(text: str) -> tuple[str, str]:
    """nanoGPT's split of tiny-shakespeare: the first 90% of characters train, the last 10% val."""
    return text_split(text, train_fraction=0.9)
