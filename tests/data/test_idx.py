"""IDX/MNIST reader: round trips through files written from the spec, corrupt files, real MNIST."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jlr.data import DataError, load_mnist, parse_idx, read_idx

from .real_formats import IDX_CODES, assert_one_line, idx_bytes, shared_file, write_idx

RNG_SEED = 0


def fake_mnist(tmp_path, n=5, *, prefix="t10k", compress=True, labels=None):
    rng = np.random.default_rng(RNG_SEED)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8) if labels is None else labels
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
    write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress=compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_mnist_shapes(tmp_path, compress):
    images = np.random.default_rng(1).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "images.idx", images, compress=compress)
    got = read_idx(path)
    assert got.dtype == np.uint8 and got.shape == (7, 28, 28)
    np.testing.assert_array_equal(got, images)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(list(IDX_CODES)),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
        elements={"allow_nan": False},
    )
)
def test_parse_idx_inverts_the_spec_writer(array):
    got = parse_idx(idx_bytes(array))
    assert got.shape == array.shape and got.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, array)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_scales_and_types(tmp_path, compress):
    images, labels = fake_mnist(tmp_path, compress=compress)
    x, y = load_mnist(tmp_path, split="test")
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_allclose(x, images / 255.0, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(y, labels)


def test_truncated_file_says_sizes(tmp_path):
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data[:1234]))
    with pytest.raises(DataError) as error:
        read_idx(path)
    assert_one_line(
        error.value,
        "t10k-images-idx3-ubyte.gz: truncated: header says 5x28x28 = 3920 bytes, file has 1218",
        "re-download",
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x01\x02\x08\x03" + bytes(20), "not an IDX file"),
        (b"", "not an IDX file"),
        (b"\x00\x00\x42\x01" + bytes(8), "unknown IDX type code 0x42"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (idx_bytes(np.zeros(4, np.uint8)) + b"\x00", "too long"),
    ],
)
def test_corrupt_idx_raises_one_line(tmp_path, data, fragment):
    path = tmp_path / "bad.idx"
    path.write_bytes(data)
    with pytest.raises(DataError) as error:
        read_idx(path)
    assert_one_line(error.value, "bad.idx", fragment)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((3, 28, 28), np.uint8)))[:40])
    with pytest.raises(DataError) as error:
        read_idx(path)
    assert_one_line(error.value, "x.gz", "gzip", "re-download")


def test_mnist_wrong_dims_and_magic(tmp_path):
    fake_mnist(tmp_path, compress=False)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 27, 28), np.uint8))
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="test")
    assert_one_line(error.value, "27x28", "expected 28x28")
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 784), np.uint8))  # magic 2050
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="test")
    assert_one_line(error.value, "IDX magic 2050, expected 2051")


def test_mnist_label_checks(tmp_path):
    fake_mnist(tmp_path, labels=np.array([1, 2, 3, 4, 12], np.uint8))
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="test")
    assert_one_line(error.value, "label 12")
    fake_mnist(tmp_path, labels=np.array([1, 2, 3], np.uint8))
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="test")
    assert_one_line(error.value, "5 images", "3 labels")


def test_mnist_missing_files_and_bad_split(tmp_path):
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="train")
    assert_one_line(error.value, "train-images-idx3-ubyte.gz not found", str(tmp_path))
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, split="validation")
    assert_one_line(error.value, "'train' or 'test'")


def test_real_mnist_test_set():
    directory = shared_file("mnist/t10k-images-idx3-ubyte.gz").parent
    shared_file("mnist/t10k-labels-idx1-ubyte.gz")
    images = read_idx(directory / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    x, y = load_mnist(directory, split="test")
    assert x.shape == (10000, 28, 28) and y.shape == (10000,)
    np.testing.assert_array_equal(y[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(np.bincount(y, minlength=10).sum(), 10000)
    assert 0.0 <= x.min() and x.max() <= 1.0
