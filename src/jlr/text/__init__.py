"""Text as sequences of integer ids: vocabularies and tokenizers.

char_vocab  `CharVocab`: one id per character, sorted by code point (nanoGPT's char level);
            no special tokens, and an unknown character is an error
word_vocab  `WordVocab`: words and punctuation runs (`pre_tokenize`), special tokens at fixed
            ids (<pad> 0, <unk> 1, <bos> 2, <eos> 3), the rest by frequency with a min_freq /
            max_size cut, unknown tokens -> <unk>; `pad_sequences` pads id lists with <pad>.
            Its token-level methods also give a character vocabulary with specials.

Subword tokenizers (BPE, WordPiece) land here too, one module each, with HF `tokenizers` as
their test oracle.
"""

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

__all__ = [
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
    "WordVocab",
    "pad_sequences",
    "pre_tokenize",
    "rank_tokens",
]
