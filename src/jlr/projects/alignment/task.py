r"""The alignment project's synthetic, checkable preference, its prompts and its pairs.

The true score of a completion y (T characters) is the fraction of its characters that are
in a target set (the vowels "aeiou" by default):

    s(y) = (1/T) sum_t [y_t in target]

A labeller prefers completion a to b with the Bradley–Terry probability
sigma(label_scale (s(a) - s(b))): mostly the one with more target characters, with noise
when the two are close. Code can score any sample exactly, so the report can check whether
the reward model and the tuned policy really move what the labeller cares about.

Prompts are the first prompt_chars characters of lines of the validation text; every
sequence starts with a line break ("\n" + prompt), the context a line of text starts from.
A preference file (`--set preferences=PATH`, JSON lines {"prompt", "chosen", "rejected"})
replaces the sampled pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.alignment.preference import PreferencePairs
from jlr.data.errors import DataError
from jlr.data.text_file import read_text_file
from jlr.text.char_vocab import CharVocab

LINE_START = "\n"
FIELDS = ("prompt", "chosen", "rejected")


def target_mask(vocab: CharVocab, target: str) -> jax.Array:
    """(vocab,) float32: 1 for the characters of `target`, 0 elsewhere. A target character
    that the vocabulary lacks is a one-line DataError."""
    missing = sorted(set(target) - set(vocab.chars))
    if missing:
        raise DataError(
            f"target={target!r}: {', '.join(map(repr, missing))} not in the text's vocabulary; "
            "pick characters that occur in the training text"
        )
    return jnp.asarray(np.isin(np.array(vocab.chars), list(target)), jnp.float32)


def true_score(ids: jax.Array, mask: jax.Array, targets: jax.Array) -> jax.Array:
    """s(y): the fraction of the masked tokens that are targets. ids, mask (n, seq),
    targets (vocab,) -> (n,)."""
    hits = targets[ids] * mask  # (n, seq)
    return hits.sum(axis=-1) / jnp.maximum(mask.sum(axis=-1), 1.0)


def line_prompts(vocab: CharVocab, val_text: str, n: int, prompt_chars: int) -> np.ndarray:
    """n prompts: "\n" + the first prompt_chars characters after n line breaks spread evenly
    over the validation text (lines that start with a non-space character, when enough
    exist): (n, 1 + prompt_chars) int32."""
    text = val_text[: len(val_text) - prompt_chars]
    starts = [i + 1 for i, char in enumerate(text) if char == "\n"]
    nonblank = [s for s in starts if not val_text[s].isspace()]
    starts = nonblank if len(nonblank) >= n else starts
    if not starts:
        raise DataError("the validation text has no line breaks to take prompts from")
    picks = np.linspace(0, len(starts) - 1, n).round().astype(int)
    chosen_starts = np.take(starts, picks)  # (n,)
    rows = [vocab.encode(LINE_START + val_text[i : i + prompt_chars]) for i in chosen_starts]
    return np.stack(rows).astype(np.int32)


def label_pairs(
    key: jax.Array, a: jax.Array, b: jax.Array, mask: jax.Array, targets: jax.Array, scale: float
) -> PreferencePairs:
    """Bradley–Terry-noisy labels from the true score: completions a, b (n, seq) of the same
    prompts -> pairs with the preferred one as `chosen`."""
    prefer_a = jax.random.bernoulli(
        key, jax.nn.sigmoid(scale * (true_score(a, mask, targets) - true_score(b, mask, targets)))
    )[:, None]  # (n, 1)
    chosen, rejected = jnp.where(prefer_a, a, b), jnp.where(prefer_a, b, a)
    return PreferencePairs(chosen, mask, rejected, mask)


def read_preferences(path: str, vocab: CharVocab, block_size: int) -> PreferencePairs:
    """A JSON-lines preference file -> pairs padded to one length (at most block_size + 1).

    Each non-blank line is {"prompt": str, "chosen": str, "rejected": str}; chosen and
    rejected are completions of "\n" + prompt. Anything else is a one-line DataError naming
    the line.
    """
    name = Path(path).name
    records = []
    for number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if line.strip():
            records.append(_parse_record(name, number, line, vocab, block_size))
    if not records:
        raise DataError(f"preferences={path}: no pairs; write one JSON object per line")
    length = max(len(ids) for record in records for ids in record)
    prompt_lengths = [len(prompt_ids) for prompt_ids, _, _ in records]
    chosen = _pad([chosen_ids for _, chosen_ids, _ in records], length)
    rejected = _pad([rejected_ids for _, _, rejected_ids in records], length)
    return PreferencePairs(
        jnp.asarray(chosen[0]),
        jnp.asarray(_completion_mask(chosen[1], prompt_lengths, length)),
        jnp.asarray(rejected[0]),
        jnp.asarray(_completion_mask(rejected[1], prompt_lengths, length)),
    )


def _pad(rows: list[np.ndarray], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Id rows padded with 0 to `length`: (n, length) int32, and their lengths (n,)."""
    ids = np.zeros((len(rows), length), np.int32)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return ids, np.array([len(row) for row in rows])


def _completion_mask(lengths: np.ndarray, prompt_lengths: list[int], length: int) -> np.ndarray:
    """(n, length) float32: 1 from the end of each row's prompt to the end of the row."""
    positions = np.arange(length)[None, :]  # (1, length)
    starts = np.array(prompt_lengths)[:, None]  # (n, 1)
    return ((positions >= starts) & (positions < lengths[:, None])).astype(np.float32)


def _parse_record(name: str, number: int, line: str, vocab: CharVocab, block_size: int):
    where = f"preferences {name} line {number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(
            f"{where} is not JSON ({error.msg}); write one object "
            '{"prompt": ..., "chosen": ..., "rejected": ...} per line'
        ) from None
    if not isinstance(record, dict):
        raise DataError(f"{where} is a JSON {type(record).__name__}, not an object with {FIELDS}")
    missing = [field for field in FIELDS if field not in record]
    if missing:
        raise DataError(
            f"{where} has no {', '.join(repr(f) for f in missing)} field; each line needs "
            "string fields prompt, chosen and rejected"
        )
    for field in FIELDS:
        if not isinstance(record[field], str):
            raise DataError(f"{where}: {field!r} is {type(record[field]).__name__}, not a string")
    for field in ("chosen", "rejected"):
        if not record[field]:
            raise DataError(f"{where}: {field!r} is empty; a completion needs a character")
    unknown = sorted(set("".join(record[f] for f in FIELDS)) - set(vocab.chars))
    if unknown:
        raise DataError(
            f"{where} has characters outside the text's vocabulary: "
            f"{', '.join(map(repr, unknown))}; use characters of the training text"
        )
    prompt_ids = vocab.encode(LINE_START + record["prompt"])
    sequences = [np.concatenate([prompt_ids, vocab.encode(record[f])]) for f in FIELDS[1:]]
    longest = max(len(ids) for ids in sequences)
    if longest > block_size + 1:
        raise DataError(
            f"{where}: prompt + completion is {longest - 1} characters; at most "
            f"block_size={block_size} fit; shorten it or raise block_size"
        )
    return prompt_ids, *sequences
