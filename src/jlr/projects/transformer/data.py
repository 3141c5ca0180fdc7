"""The transformer project's data: a text, its tokenizer, a 90/10 split, and random block
windows as the training examples.

Tokenizers: "char", one id per character of the text (`jlr.text.char_vocab`), or "bpe",
byte-level BPE (`jlr.text.bpe`) with merges learned on the training 90% only, so no statistic
of the validation text leaks into the tokenizer. The split is made on characters first, so
both tokenizers validate on the same characters.

Example i of the training set is the window that starts at token i: x = train[i : i + T],
y = train[i + 1 : i + T + 1] (T = block_size), nanoGPT's (x, y) pair. The run's minibatches
are rows of `jlr.data.batches.batch_rows` over those n_train - T start positions, so every
start is visited once per epoch, in an order fixed by (seed, step), and a resumed run sees the
same windows. Validation uses fixed windows spread evenly over the validation text.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jlr.data.corpus import TextCorpus, make_corpus
from jlr.data.errors import DataError
from jlr.data.splits import text_split
from jlr.data.stdlib_text import stdlib_corpus
from jlr.data.text_file import read_text_file
from jlr.text.bpe import BPE, decode, encode, load_bpe, save_bpe, train_bpe
from jlr.text.char_vocab import CharVocab

TRAIN_FRACTION = 0.9
TOKENIZERS = ("char", "bpe")
BPE_FILE = "bpe.json"  # the merges, in the run folder


class BpeVocab(NamedTuple):
    """A byte-level BPE with `CharVocab`'s interface: size, encode (str -> ids), decode."""

    bpe: BPE

    @property
    def size(self) -> int:
        return self.bpe.vocab_size

    def encode(self, text: str) -> np.ndarray:
        """str -> ids (n_tokens,) int32; every str has an encoding (the alphabet is bytes)."""
        return np.asarray(encode(self.bpe, text), dtype=np.int32)

    def decode(self, ids) -> str:
        return decode(self.bpe, np.asarray(ids).reshape(-1).tolist())


Vocab = CharVocab | BpeVocab


def token_labels(vocab: Vocab, ids) -> list[str]:
    """Each token's text, for axis labels (a BPE token that ends inside a character shows as
    U+FFFD)."""
    return [vocab.decode([i]) for i in np.asarray(ids).reshape(-1)]


class CharData(NamedTuple):
    """A corpus as ids: train (n_train,) and val (n_val,) int32 tokens of the first 90% of
    the characters and of the rest; vocab a `CharVocab` or, for tokenizer "bpe", a
    `BpeVocab`."""

    vocab: Vocab
    train: np.ndarray
    val: np.ndarray
    val_text: str
    corpus: TextCorpus
    source: str  # where the text came from, in words
    tokenizer: str = "char"


class Windows(NamedTuple):
    """The training set for `jlr.train.fit`: starts (n_windows,) is its example axis (the
    indices a batch draws), tokens (n_train,) the text the windows are cut from."""

    starts: np.ndarray
    tokens: np.ndarray


def load_corpus(text: str) -> tuple[TextCorpus, str]:
    """The Python standard library's source (text == "") or the UTF-8 file at path `text`."""
    if not text:
        corpus = stdlib_corpus()
        return corpus, f"the Python standard library's source ({len(corpus.files)} modules)"
    content = read_text_file(text)  # one-line DataError: missing, binary, not UTF-8
    if not content:
        raise DataError(f"text={text}: the file is empty; give a text file to train on")
    return make_corpus(content, (text,)), f"the file {text}"


def _check_length(source: str, n_chars: int, train, val, block_size: int, unit: str) -> None:
    need = block_size + 1
    if min(len(train), len(val)) < need:
        raise DataError(
            f"{source} has {n_chars} characters: its 90% training and 10% validation "
            f"parts ({len(train)} and {len(val)} {unit}) must each hold one block of "
            f"block_size + 1 = {need} {unit}; use a longer text or a smaller block_size"
        )


def char_data(text: str, block_size: int) -> CharData:
    """Load, build the vocabulary (every character of the whole text) and split 90/10.

    Each part must hold one window of block_size + 1 characters (inputs and their next
    characters): a shorter text is a one-line DataError.
    """
    corpus, source = load_corpus(text)
    train_text, val_text = text_split(corpus.text, train_fraction=TRAIN_FRACTION)
    _check_length(source, corpus.n_chars, train_text, val_text, block_size, "characters")
    vocab = CharVocab.from_text(corpus.text)
    return CharData(
        vocab, vocab.encode(train_text), vocab.encode(val_text), val_text, corpus, source
    )


def bpe_data(text: str, block_size: int, vocab_size: int, merges: Path | None = None) -> CharData:
    """Split 90/10 on characters, learn byte-level BPE merges on the training part only
    (vocab_size tokens: the 256 bytes and vocab_size - 256 merges), and encode both parts.

    merges: a file `jlr.text.save_bpe` wrote, used instead of training when it exists (a
    resumed run keeps its tokenizer). Each part must hold block_size + 1 tokens.
    """
    corpus, source = load_corpus(text)
    train_text, val_text = text_split(corpus.text, train_fraction=TRAIN_FRACTION)
    _check_length(source, corpus.n_chars, train_text, val_text, block_size, "characters")
    if merges is not None and Path(merges).is_file():
        bpe = load_bpe(merges)  # one-line DataError for a corrupt or foreign file
    else:
        bpe = train_bpe(train_text, vocab_size)
    vocab = BpeVocab(bpe)
    train, val = vocab.encode(train_text), vocab.encode(val_text)
    _check_length(source, corpus.n_chars, train, val, block_size, "tokens")
    return CharData(vocab, train, val, val_text, corpus, source, "bpe")


def load_data(config, out_dir: Path, *, resume: bool) -> CharData:
    """The run's data for config.tokenizer; a BPE's merges are saved to out_dir / BPE_FILE,
    and a resumed run reads them back from there."""
    if config.tokenizer == "char":
        return char_data(config.text, config.block_size)
    merges = Path(out_dir) / BPE_FILE
    data = bpe_data(config.text, config.block_size, config.bpe_vocab, merges if resume else None)
    if not (resume and merges.is_file()):
        save_bpe(data.vocab.bpe, merges)
    return data


def training_windows(train: np.ndarray, block_size: int) -> Windows:
    """Every window start 0 .. n_train - block_size - 1 (each has its block_size + 1 chars)."""
    n_windows = len(train) - block_size
    return Windows(np.arange(n_windows, dtype=np.int32), train.astype(np.int32))


def make_window_batch(block_size: int):
    """batch_from_indices for `fit`: (Windows, rows (batch,)) -> {"x", "y"}: (batch, T) each."""

    def window_batch(windows: Windows, rows: jax.Array) -> dict[str, jax.Array]:
        starts = windows.starts[rows]  # (batch,)
        offsets = starts[:, None] + jnp.arange(block_size + 1)  # (batch, T + 1)
        chunk = windows.tokens[offsets]  # (batch, T + 1)
        return {"x": chunk[:, :-1], "y": chunk[:, 1:]}

    return window_batch


def validation_windows(
    val: np.ndarray, block_size: int, n_windows: int
) -> tuple[np.ndarray, np.ndarray]:
    """n_windows fixed windows, starts spread evenly over val: x, y (n_windows, T) int32."""
    starts = np.linspace(0, len(val) - block_size - 1, n_windows).round().astype(np.int64)
    offsets = starts[:, None] + np.arange(block_size + 1)  # (n_windows, T + 1)
    chunk = val[offsets].astype(np.int32)
    return chunk[:, :-1], chunk[:, 1:]


def encode_prompt(vocab: Vocab, prompt: str) -> np.ndarray:
    """prompt -> ids (n_prompt,); for a character vocabulary, a DataError naming every
    character it lacks (BPE encodes any text)."""
    if isinstance(vocab, BpeVocab):
        return vocab.encode(prompt)
    unknown = sorted(set(prompt) - set(vocab.chars))
    if unknown:
        listed = ", ".join(repr(char) for char in unknown)
        raise DataError(
            f"prompt has characters that are not in the text's {vocab.size}-character "
            f"vocabulary: {listed}; use only characters that occur in the training text"
        )
    return vocab.encode(prompt)


def attention_text(data: CharData, prompt: str, n_chars: int, block_size: int) -> str:
    """The text whose attention the report shows: the prompt, else n_chars of the validation
    text from its first line start; at most block_size characters either way (so at most
    block_size tokens for BPE too)."""
    if prompt:
        return prompt[-block_size:]
    length = min(n_chars, block_size)
    start = data.val_text.find("\n") + 1  # 0 when there is no line break
    start = start if start + length <= len(data.val_text) else 0
    return data.val_text[start : start + length]
