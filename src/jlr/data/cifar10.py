"""CIFAR-10 binary batches (Krizhevsky, 2009, https://www.cs.toronto.edu/~kriz/cifar.html).

A batch file is n records of 3073 bytes: 1 label byte (0..9), then 3072 pixel bytes, the
1024 red values of the 32x32 image in row-major order, then the green, then the blue. The
format has no magic number, so the reader checks the record length and the labels.
`cifar-10-binary.tar.gz` unpacks to `cifar-10-batches-bin/data_batch_{1..5}.bin` and
`test_batch.bin`, 10000 records each; `load_cifar10` reads either the folder or the tarball.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

from jlr.data.dataset import Dataset, as_dataset
from jlr.data.errors import DataError
from jlr.data.file_bytes import read_file_bytes

RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
TARBALL = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"


def parse_cifar10_batch(data: bytes, name: str = "CIFAR-10 batch") -> tuple[np.ndarray, np.ndarray]:
    """Decode a batch's bytes -> x: (n, 32, 32, 3) uint8 (height, width, RGB), y: (n,) uint8."""
    if data[:2] == b"\x1f\x8b":
        raise DataError(f"{name}: gzip-compressed; extract {TARBALL} and read the .bin inside")
    n, extra = divmod(len(data), RECORD_BYTES)
    if n == 0 or extra:
        raise DataError(
            f"{name}: {len(data)} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 "
            f"records ({n} records and {extra} bytes over): truncated or not a CIFAR-10 binary "
            "batch; re-download it"
        )
    records = np.frombuffer(data, np.uint8).reshape(n, RECORD_BYTES)
    labels = records[:, 0].copy()
    if labels.max() > 9:
        record = int(np.argmax(labels > 9))
        raise DataError(
            f"{name}: record {record} has label {labels[record]}, not a CIFAR-10 class 0..9 "
            "(a CIFAR-100 file, or corrupt?)"
        )
    images = records[:, 1:].reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)  # (n, 32, 32, 3)
    return np.ascontiguousarray(images), labels


def read_cifar10_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch file -> x: (n, 32, 32, 3) uint8, y: (n,) uint8."""
    path = Path(path)
    data = read_file_bytes(path, f"check the path or download {TARBALL}")
    return parse_cifar10_batch(data, path.name)


def _batches_from_folder(folder: Path) -> dict[str, bytes]:
    return {name: read_file_bytes(folder / name) for name in (*TRAIN_BATCHES, TEST_BATCH)}


def _batches_from_tarball(tar_path: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(tar_path, "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            wanted = (*TRAIN_BATCHES, TEST_BATCH)
            absent = [name for name in wanted if name not in members]
            if absent:
                raise DataError(f"{tar_path.name}: has no {', '.join(absent)}; re-download it")
            return {name: tar.extractfile(members[name]).read() for name in wanted}
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataError(
            f"{tar_path.name}: corrupt or truncated ({error}); re-download it"
        ) from None


def _locate(directory: Path) -> dict[str, bytes]:
    for folder in (directory / FOLDER, directory):
        if all((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
            return _batches_from_folder(folder)
    if (directory / TARBALL).is_file():
        return _batches_from_tarball(directory / TARBALL)
    for folder in (directory / FOLDER, directory):
        present = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if (folder / name).is_file()]
        if present:  # some batches there, not all: say which are missing
            absent = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if name not in present]
            raise DataError(
                f"CIFAR-10 in {folder} is incomplete: {', '.join(absent)} missing; "
                f"copy them there, or put {TARBALL} in {directory}"
            )
    raise DataError(
        f"CIFAR-10 not found in {directory}: put {TARBALL} there, or its {FOLDER}/ folder "
        "(jlr.data.fetch('cifar10') downloads it into the cache folder)"
    )


def load_cifar10(directory: str | os.PathLike) -> Dataset:
    """CIFAR-10 from `directory` (the .bin files, a cifar-10-batches-bin/ folder, or the tarball).

    -> Dataset: x (n, 32, 32, 3) float32 in [0, 1]; y (n,) int32 in 0..9;
    50000 train images (data_batch_1..5) and 10000 test images (test_batch).
    """
    raw = _locate(Path(directory))
    parsed = {name: parse_cifar10_batch(data, name) for name, data in raw.items()}
    x_train = np.concatenate([parsed[name][0] for name in TRAIN_BATCHES])
    y_train = np.concatenate([parsed[name][1] for name in TRAIN_BATCHES])
    x_test, y_test = parsed[TEST_BATCH]
    scale = np.float32(1.0 / 255.0)
    return as_dataset(x_train * scale, y_train, x_test * scale, y_test)
