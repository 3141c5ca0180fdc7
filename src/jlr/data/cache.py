"""The cache folder for generated and downloaded data, and atomic writes into it.

The folder is `cache_dir` when given, else `$JLR_CACHE`, else `~/.cache/jlr`. Files are
written to a temporary file in the same folder and renamed with `os.replace`, so a killed
process never leaves a half-written file under the final name.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from jlr.atomic_file import write_atomically
from jlr.data.errors import DataError


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """cache_dir, else $JLR_CACHE, else ~/.cache/jlr (not created here)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    from_env = os.environ.get("JLR_CACHE")
    return Path(from_env).expanduser() if from_env else Path.home() / ".cache" / "jlr"


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call write(file) into memory, then write the bytes to `path` atomically."""
    buffer = io.BytesIO()
    write(buffer)
    try:
        return write_atomically(path, buffer.getvalue())
    except OSError as error:
        raise DataError(
            f"cannot write to the cache folder {Path(path).parent} ({error.strerror}); "
            "set JLR_CACHE to a writable folder"
        ) from None
