"""Data for JLR: embedded datasets that need no network, readers of the real file formats,
a checked download helper, and deterministic splits and batches.

Embedded, offline:   load_digits, load_mnist1d, stdlib_corpus
Real formats:        read_idx / load_mnist, read_cifar10_batch / load_cifar10, read_text_file
Download:            fetch(name, cache_dir) for MNIST, CIFAR-10, tiny-shakespeare
Splits and batches:  stratified_split, tinyshakespeare_split, epoch_permutation, batch_rows,
                     batch_indices
Every failure a user can fix is a one-line `DataError`.
"""

from jlr.data.batches import (
    batch_at,
    batch_indices,
    batch_rows,
    epoch_permutation,
    steps_per_epoch,
)
from jlr.data.cache import cache_root
from jlr.data.cifar10 import load_cifar10, parse_cifar10_batch, read_cifar10_batch
from jlr.data.corpus import TextCorpus, make_corpus, text_fingerprint
from jlr.data.dataset import Dataset
from jlr.data.digits import load_digits
from jlr.data.download import KNOWN_FILES, fetch
from jlr.data.errors import DataError
from jlr.data.idx import load_mnist, parse_idx, read_idx
from jlr.data.mnist1d import load_mnist1d
from jlr.data.splits import stratified_split, text_split, tinyshakespeare_split
from jlr.data.stdlib_text import STDLIB_FILES, stdlib_corpus
from jlr.data.text_file import read_text_file
from jlr.data.tinyshakespeare import load_tinyshakespeare

__all__ = [
    "KNOWN_FILES",
    "STDLIB_FILES",
    "DataError",
    "Dataset",
    "TextCorpus",
    "batch_at",
    "batch_indices",
    "batch_rows",
    "cache_root",
    "epoch_permutation",
    "fetch",
    "load_cifar10",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
    "load_tinyshakespeare",
    "make_corpus",
    "parse_cifar10_batch",
    "parse_idx",
    "read_cifar10_batch",
    "read_idx",
    "read_text_file",
    "stdlib_corpus",
    "steps_per_epoch",
    "stratified_split",
    "text_fingerprint",
    "text_split",
    "tinyshakespeare_split",
]
