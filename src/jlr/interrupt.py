"""Stopping a run on Ctrl-C at a safe point: the signal asks, the training loop answers.

Python turns SIGINT into a `KeyboardInterrupt` raised at whatever bytecode runs next. In a
JAX program that can be inside XLA compilation, a device transfer, or a callback JAX runs from
the garbage collector, and unwinding from there crashed the process (a segmentation fault) or
was swallowed by the callback so the run went on. So `jlr run` installs a SIGINT handler that
only *records* the request (`request_stop`). A loop that polls (`polling()` around it,
`stop_requested()` between jitted chunks) saves a checkpoint and raises `RunInterrupted`;
where nothing polls (start-up, the final report), the entry point ends the process itself
(`jlr.cli`). This module holds the one process-wide flag that a signal needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from jlr.errors import RunInterrupted

__all__ = [
    "RunInterrupted",
    "clear_stop",
    "is_polling",
    "polling",
    "request_stop",
    "stop_requested",
]
_stop = threading.Event()
_pollers = [0]  # how many loops are polling right now


def request_stop() -> None:
    """Ask the polling loop to stop at its next safe point (called by the SIGINT handler)."""
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def clear_stop() -> None:
    _stop.clear()


def is_polling() -> bool:
    """True while some loop checks `stop_requested()` often enough to answer a Ctrl-C."""
    return _pollers[0] > 0


@contextmanager
def polling() -> Iterator[None]:
    """Mark the enclosed loop as one that polls `stop_requested()` between chunks."""
    _pollers[0] += 1
    try:
        yield
    finally:
        _pollers[0] -= 1
