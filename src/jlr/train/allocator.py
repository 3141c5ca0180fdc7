"""Keeping XLA:CPU's per-call temporary buffer in the heap (glibc's `mallopt`).

A jitted call on XLA:CPU allocates one large temporary buffer for its intermediates (about
53 MB for a small GPT's training step, gigabytes for a larger one) and frees it when the call
returns. glibc's malloc serves any block above its mmap threshold with a fresh `mmap` and
returns it with `munmap`, so every call touches brand-new pages and the kernel page-faults
each of them (about 14,000 faults per step of that small GPT, issue 13). Two settings keep
the buffer in the heap instead, where the next call finds the same, already mapped pages:

    mallopt(M_MMAP_MAX, 0)         never serve a block with mmap: every block comes from the heap
    mallopt(M_TRIM_THRESHOLD, -1)  never give the free top of the heap back to the kernel

(-1 disables trimming completely, `man 3 mallopt`; a finite threshold smaller than the buffer
would hand it back after every call.) The price: the process keeps its peak heap until it
exits, which a training process reaches on every step anyway.

This is process-wide, so the library never does it on its own: the training entry point
(`jlr run`) calls `keep_temp_buffers_in_heap()` once, before the run starts. On a platform
whose C library is not glibc (macOS, musl) the call changes nothing and says why; so does
setting the environment variable JLR_NO_MALLOPT (to any value) to keep glibc's defaults.
Calling it again sets the same values again: it is idempotent.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

# <malloc.h>'s parameter numbers
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
SETTINGS = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, -1))
OPT_OUT = "JLR_NO_MALLOPT"


def _load_libc():
    """The C library this process runs on (its symbols, with mallopt among them)."""
    return ctypes.CDLL(None)


def mallopt_unavailable_reason() -> str | None:
    """Why `keep_temp_buffers_in_heap` would change nothing here, in one line; None if it can."""
    if os.environ.get(OPT_OUT) is not None:
        return f"{OPT_OUT} is set: glibc's allocator keeps its defaults"
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return f"the C library here is not glibc ({sys.platform}): no mallopt to call"
    return None


def keep_temp_buffers_in_heap() -> bool:
    """Ask glibc to serve every block from the heap and never trim it (module docstring).

    Returns True when both settings were applied. Returns False when
    `mallopt_unavailable_reason()` gives a reason (nothing is changed) or when glibc
    refuses a setting.
    """
    if mallopt_unavailable_reason() is not None:
        return False
    libc = _load_libc()
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    libc.mallopt.restype = ctypes.c_int
    return all(libc.mallopt(param, value) == 1 for param, value in SETTINGS)  # 1 = success
