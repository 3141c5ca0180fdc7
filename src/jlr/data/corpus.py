"""`TextCorpus`: a text with where it came from, its size and a fingerprint for the run config."""

from __future__ import annotations

import hashlib
from typing import NamedTuple


def text_fingerprint(text: str) -> str:
    """First 16 hex digits of sha256(text as UTF-8): changes whenever one character does."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class TextCorpus(NamedTuple):
    """A training text. `files` are the sources in order; `missing` those that were skipped."""

    text: str
    files: tuple[str, ...]
    n_chars: int
    fingerprint: str
    missing: tuple[str, ...] = ()

    def describe(self) -> dict:
        """What a run's config.json records about its data (everything but the text)."""
        return {
            "n_chars": self.n_chars,
            "fingerprint": self.fingerprint,
            "files": list(self.files),
            "missing": list(self.missing),
        }


def make_corpus(text: str, files: tuple[str, ...], missing: tuple[str, ...] = ()) -> TextCorpus:
    """A TextCorpus with n_chars and fingerprint computed from `text`."""
    return TextCorpus(text, tuple(files), len(text), text_fingerprint(text), tuple(missing))
