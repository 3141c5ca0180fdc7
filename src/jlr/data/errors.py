"""`DataError`: a data file or data setting the user can fix, reported in one line.

The CLI prints the message without a traceback (it is a `jlr.errors.UserError`, exit code 2),
so every message says what is wrong and how to fix it, e.g.
"t10k-images-idx3-ubyte.gz: truncated: header says 10000x28x28 = 7840000 bytes, file has 1234;
re-download it".
"""

from __future__ import annotations

from jlr.errors import UserError


class DataError(UserError, ValueError):
    """A missing, corrupt, truncated or wrong data file, or a bad data setting."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # one line, whatever the caller gave
