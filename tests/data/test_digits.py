"""scikit-learn digits: shapes, scaling, deterministic stratified split."""

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from jlr.data import DataError, load_digits, stratified_split

from .real_formats import assert_one_line


def test_digits_shapes_and_range():
    ds = load_digits()
    assert ds.x_train.shape[1:] == (8, 8) and ds.x_train.dtype == np.float32
    assert ds.y_train.dtype == np.int32
    assert len(ds.x_train) + len(ds.x_test) == 1797
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0


def test_digits_split_is_deterministic():
    a, b = load_digits(seed=3), load_digits(seed=3)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(load_digits(seed=4).y_test, a.y_test)


def test_digits_split_is_stratified_and_partitions_the_data():
    ds = load_digits(test_fraction=0.25, seed=0)
    bunch = sklearn_digits()
    all_counts = np.bincount(bunch.target, minlength=10)
    test_counts = np.bincount(ds.y_test, minlength=10)
    np.testing.assert_allclose(test_counts, 0.25 * all_counts, atol=0.5)  # per class, rounded
    train_counts = np.bincount(ds.y_train, minlength=10)
    np.testing.assert_array_equal(train_counts + test_counts, all_counts)
    # every image lands in exactly one part: compare the multisets of rows
    rows = np.concatenate([ds.x_train, ds.x_test]).reshape(1797, 64)
    expected = (bunch.images / 16.0).reshape(1797, 64).astype(np.float32)
    np.testing.assert_array_equal(np.unique(rows, axis=0), np.unique(expected, axis=0))


def test_stratified_split_indices():
    y = np.repeat(np.arange(3), [10, 20, 30])
    train_idx, test_idx = stratified_split(y, test_fraction=0.1, seed=0)
    assert np.intersect1d(train_idx, test_idx).size == 0
    np.testing.assert_array_equal(np.union1d(train_idx, test_idx), np.arange(60))
    np.testing.assert_array_equal(np.bincount(y[test_idx]), [1, 2, 3])
    with pytest.raises(DataError) as error:
        stratified_split(y, test_fraction=1.5, seed=0)
    assert_one_line(error.value, "test_fraction=1.5")
