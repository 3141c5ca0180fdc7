"""Text as sequences of integer ids: vocabularies and tokenizers.

char_vocab  `CharVocab`: one id per character, sorted by code point (nanoGPT's char level)

Subword tokenizers (BPE, WordPiece) and word-level vocabularies land here too, one module
each, with HF `tokenizers` as their test oracle.
"""

from jlr.text.char_vocab import CharVocab

__all__ = ["CharVocab"]
