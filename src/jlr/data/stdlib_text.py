"""A character-level text corpus made of the Python standard library's own source files.

Every Python install carries it, so a language model can train with no download. The
selection is fixed and sorted (modules present on CPython 3.11 and later); a file that is
missing on some version is skipped and listed in `TextCorpus.missing`. The text still differs
between Python versions, which is why a run records `n_chars` and `fingerprint`.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

from jlr.data.corpus import TextCorpus, make_corpus

STDLIB_FILES: tuple[str, ...] = tuple(
    sorted(
        [
            "abc.py",
            "argparse.py",
            "ast.py",
            "base64.py",
            "bisect.py",
            "calendar.py",
            "collections/__init__.py",
            "colorsys.py",
            "contextlib.py",
            "copy.py",
            "csv.py",
            "dataclasses.py",
            "difflib.py",
            "enum.py",
            "fnmatch.py",
            "fractions.py",
            "functools.py",
            "glob.py",
            "gzip.py",
            "heapq.py",
            "inspect.py",
            "json/__init__.py",
            "json/decoder.py",
            "json/encoder.py",
            "keyword.py",
            "numbers.py",
            "operator.py",
            "os.py",
            "pprint.py",
            "queue.py",
            "random.py",
            "shlex.py",
            "shutil.py",
            "statistics.py",
            "tempfile.py",
            "textwrap.py",
            "threading.py",
            "tokenize.py",
            "traceback.py",
            "typing.py",
            "warnings.py",
            "weakref.py",
        ]
    )
)


def stdlib_dir() -> Path:
    """The folder of the running interpreter's pure-Python standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_corpus(*, max_chars: int | None = 1_000_000, root: Path | None = None) -> TextCorpus:
    """The files of STDLIB_FILES under `root` (default: stdlib_dir()) joined, in sorted order.

    Line endings are normalized to "\\n"; the text is cut to its first `max_chars` characters
    (None: keep all). About 1M characters by default, the size of tiny-shakespeare.
    """
    root = stdlib_dir() if root is None else Path(root)
    present = tuple(name for name in STDLIB_FILES if (root / name).is_file())
    missing = tuple(name for name in STDLIB_FILES if name not in present)
    parts = [(root / name).read_bytes().decode("utf-8").replace("\r\n", "\n") for name in present]
    text = "\n".join(parts)
    return make_corpus(text if max_chars is None else text[:max_chars], present, missing)
