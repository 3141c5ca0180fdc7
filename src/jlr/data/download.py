"""`fetch(name)`: a known data file from the cache folder, downloaded once and sha256-checked.

Offline, or when every mirror fails, `fetch` raises a one-line DataError saying exactly where
to put the file by hand. A file whose sha256 differs from the table is never used.

The sha256 values are the published ones of the original distributions (torchvision and
TensorFlow Datasets list the same MNIST and CIFAR-10 sums); tiny-shakespeare's is that of
char-rnn's input.txt (1,115,394 bytes).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

from jlr.data.cache import atomic_write, cache_root
from jlr.data.errors import DataError


class RemoteFile(NamedTuple):
    """A file we know: where it goes in the cache, where to get it, and its sha256."""

    relpath: str  # under the cache folder
    urls: tuple[str, ...]  # mirrors, tried in order
    sha256: str


_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _mnist(filename: str, sha256: str) -> RemoteFile:
    return RemoteFile(f"mnist/{filename}", tuple(m + filename for m in _MNIST_MIRRORS), sha256)


KNOWN_FILES: dict[str, RemoteFile] = {
    "mnist-train-images": _mnist(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "mnist-train-labels": _mnist(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "mnist-test-images": _mnist(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "mnist-test-labels": _mnist(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
    "cifar10": RemoteFile(
        "cifar10/cifar-10-binary.tar.gz",
        ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    ),
    "tinyshakespeare": RemoteFile(
        "tinyshakespeare.txt",
        (
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
            "tinyshakespeare/input.txt",
        ),
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
}


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _mismatch(where: str, got: str, want: str) -> str:
    return f"{where}: sha256 {got[:16]}... does not match the expected {want[:16]}..."


def fetch(name: str, cache_dir: str | os.PathLike | None = None, *, timeout: float = 10.0) -> Path:
    """Path of the known file `name` in the cache folder, downloading it when absent.

    names: mnist-{train,test}-{images,labels}, cifar10, tinyshakespeare (see KNOWN_FILES).
    """
    if name not in KNOWN_FILES:
        raise DataError(f"unknown data file {name!r}; known: {', '.join(KNOWN_FILES)}")
    remote = KNOWN_FILES[name]
    path = cache_root(cache_dir) / remote.relpath
    if path.is_file():
        got = file_sha256(path)
        if got != remote.sha256:
            raise DataError(
                f"{_mismatch(str(path), got, remote.sha256)}; delete it and fetch again, "
                f"or put the original from {remote.urls[0]} there"
            )
        return path
    failures = []
    for url in remote.urls:
        try:
            data = _download(url, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            failures.append(str(getattr(error, "reason", error)))
            continue
        got = hashlib.sha256(data).hexdigest()
        if got != remote.sha256:
            raise DataError(f"{_mismatch(url, got, remote.sha256)}; not saved, try again later")
        return atomic_write(path, lambda file, data=data: file.write(data))
    raise DataError(
        f"offline: could not download {name} ({failures[-1]}); "
        f"download {remote.urls[0]} yourself and put it at {path}"
    )
