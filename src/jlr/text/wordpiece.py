"""WordPiece, BERT's subword encoder (Schuster & Nakajima 2012; Devlin et al. 2019), applied with
a given vocabulary, exactly as HF `tokenizers` does with `BertNormalizer`, `BertPreTokenizer`
and `models.WordPiece`.

1. Normalize (`bert_normalize`), in this order:
   clean text: drop U+0000, U+FFFD and control characters (categories Cc, Cf, Cs, Co, Cn, but
   not \\t \\n \\r), and turn every whitespace character (Unicode White_Space) into " ";
   put spaces around CJK ideographs (`is_chinese_char`: HF's code-point ranges), so each is a word;
   strip accents (NFD, then drop nonspacing marks, category Mn), by default when lowercasing;
   lowercase, one character at a time (str.lower per character: no final-sigma rule).
2. Pre-tokenize (`bert_pre_tokenize`): split on whitespace, and make every punctuation character
   (ASCII punctuation or a Unicode P* category) a word of its own. "Don't!" -> Don ' t !
3. Each word, greedy longest-match-first: from position 0, take the longest prefix that is in
   the vocabulary; from then on look up "##" + rest-prefix (a continuation piece); repeat.

       "unaffable" -> un ##aff ##able     (if those pieces are in the vocabulary)

   A word with no piece at some position, or longer than max_chars_per_word characters, becomes
   one [UNK] as a whole (not a partial split).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from jlr.data.errors import DataError

WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(map(chr, range(0x2000, 0x200B)))
)  # Unicode's White_Space property (Rust's char::is_whitespace)
ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)  # fmt: skip


def is_chinese_char(char: str) -> bool:
    """In a CJK ideograph block (HF BertNormalizer's list; Hangul and kana are not)."""
    return any(low <= ord(char) <= high for low, high in CJK_RANGES)


def is_punctuation(char: str) -> bool:
    return char in ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def bert_normalize(text: str, *, lowercase: bool = True, strip_accents: bool | None = None) -> str:
    """BERT's normalization (step 1 of the module docstring); strip_accents=None follows
    lowercase."""
    kept = (c for c in text if c not in "\x00\ufffd" and not _is_control(c))
    text = "".join(" " if c in WHITE_SPACE else c for c in kept)
    text = "".join(f" {c} " if is_chinese_char(c) else c for c in text)
    if lowercase if strip_accents is None else strip_accents:
        text = "".join(
            c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
        )
    return "".join(c.lower() for c in text) if lowercase else text


def bert_pre_tokenize(text: str) -> list[str]:
    """Words split on whitespace, each punctuation character a word of its own."""
    words, current = [], []
    for char in text:
        if char in WHITE_SPACE or is_punctuation(char):
            words += ["".join(current)] if current else []
            words += [] if char in WHITE_SPACE else [char]
            current = []
        else:
            current.append(char)
    return words + (["".join(current)] if current else [])


@dataclass(frozen=True)
class WordPiece:
    """tokens: id i -> tokens[i], unique, unk_token among them; continuation pieces start with
    `prefix`. The normalization settings are BertNormalizer's."""

    tokens: tuple[str, ...]
    unk_token: str = "[UNK]"
    prefix: str = "##"
    max_chars_per_word: int = 100
    lowercase: bool = True
    strip_accents: bool | None = None
    ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a WordPiece vocabulary's tokens must be unique")
        if self.unk_token not in self.tokens:
            raise ValueError(f"the unknown token {self.unk_token!r} must be in the vocabulary")
        object.__setattr__(self, "ids", {token: i for i, token in enumerate(self.tokens)})


def split_word(wp: WordPiece, word: str) -> list[str]:
    """One word -> its pieces, greedy longest-match-first; [unk_token] if it cannot be split."""
    if len(word) > wp.max_chars_per_word:
        return [wp.unk_token]
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):  # the longest candidate first
            piece = (wp.prefix if start else "") + word[start:end]
            if piece in wp.ids:
                break
        else:
            return [wp.unk_token]  # no piece fits here: the whole word is unknown
        pieces.append(piece)
        start = end
    return pieces


def tokenize(wp: WordPiece, text: str) -> list[str]:
    """str -> pieces: normalize, pre-tokenize, split each word."""
    normal = bert_normalize(text, lowercase=wp.lowercase, strip_accents=wp.strip_accents)
    return [piece for word in bert_pre_tokenize(normal) for piece in split_word(wp, word)]


def encode(wp: WordPiece, text: str) -> list[int]:
    """str -> ids of `tokenize`'s pieces."""
    return [wp.ids[piece] for piece in tokenize(wp, text)]


def decode(wp: WordPiece, ids: Iterable[int]) -> str:
    """ids -> pieces joined by spaces, continuations glued on ("un ##aff" -> "unaff"); the
    normalization is not undone (HF decoders.WordPiece with cleanup=False)."""
    ids = list(ids)
    bad = [i for i in ids if not 0 <= i < len(wp.tokens)]
    if bad:
        raise DataError(f"ids must lie in [0, {len(wp.tokens)}); got {bad[0]}")
    pieces = [wp.tokens[i] for i in ids]
    glued = [
        piece if i == 0 else piece[len(wp.prefix) :] if piece.startswith(wp.prefix) else " " + piece
        for i, piece in enumerate(pieces)
    ]
    return "".join(glued)
