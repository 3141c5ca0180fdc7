"""Benchmark: byte-level BPE training and encoding, `jlr.text.bpe` (pure Python) against HF
`tokenizers` (Rust), on the same text and vocabulary size.

- training: `train_bpe(text, vocab_size)` against `BpeTrainer(vocab_size, initial_alphabet=
  ByteLevel.alphabet())` with the `ByteLevel(add_prefix_space=False)` pre-tokenizer, wall time
  of one run each (the text split into lines for both; JLR's pre-tokenizer regex, built once
  per process from `unicodedata`, is built before timing); the two merge lists are compared;
- encoding: MB of UTF-8 per second over the whole text, best of `--repeats` runs, each
  tokenizer with its own merges (the ids are compared: they match when the merges do).
Ratios are JLR time / HF time (> 1: JLR is slower).

    python benchmarks/bench_bpe.py [--quick] [--text PATH] [--vocab-size N] [--repeats N]
                                   [--out DIR]

The text defaults to ../shared/data/tinyshakespeare.txt, else the stdlib corpus
(`jlr.data.stdlib_corpus()`); --quick uses its first 20 kB and vocabulary 300.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, print_table  # noqa: E402

from jlr.text.bpe import encode, gpt2_pre_tokenize, to_chars, train_bpe  # noqa: E402

DEFAULT_TEXT = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"


def load_text(path: Path | None) -> tuple[str, str]:
    """-> (text, where it came from)."""
    path = path or DEFAULT_TEXT
    if path.exists():
        return path.read_text(encoding="utf-8"), str(path)
    from jlr.data import stdlib_corpus

    return stdlib_corpus().text, "jlr.data.stdlib_corpus()"


def seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def hf_tokenizer(lines: list[str], vocab_size: int):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(lines, trainer)
    return tokenizer


def hf_merges(tokenizer) -> list[tuple[str, str]]:
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 kB of text, vocabulary 300")
    parser.add_argument("--text", type=Path, default=None, help="a UTF-8 text file")
    parser.add_argument("--vocab-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3, help="encoding runs, best kept")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    args = parser.parse_args(argv)
    if args.text is not None and not args.text.is_file():
        parser.error(f"--text {args.text}: no such file")
    text, source = load_text(args.text)
    vocab_size, repeats = (300, 1) if args.quick else (args.vocab_size, args.repeats)
    text = text[:20_000] if args.quick else text
    lines = text.splitlines(keepends=True)
    megabytes = len(text.encode("utf-8")) / 1e6

    gpt2_pre_tokenize("")  # builds the regex's Unicode classes once
    jlr_train, bpe = seconds(lambda: train_bpe(lines, vocab_size))
    hf_train, tokenizer = seconds(lambda: hf_tokenizer(lines, vocab_size))
    same_merges = [(to_chars(bpe.tokens[a]), to_chars(bpe.tokens[b])) for a, b in bpe.merges] == (
        hf_merges(tokenizer)
    )
    jlr_encode, ids = min(seconds(lambda: encode(bpe, text)) for _ in range(repeats))
    hf_encode, hf_ids = min(seconds(lambda: tokenizer.encode(text).ids) for _ in range(repeats))
    rows = [
        {"task": f"train (vocab {vocab_size})", "jlr s": jlr_train, "hf s": hf_train,
         "jlr/hf": jlr_train / hf_train},
        {"task": "encode", "jlr s": jlr_encode, "hf s": hf_encode, "jlr/hf": jlr_encode / hf_encode,
         "jlr MB/s": megabytes / jlr_encode, "hf MB/s": megabytes / hf_encode},
    ]  # fmt: skip
    print(f"text: {source}, {megabytes:.3f} MB; {len(bpe.merges)} merges")
    print_table(rows, ["task", "jlr s", "hf s", "jlr/hf", "jlr MB/s", "hf MB/s"])
    print(f"same merges as HF: {same_merges}; same ids as HF: {ids == hf_ids}")
    payload = {"machine": machine(), "quick": args.quick, "text": source, "megabytes": megabytes,
               "vocab_size": vocab_size, "n_merges": len(bpe.merges), "rows": rows,
               "same_merges": same_merges, "same_ids": ids == hf_ids}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("bpe_quick.json" if args.quick else "bpe.json")
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
