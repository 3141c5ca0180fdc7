"""Batches as a pure function of (seed, epoch, step): permutations, coverage, exact resume."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.data import (
    DataError,
    batch_at,
    batch_indices,
    batch_rows,
    epoch_permutation,
    steps_per_epoch,
)

from .real_formats import assert_one_line


def test_epoch_permutation_is_pure_and_per_epoch():
    a, b = epoch_permutation(0, 3, 50), epoch_permutation(0, 3, 50)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(a), np.arange(50))
    assert not np.array_equal(a, epoch_permutation(0, 4, 50))
    assert not np.array_equal(a, epoch_permutation(1, 3, 50))
    np.testing.assert_array_equal(a, np.random.default_rng([0, 3]).permutation(50))


def test_batch_indices_is_pure_and_follows_the_epochs():
    n, batch_size = 23, 5  # 4 steps per epoch, 3 examples dropped each epoch
    assert steps_per_epoch(n, batch_size) == 4
    for step in range(10):
        first = batch_indices(step, seed=2, n=n, batch_size=batch_size)
        np.testing.assert_array_equal(
            first, batch_indices(step, seed=2, n=n, batch_size=batch_size)
        )
        epoch, position = divmod(step, 4)
        expected = epoch_permutation(2, epoch, n)[5 * position : 5 * position + 5]
        np.testing.assert_array_equal(first, expected)


def test_resume_sees_the_same_batches():
    x, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    straight = [batch_at((x, y), step, seed=9, batch_size=4) for step in range(12)]
    resumed = [batch_at((x, y), step, seed=9, batch_size=4) for step in range(7, 12)]
    for (x1, y1), (x2, y2) in zip(straight[7:], resumed, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(straight[3][0][:, 0] / 2, straight[3][1])  # rows stay paired


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 200),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
    epoch=st.integers(0, 1000),
)
def test_one_epoch_is_disjoint_and_covers_all_but_the_remainder(n, data, seed, epoch):
    batch_size = data.draw(st.integers(1, n))
    steps = steps_per_epoch(n, batch_size)
    batches = [
        batch_indices(epoch * steps + i, seed=seed, n=n, batch_size=batch_size)
        for i in range(steps)
    ]
    seen = np.concatenate(batches)
    assert all(len(batch) == batch_size for batch in batches)
    assert len(np.unique(seen)) == len(seen) == n - n % batch_size
    assert seen.min() >= 0 and seen.max() < n


def test_bad_batch_settings():
    assert steps_per_epoch(10, 11) == 0  # a count; asking for a batch is the error
    with pytest.raises(DataError) as error:
        batch_indices(0, seed=0, n=10, batch_size=11)
    assert_one_line(error.value, "batch_size=11", "1 <= batch_size <= 10")
    with pytest.raises(DataError):
        steps_per_epoch(10, 0)
    with pytest.raises(DataError):
        batch_indices(-1, seed=0, n=10, batch_size=2)
    with pytest.raises(DataError):
        batch_at((np.zeros(3), np.zeros(4)), 0, seed=0, batch_size=1)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 40),
    start=st.integers(0, 30),
    n_steps=st.integers(0, 25),
)
def test_batch_rows_equals_the_epoch_slices(n, batch_size, start, n_steps):
    """Oracle: slice t mod S of epoch t // S's permutation, written out step by step."""
    if batch_size > n:
        with pytest.raises(DataError):
            batch_rows(start, n_steps, seed=4, n=n, batch_size=batch_size)
        return
    per_epoch = n // batch_size
    expected = [
        np.random.default_rng([4, t // per_epoch]).permutation(n)[
            (t % per_epoch) * batch_size : (t % per_epoch + 1) * batch_size
        ]
        for t in range(start, start + n_steps)
    ]
    rows = batch_rows(start, n_steps, seed=4, n=n, batch_size=batch_size)
    assert rows.shape == (n_steps, batch_size) and rows.dtype == np.int32
    np.testing.assert_array_equal(rows, np.reshape(expected, (n_steps, batch_size)))
