"""Reading a data file the user named: its bytes, or one line that says what is wrong.

Every reader of a real format (MNIST IDX, CIFAR-10 batches, text) starts here, so a missing
file, a folder where a file belongs, or a file that cannot be read gets the same one-line
`DataError` with a fix, never an `IsADirectoryError` traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from jlr.data.errors import DataError


def read_file_bytes(path: str | os.PathLike, fix: str = "check the path") -> bytes:
    """The bytes of the file at `path`; a DataError ending with `fix` if it cannot be read."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file; give the path of the file itself")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; {fix}") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read it ({error.strerror}); {fix}") from None
