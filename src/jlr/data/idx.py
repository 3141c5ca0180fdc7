"""IDX, the file format of MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/).

    magic: 0x00 0x00 <dtype code> <ndim>      (4 bytes; 2051 = uint8 3-D, 2049 = uint8 1-D)
    dims:  ndim big-endian uint32             (e.g. 10000 28 28)
    data:  prod(dims) big-endian items, C order

Files may be gzip-compressed (as distributed). Every size is checked against the header, so
a truncated, padded or wrong file fails with one line saying what is wrong.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from jlr.data.errors import DataError
from jlr.data.file_bytes import read_file_bytes

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_IMAGES_MAGIC = 2051  # uint8, 3 dims
MNIST_LABELS_MAGIC = 2049  # uint8, 1 dim
MNIST_PREFIX = {"train": "train", "test": "t10k"}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic 1f 8b."""
    data = read_file_bytes(path, "check the path or download it")
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(
            f"{path.name}: corrupt or truncated gzip ({error}); re-download it"
        ) from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode IDX bytes (not compressed) into an array of the header's dtype and shape."""
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise DataError(f"{name}: not an IDX file (magic bytes {data[:4].hex() or 'missing'})")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DataError(f"{name}: unknown IDX type code 0x{code:02x}; not an IDX file")
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes for {ndim} dims)")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    body = len(data) - 4 - 4 * ndim
    if body != expected:
        dims = "x".join(map(str, shape))
        problem = "truncated" if body < expected else "too long"
        raise DataError(
            f"{name}: {problem}: header says {dims} = {expected} bytes, file has {body}; "
            "re-download it"
        )
    array = np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, a writable copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, raw or .gz: e.g. MNIST images (n, 28, 28) uint8, labels (n,) uint8."""
    path = Path(path)
    return parse_idx(_read_bytes(path), path.name)


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    raise DataError(
        f"{stem}.gz not found in {directory}; put the MNIST file there "
        "(jlr.data.fetch downloads it into the cache folder)"
    )


def _read_mnist(path: Path, magic: int) -> np.ndarray:
    """read_idx, then check the header is MNIST's: uint8 with 3 dims (28x28) or 1 dim (0..9)."""
    data = _read_bytes(path)
    array = parse_idx(data, path.name)
    found = int.from_bytes(data[:4], "big")
    kind = "images" if magic == MNIST_IMAGES_MAGIC else "labels"
    if found != magic:
        raise DataError(f"{path.name}: IDX magic {found}, expected {magic} for MNIST {kind}")
    if magic == MNIST_IMAGES_MAGIC and array.shape[1:] != (28, 28):
        dims = "x".join(map(str, array.shape[1:]))
        raise DataError(f"{path.name}: images are {dims}, expected 28x28 for MNIST")
    if magic == MNIST_LABELS_MAGIC and array.size and array.max() > 9:
        raise DataError(f"{path.name}: label {array.max()} is not a digit 0..9")
    return array


def load_mnist(
    directory: str | os.PathLike, *, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels of one split from the four standard IDX files in `directory`.

    split "train" reads train-*-ubyte(.gz), "test" reads t10k-*-ubyte(.gz).
    -> x: (n, 28, 28) float32 in [0, 1]; y: (n,) int32 in 0..9
    """
    if split not in MNIST_PREFIX:
        raise DataError(f"split={split!r} is not an MNIST split; choose 'train' or 'test'")
    directory, prefix = Path(directory), MNIST_PREFIX[split]
    images_path = _find(directory, f"{prefix}-images-idx3-ubyte")
    labels_path = _find(directory, f"{prefix}-labels-idx1-ubyte")
    images = _read_mnist(images_path, MNIST_IMAGES_MAGIC)
    labels = _read_mnist(labels_path, MNIST_LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} has {len(images)} images but {labels_path.name} has "
            f"{len(labels)} labels; the two files do not belong together"
        )
    return (images / np.float32(255.0)).astype(np.float32), labels.astype(np.int32)
