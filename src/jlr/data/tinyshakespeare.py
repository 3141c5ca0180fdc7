"""Tiny-shakespeare (Karpathy's char-rnn): 40,000 lines of Shakespeare, 1,115,394 characters,
65 distinct ones. The classic corpus of character-level language models (char-rnn, nanoGPT).
"""

from __future__ import annotations

import os

from jlr.data.corpus import TextCorpus, make_corpus
from jlr.data.download import fetch
from jlr.data.text_file import read_text_file


def load_tinyshakespeare(
    path: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike | None = None
) -> TextCorpus:
    """The corpus from `path`, else from the cache folder (downloaded once; DataError offline).

    Split it with `tinyshakespeare_split(corpus.text)` (first 90% train, last 10% val).
    """
    source = fetch("tinyshakespeare", cache_dir) if path is None else path
    return make_corpus(read_text_file(source), (os.fspath(source),))
