"""CIFAR-10 binary reader: pixel layout, folder and tarball loading, corrupt batches."""

import gzip
import io
import tarfile

import numpy as np
import pytest

from jlr.data import DataError, load_cifar10, read_cifar10_batch
from jlr.data.cifar10 import TEST_BATCH, TRAIN_BATCHES

from .real_formats import assert_one_line, cifar_bytes


def random_batch(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    return images, rng.integers(0, 10, size=n, dtype=np.uint8)


def write_batches(folder):
    """Six tiny batches (2 records each) named like the real ones."""
    folder.mkdir(parents=True, exist_ok=True)
    batches = {
        name: random_batch(2, seed) for seed, name in enumerate((*TRAIN_BATCHES, TEST_BATCH))
    }
    for name, (images, labels) in batches.items():
        (folder / name).write_bytes(cifar_bytes(images, labels))
    return batches


def test_read_batch_layout(tmp_path):
    images, labels = random_batch(3, seed=0)
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(cifar_bytes(images, labels))
    x, y = read_cifar10_batch(path)
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.uint8
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    # by hand: record 1's first byte is its label, the next 1024 are its red plane, row-major
    raw = np.frombuffer(path.read_bytes(), np.uint8)
    assert raw[3073] == labels[1]
    np.testing.assert_array_equal(raw[3074 : 3074 + 32], x[1, 0, :, 0])


def test_load_from_folder_and_tarball(tmp_path):
    batches = write_batches(tmp_path / "cifar-10-batches-bin")
    from_folder = load_cifar10(tmp_path)
    assert from_folder.x_train.shape == (10, 32, 32, 3) and from_folder.x_test.shape == (
        2,
        32,
        32,
        3,
    )
    assert from_folder.x_train.dtype == np.float32 and from_folder.y_train.dtype == np.int32
    np.testing.assert_allclose(
        from_folder.x_test, batches[TEST_BATCH][0] / 255.0, rtol=1e-6, atol=1e-7
    )
    expected_train_labels = np.concatenate([batches[name][1] for name in TRAIN_BATCHES])
    np.testing.assert_array_equal(from_folder.y_train, expected_train_labels)

    tar_dir = tmp_path / "packed"
    tar_dir.mkdir()
    with tarfile.open(tar_dir / "cifar-10-binary.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    from_tar = load_cifar10(tar_dir)
    for got, want in zip(from_tar, from_folder, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (bytes(3073 * 2 + 100), ("2 records and 100 bytes over", "re-download")),
        (bytes(10), ("not a whole number of 3073-byte",)),
        (bytes([57]) + bytes(3072), ("label 57", "0..9")),
        (gzip.compress(bytes(3073), mtime=0), ("gzip-compressed",)),
    ],
    ids=["extra-bytes", "partial-record", "bad-label", "gzipped"],
)
def test_corrupt_batches(tmp_path, data, fragments):
    path = tmp_path / "test_batch.bin"
    path.write_bytes(data)
    with pytest.raises(DataError) as error:
        read_cifar10_batch(path)
    assert_one_line(error.value, "test_batch.bin", *fragments)


def test_missing_and_truncated_tarball(tmp_path):
    with pytest.raises(DataError) as error:
        load_cifar10(tmp_path)
    assert_one_line(error.value, "CIFAR-10 not found", str(tmp_path), "cifar-10-binary.tar.gz")
    buffer = io.BytesIO()
    write_batches(tmp_path / "src")
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tmp_path / "src", arcname="cifar-10-batches-bin")
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(buffer.getvalue()[:200])
    with pytest.raises(DataError) as error:
        load_cifar10(tmp_path)
    assert_one_line(error.value, "cifar-10-binary.tar.gz", "re-download")


def test_incomplete_folder_names_the_missing_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_batches(folder)
    (folder / "data_batch_3.bin").unlink()
    (folder / TEST_BATCH).unlink()
    with pytest.raises(DataError) as error:
        load_cifar10(tmp_path)
    assert_one_line(error.value, "incomplete", "data_batch_3.bin", TEST_BATCH, str(folder))
    assert "data_batch_1.bin" not in str(error.value)
