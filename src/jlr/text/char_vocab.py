"""`CharVocab`: a character-level vocabulary, id i <-> the i-th character in sorted order.

encode(s)[t] = index of s[t] in sorted(set(text)),  decode(encode(s)) == s
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jlr.data.errors import DataError


@dataclass(frozen=True)
class CharVocab:
    """chars: the vocabulary, sorted and unique; id i stands for chars[i]."""

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The characters of `text`, sorted by code point (nanoGPT's char-level vocab)."""
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def _codes(self) -> np.ndarray:
        return np.array([ord(char) for char in self.chars], dtype=np.uint32)  # sorted

    def encode(self, text: str) -> np.ndarray:
        """str of length seq -> ids (seq,) int32; DataError on a character not in the vocab."""
        codes = self._codes()
        points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")  # (seq,) code points
        ids = np.minimum(np.searchsorted(codes, points), max(len(codes) - 1, 0))
        unknown = codes[ids] != points if len(codes) else np.ones(len(points), dtype=bool)
        if unknown.any():
            position = int(np.argmax(unknown))
            raise DataError(
                f"character {text[position]!r} at position {position} is not in the "
                f"{self.size}-character vocabulary; build the vocab from a text that has it"
            )
        return ids.astype(np.int32)

    def decode(self, ids) -> str:
        """ids (seq,) of ints in [0, size) -> str of length seq."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise DataError(f"ids must lie in [0, {self.size}); got {ids.min()}..{ids.max()}")
        return self._codes()[ids].astype("<u4").tobytes().decode("utf-32-le")
