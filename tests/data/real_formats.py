"""Helpers for the data tests: the shared real files, and writers of the real formats."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"

# IDX type codes, written from the format's spec (independent of jlr.data.idx)
IDX_CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes: 0 0 <type code> <ndim>, dims as big-endian uint32, big-endian data."""
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, IDX_CODES[array.dtype.type], array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def cifar_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """CIFAR-10 binary records: label byte, then the R, G, B planes of a (32, 32, 3) image."""
    records = [
        bytes([int(label)]) + np.transpose(image, (2, 0, 1)).tobytes()
        for image, label in zip(images, labels, strict=True)
    ]
    return b"".join(records)


def shared_file(relpath: str) -> Path:
    path = SHARED_DATA / relpath
    if not path.is_file():
        pytest.skip(f"{path} is absent (real data lives beside the repo in ../shared/data)")
    return path


def assert_one_line(error: BaseException, *fragments: str) -> None:
    """The message is one line and mentions every fragment."""
    message = str(error)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
