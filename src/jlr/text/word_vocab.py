r"""`WordVocab`: a word-level vocabulary with special tokens and an unknown token.

Pre-tokenization (`pre_tokenize`), the rule of HF `tokenizers`' `Whitespace` pre-tokenizer:

    tokens = re.findall(r"\w+|[^\w\s]+", text)

a token is a maximal run of word characters (letters, digits, underscore: Python's `\w`, i.e.
str.isalnum() or "_") or a maximal run of other non-space characters (punctuation); whitespace
only separates. "don't stop..." -> ["don", "'", "t", "stop", "..."].

Ids. Four special tokens come first, at fixed ids, whatever the text:

    0 <pad>   fills short sequences up to a common length (`pad_sequences`)
    1 <unk>   stands for every token not in the vocabulary
    2 <bos>   begins a sequence, 3 <eos> ends it (`encode(..., add_bos=True, add_eos=True)`)

then the tokens seen in the text, most frequent first, ties broken by code-point order of the
token (so the ids never depend on the order of appearance), keeping only tokens seen at least
`min_freq` times and at most `max_size` ids in all, specials included (HF `WordLevelTrainer`'s
`vocab_size` and `min_frequency`, and its order, so HF `tokenizers` is the test oracle).

Text never produces a special token: pre-tokenization splits "<eos>" into "<", "eos", ">".
`decode` joins tokens with single spaces, so decode(encode(s)) == " ".join(pre_tokenize(s))
when every token of s is in the vocabulary: the original spacing is not kept.

The token-level methods (`from_tokens`, `encode_tokens`, `decode_tokens`) take any
pre-tokenization: from_tokens(list(text)) is a character-level vocabulary with <unk> and the
special tokens (`jlr.text.CharVocab` is the one without them, nanoGPT's).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from jlr.data.errors import DataError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(len(SPECIAL_TOKENS))

_TOKEN = re.compile(r"\w+|[^\w\s]+")


def pre_tokenize(text: str) -> list[str]:
    """Words (runs of \\w) and punctuation (runs of other non-space characters), in order."""
    return _TOKEN.findall(text)


def rank_tokens(
    counts: Mapping[str, int], *, min_freq: int = 1, max_tokens: int | None = None
) -> list[str]:
    """Tokens with count >= min_freq, by decreasing count, ties by code-point order; the first
    max_tokens of them (all when None)."""
    kept = [token for token, count in counts.items() if count >= min_freq]
    ranked = sorted(kept, key=lambda token: (-counts[token], token))
    return ranked if max_tokens is None else ranked[:max_tokens]


@dataclass(frozen=True)
class WordVocab:
    """tokens: id i stands for tokens[i]; tokens[:4] are SPECIAL_TOKENS, the rest unique."""

    tokens: tuple[str, ...]
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError(f"a WordVocab starts with {SPECIAL_TOKENS}, got {self.tokens[:4]}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a WordVocab's tokens must be unique")
        object.__setattr__(self, "_ids", {token: i for i, token in enumerate(self.tokens)})

    @classmethod
    def from_tokens(
        cls, tokens: Iterable[str], *, min_freq: int = 1, max_size: int | None = None
    ) -> WordVocab:
        """Count `tokens` and keep them by `rank_tokens`; max_size counts the 4 specials.

        A token spelled like a special token is not counted: it already has its id.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        if max_size is not None and max_size < len(SPECIAL_TOKENS):
            raise ValueError(f"max_size must be at least {len(SPECIAL_TOKENS)}, got {max_size}")
        counts = Counter(token for token in tokens if token not in SPECIAL_TOKENS)
        max_tokens = None if max_size is None else max_size - len(SPECIAL_TOKENS)
        return cls(
            SPECIAL_TOKENS + tuple(rank_tokens(counts, min_freq=min_freq, max_tokens=max_tokens))
        )

    @classmethod
    def from_text(cls, text: str, *, min_freq: int = 1, max_size: int | None = None) -> WordVocab:
        """The vocabulary of pre_tokenize(text) (see `from_tokens`)."""
        return cls.from_tokens(pre_tokenize(text), min_freq=min_freq, max_size=max_size)

    @property
    def size(self) -> int:
        return len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def token_id(self, token: str) -> int:
        """The id of `token`, UNK_ID when it is not in the vocabulary."""
        return self._ids.get(token, UNK_ID)

    def encode_tokens(
        self, tokens: Iterable[str], *, add_bos: bool = False, add_eos: bool = False
    ) -> np.ndarray:
        """Tokens -> ids (n_tokens [+ 1 + 1],) int32, unknown tokens -> UNK_ID."""
        ids = [BOS_ID] if add_bos else []
        ids += [self.token_id(token) for token in tokens]
        ids += [EOS_ID] if add_eos else []
        return np.array(ids, dtype=np.int32)

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> np.ndarray:
        """str -> ids (n_tokens,) int32 of pre_tokenize(text), with <bos>/<eos> if asked."""
        return self.encode_tokens(pre_tokenize(text), add_bos=add_bos, add_eos=add_eos)

    def decode_tokens(self, ids, *, skip_special: bool = False) -> list[str]:
        """ids (n_tokens,) of ints in [0, size) -> tokens; skip_special drops ids 0..3."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise DataError(f"ids must lie in [0, {self.size}); got {ids.min()}..{ids.max()}")
        first = len(SPECIAL_TOKENS) if skip_special else 0
        return [self.tokens[i] for i in ids.tolist() if i >= first]

    def decode(self, ids, *, skip_special: bool = False) -> str:
        """ids -> the tokens joined by single spaces."""
        return " ".join(self.decode_tokens(ids, skip_special=skip_special))


def pad_sequences(
    sequences: Sequence[Sequence[int]], length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id sequences with PAD_ID to one length (the longest when None).

    -> ids (batch, length) int32 and mask (batch, length) bool, True on real tokens. A
    sequence longer than `length` is a DataError (truncate it first, on purpose).
    """
    longest = max((len(seq) for seq in sequences), default=0)
    length = longest if length is None else length
    if longest > length:
        raise DataError(f"a sequence has {longest} ids, more than length={length}")
    ids = np.full((len(sequences), length), PAD_ID, dtype=np.int32)
    mask = np.zeros((len(sequences), length), dtype=bool)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = True
    return ids, mask
