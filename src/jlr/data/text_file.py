"""Reading any UTF-8 text file, failing in one line on a binary, non-UTF-8 or missing file."""

from __future__ import annotations

import os
from pathlib import Path

from jlr.data.errors import DataError
from jlr.data.file_bytes import read_file_bytes


def read_text_file(path: str | os.PathLike) -> str:
    """The file's text, decoded as strict UTF-8 (a leading byte-order mark is dropped)."""
    path = Path(path)
    data = read_file_bytes(path)
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise DataError(f"{path.name}: NUL byte at offset {offset}: a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise DataError(
            f"{path.name}: not UTF-8 text (byte 0x{bad} at offset {error.start}); "
            "convert it first, e.g. iconv -f latin1 -t utf-8"
        ) from None
