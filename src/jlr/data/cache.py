"""The cache folder for generated and downloaded data, and atomic writes into it.

The folder is `cache_dir` when given, else `$JLR_CACHE`, else `~/.cache/jlr`. Files are
written to a temporary file in the same folder and renamed with `os.replace`, so a killed
process never leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from jlr.data.errors import DataError


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """cache_dir, else $JLR_CACHE, else ~/.cache/jlr (not created here)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    from_env = os.environ.get("JLR_CACHE")
    return Path(from_env).expanduser() if from_env else Path.home() / ".cache" / "jlr"


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Create path's folder, call write(file) on a temp file beside it, rename it into place."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise DataError(
            f"cannot write to the cache folder {path.parent} ({error.strerror}); "
            "set JLR_CACHE to a writable folder"
        ) from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
