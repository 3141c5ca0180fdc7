r"""Byte-level BPE (byte-pair encoding), GPT-2's tokenizer (Sennrich et al. 2016; Radford et al.
2019), trained and applied from scratch.

The alphabet is the 256 bytes, so every string has an encoding: text -> UTF-8 bytes -> ids, and
decode(encode(s)) == s for every str that UTF-8 can encode (anything without lone surrogates).
Each byte is shown as one printable character (`BYTE_TO_CHAR`, GPT-2's `bytes_to_unicode`:
printable Latin-1 bytes stand for themselves, the other 68 for chr(256 + k), so the space is
"Ġ"). Base ids follow the code points of those characters ("!" is 0, GPT-2's encoder.json
order, also HF `tokenizers`' order), merged tokens take ids 256, 257, ... in the order made.

Pre-tokenization. Merges never cross a pre-token boundary. "gpt2" is GPT-2's pattern,

    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+

(the `regex` module is not a dependency, so \p{L}, \p{N} and \s are spelled out as explicit
classes of code points built from `unicodedata`; \s is Oniguruma's: U+0009-000D, U+0085 and
categories Zs, Zl, Zp). "none" keeps each text whole.

Training (`train_bpe`), on the unique pre-tokens with their counts n_w:

    count(a, b) = sum over words w of n_w * #(adjacent a, b in w)
    repeat until vocab_size tokens: (a, b) = argmax count; token ab = a + b (bytes);
        replace every a, b (left to right, no overlap) by ab in the words holding it

Counts are kept up to date incrementally: an index pair -> words holding it says which words a
merge touches; only their pairs are recounted, and a heap of (-count, a, b) with stale entries
skipped finds the max. Tie-break: among pairs with the largest count, the smallest (id of a,
id of b), i.e. lexicographic on ids, which is HF `BpeTrainer`'s `Ord for Merge`. With the same
base ids this reproduces HF's merges (tested against `BpeTrainer` on small corpora). If a
merge makes a byte string that is already a token (a + bc == ab + c), the token keeps its id
and the merge is still recorded (HF's rule, read from its source; no test corpus has made one).

Encoding (`encode`), per pre-token: start from its bytes' ids, and while some adjacent pair has
a merge, merge every occurrence (left to right) of the pair with the lowest rank (earliest
merge). HF's BPE merges one occurrence at a time in (rank, position) order; the two agree
whenever every merge's parts are made by earlier merges, which `BPE` checks.
"""

from __future__ import annotations

import heapq
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from jlr.atomic_file import write_atomically
from jlr.data.errors import DataError

Pair = tuple[int, int]
FORMAT = "jlr-bpe"


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map: printable bytes keep their character, the rest get chr(256), chr(257)..."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {byte: chr(byte) for byte in printable}
    others = [byte for byte in range(256) if byte not in table]
    table.update({byte: chr(256 + k) for k, byte in enumerate(others)})
    return table


BYTE_TO_CHAR = _bytes_to_unicode()
CHAR_TO_BYTE = {char: byte for byte, char in BYTE_TO_CHAR.items()}
BASE_TOKENS = tuple(bytes([byte]) for byte in sorted(BYTE_TO_CHAR, key=BYTE_TO_CHAR.get))
BYTE_ID = {token[0]: i for i, token in enumerate(BASE_TOKENS)}  # byte -> base id


def to_chars(token: bytes) -> str:
    """Bytes -> their printable byte-level spelling (b" the" -> "Ġthe")."""
    return "".join(BYTE_TO_CHAR[byte] for byte in token)


def from_chars(spelling: str) -> bytes:
    """The inverse of `to_chars`; KeyError on a character outside the 256."""
    return bytes(CHAR_TO_BYTE[char] for char in spelling)


def _char_class(test: Callable[[str], bool]) -> str:
    """A regex class body of the code points where test(chr(c)), as escaped ranges."""
    ranges, start = [], None
    for code in range(0x110001):
        inside = code < 0x110000 and test(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append(
                re.escape(chr(start)) + (f"-{re.escape(chr(code - 1))}" * (code > start + 1))
            )
            start = None
    return "".join(ranges)


@cache
def _gpt2_regex() -> re.Pattern:
    letter = _char_class(lambda c: unicodedata.category(c).startswith("L"))
    number = _char_class(lambda c: unicodedata.category(c).startswith("N"))
    space = _char_class(
        lambda c: c in "\t\n\v\f\r\x85" or unicodedata.category(c) in ("Zs", "Zl", "Zp")
    )
    return re.compile(
        rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{letter}]+| ?[{number}]+| ?[^{space}{letter}{number}]+"
        rf"|[{space}]+(?![^{space}])|[{space}]+"
    )


def gpt2_pre_tokenize(text: str) -> list[str]:
    """GPT-2's split: contractions, letter runs, digit runs, other runs (each may take one
    leading space), whitespace runs ("a  b" -> ["a", " ", " b"])."""
    return _gpt2_regex().findall(text)


PRE_TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "gpt2": gpt2_pre_tokenize,
    "none": lambda text: [text] if text else [],
}


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """Replace each (a, b) in ids, scanning left to right without overlap, by new_id."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@dataclass(frozen=True)
class BPE:
    """merges: (a, b) id pairs in rank order; tokens: id i -> its bytes (tokens[:256] are
    BASE_TOKENS; merge (a, b) makes tokens[a] + tokens[b], already a token or the next one)."""

    merges: tuple[Pair, ...]
    tokens: tuple[bytes, ...]
    pre_tokenizer: str = "gpt2"
    ranks: dict[Pair, tuple[int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pre_tokenizer not in PRE_TOKENIZERS:
            raise ValueError(f"pre_tokenizer must be one of {sorted(PRE_TOKENIZERS)}")
        if self.tokens != _replay(self.merges):
            raise ValueError("a BPE's tokens must be the bytes followed by what its merges make")
        ids = {token: i for i, token in enumerate(self.tokens)}
        ranks = {pair: (rank, ids[self.tokens[pair[0]] + self.tokens[pair[1]]])
                 for rank, pair in reversed(list(enumerate(self.merges)))}  # fmt: skip
        object.__setattr__(self, "ranks", ranks)  # pair -> (rank, id of the merged token)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)


def _replay(merges: Iterable[Pair]) -> tuple[bytes, ...]:
    """The tokens that merges (id pairs, in rank order) make from BASE_TOKENS; ValueError if a
    merge uses an id that no earlier merge made."""
    tokens, known = list(BASE_TOKENS), set(BASE_TOKENS)
    for a, b in merges:
        if not (0 <= a < len(tokens) and 0 <= b < len(tokens)):
            raise ValueError(f"merge ({a}, {b}) uses a token that no earlier merge made")
        if tokens[a] + tokens[b] not in known:
            tokens.append(tokens[a] + tokens[b])
            known.add(tokens[-1])
    return tuple(tokens)


def bpe_from_merges(merges: Iterable[tuple[bytes, bytes]], pre_tokenizer: str = "gpt2") -> BPE:
    """The BPE of merges given as byte strings in rank order (HF's merges.txt, decoded with
    `from_chars`); ValueError if a part is not a token yet (a byte or made by an earlier merge)."""
    ids = {token: i for i, token in enumerate(BASE_TOKENS)}
    pairs = []
    for left, right in merges:
        if left not in ids or right not in ids:
            raise ValueError(f"merge {to_chars(left)} {to_chars(right)}: a part is not a token yet")
        pairs.append((ids[left], ids[right]))
        ids.setdefault(left + right, len(ids))
    return BPE(tuple(pairs), tuple(ids), pre_tokenizer)


def _word_counts(texts: str | Iterable[str], pre_tokenizer: str) -> Counter[bytes]:
    split = PRE_TOKENIZERS[pre_tokenizer]
    texts = [texts] if isinstance(texts, str) else texts
    return Counter(word.encode("utf-8") for text in texts for word in split(text))


def train_bpe(texts: str | Iterable[str], vocab_size: int, pre_tokenizer: str = "gpt2") -> BPE:
    """Learn merges until vocab_size tokens (or no pair is left); see the module docstring.

    texts: one str or an iterable of str (each pre-tokenized on its own).
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the bytes), got {vocab_size}")
    word_counts = _word_counts(texts, pre_tokenizer)
    words = [[BYTE_ID[byte] for byte in word] for word in word_counts]  # unique words as ids
    counts = list(word_counts.values())
    pair_counts: Counter[Pair] = Counter()
    where: defaultdict[Pair, set[int]] = defaultdict(set)  # pair -> words that held it
    for w, word in enumerate(words):
        for pair in pairwise(word):
            pair_counts[pair] += counts[w]
            where[pair].add(w)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)  # min of (-count, (a, b)): the largest count, then the smallest pair
    tokens, ids, merges = list(BASE_TOKENS), {t: i for i, t in enumerate(BASE_TOKENS)}, []
    while len(tokens) < vocab_size and heap:
        neg_count, pair = heapq.heappop(heap)
        if -neg_count != pair_counts.get(pair):
            continue  # stale: the pair's count changed after this entry was pushed
        new_token = tokens[pair[0]] + tokens[pair[1]]
        new_id = ids.setdefault(new_token, len(tokens))
        if new_id == len(tokens):
            tokens.append(new_token)
        merges.append(pair)
        changed = _apply_merge(words, counts, pair, new_id, pair_counts, where)
        for other in changed:
            if pair_counts[other] > 0:
                heapq.heappush(heap, (-pair_counts[other], other))
            else:
                del pair_counts[other]
    return BPE(tuple(merges), tuple(tokens), pre_tokenizer)


def _apply_merge(words, counts, pair, new_id, pair_counts, where) -> set[Pair]:
    """Merge `pair` in the words that hold it, updating pair_counts and where in place;
    -> the pairs whose count changed."""
    changed = set()
    for w in where.pop(pair):
        old = words[w]
        new = merge_pair(old, pair, new_id)
        if len(new) == len(old):
            continue  # the index is a superset: this word lost the pair earlier
        for gone in pairwise(old):
            pair_counts[gone] -= counts[w]
            changed.add(gone)
        for made in pairwise(new):
            pair_counts[made] += counts[w]
            where[made].add(w)
            changed.add(made)
        words[w] = new
    return changed


def encode_word(bpe: BPE, word: bytes) -> list[int]:
    """One pre-token's bytes -> ids: merge the lowest-rank pair everywhere, until none has a
    merge."""
    ids = [BYTE_ID[byte] for byte in word]
    while len(ids) > 1:
        ranked = [bpe.ranks[pair] + (pair,) for pair in pairwise(ids) if pair in bpe.ranks]
        if not ranked:
            break
        _, new_id, pair = min(ranked)
        ids = merge_pair(ids, pair, new_id)
    return ids


def encode(bpe: BPE, text: str) -> list[int]:
    """str -> ids (ints in [0, vocab_size)); each distinct pre-token is encoded once per call."""
    seen: dict[str, list[int]] = {}
    ids = []
    for word in PRE_TOKENIZERS[bpe.pre_tokenizer](text):
        if word not in seen:
            seen[word] = encode_word(bpe, word.encode("utf-8"))
        ids += seen[word]
    return ids


def decode(bpe: BPE, ids: Iterable[int]) -> str:
    """ids -> the str of their bytes joined (bytes that are not UTF-8 -> U+FFFD)."""
    ids = list(ids)
    bad = [i for i in ids if not 0 <= i < bpe.vocab_size]
    if bad:
        raise DataError(f"ids must lie in [0, {bpe.vocab_size}); got {bad[0]}")
    return b"".join(bpe.tokens[i] for i in ids).decode("utf-8", errors="replace")


def save_bpe(bpe: BPE, path: str | Path) -> Path:
    """JSON: the format tag, the pre-tokenizer, and the merges as "a b" in their byte-level
    spelling, one per rank (HF merges.txt's lines)."""
    merges = [f"{to_chars(bpe.tokens[a])} {to_chars(bpe.tokens[b])}" for a, b in bpe.merges]
    payload = {"format": FORMAT, "version": 1, "pre_tokenizer": bpe.pre_tokenizer, "merges": merges}
    return write_atomically(
        Path(path), (json.dumps(payload, ensure_ascii=False, indent=0) + "\n").encode()
    )


def load_bpe(path: str | Path) -> BPE:
    """The BPE `save_bpe` wrote; a DataError (one line) for any other file."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError(f'no "format": "{FORMAT}" tag')
        merges = [line.split(" ") for line in payload["merges"]]
        if any(len(parts) != 2 for parts in merges):
            raise ValueError('a merge is not "a b"')
        pairs = [(from_chars(left), from_chars(right)) for left, right in merges]
        return bpe_from_merges(pairs, payload["pre_tokenizer"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = f"{type(error).__name__}: {error}" if isinstance(error, KeyError) else error
        raise DataError(f"{path}: not a BPE saved by jlr.text.save_bpe ({reason})") from None
