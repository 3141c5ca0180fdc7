"""Text as sequences of integer ids: vocabularies and tokenizers.

char_vocab  `CharVocab`: one id per character, sorted by code point (nanoGPT's char level);
            no special tokens, and an unknown character is an error
word_vocab  `WordVocab`: words and punctuation runs (`pre_tokenize`), special tokens at fixed
            ids (<pad> 0, <unk> 1, <bos> 2, <eos> 3), the rest by frequency with a min_freq /
            max_size cut, unknown tokens -> <unk>; `pad_sequences` pads id lists with <pad>.
            Its token-level methods also give a character vocabulary with specials.
bpe         byte-level BPE (GPT-2's): `train_bpe` (incremental pair counts, ties to the smallest
            id pair, HF BpeTrainer's merges), `bpe_encode`/`bpe_decode` (bpe.encode/bpe.decode)
            for any string, `save_bpe`/`load_bpe`; GPT-2 pre-tokenization without `regex`
wordpiece   `WordPiece`: BERT's greedy longest-match-first subwords with "##" continuations and
            [UNK], after BERT's normalization and whitespace/punctuation split;
            `wordpiece_encode`/`wordpiece_decode` (wordpiece.encode/wordpiece.decode)
sample_metrics  measures of generated text: `distinct_n` (unique n-grams over all samples),
            `repetition_rate` (n-grams that repeat an earlier one of the same sample)

The subword tokenizers have HF `tokenizers` as their test oracle.
"""

from jlr.text.bpe import BPE, bpe_from_merges, gpt2_pre_tokenize, load_bpe, save_bpe, train_bpe
from jlr.text.bpe import decode as bpe_decode
from jlr.text.bpe import encode as bpe_encode
from jlr.text.char_vocab import CharVocab
from jlr.text.word_vocab import (
    BOS,
    BOS_ID,
    EOS,
    EOS_ID,
    PAD,
    PAD_ID,
    SPECIAL_TOKENS,
    UNK,
    UNK_ID,
    WordVocab,
    pad_sequences,
    pre_tokenize,
    rank_tokens,
)
from jlr.text.wordpiece import WordPiece, bert_normalize, bert_pre_tokenize
from jlr.text.wordpiece import decode as wordpiece_decode
from jlr.text.wordpiece import encode as wordpiece_encode

__all__ = [
    "BPE",
    "BOS",
    "BOS_ID",
    "EOS",
    "EOS_ID",
    "PAD",
    "PAD_ID",
    "SPECIAL_TOKENS",
    "UNK",
    "UNK_ID",
    "CharVocab",
    "WordPiece",
    "WordVocab",
    "bert_normalize",
    "bert_pre_tokenize",
    "bpe_decode",
    "bpe_encode",
    "bpe_from_merges",
    "gpt2_pre_tokenize",
    "load_bpe",
    "pad_sequences",
    "pre_tokenize",
    "rank_tokens",
    "save_bpe",
    "train_bpe",
    "wordpiece_decode",
    "wordpiece_encode",
]
