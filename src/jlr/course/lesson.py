"""Helpers every lesson uses: fast mode and the root key."""

from __future__ import annotations

import os


def fast_mode() -> bool:
    """True when JLR_FAST=1: lessons shrink their sizes so CI executes them in seconds."""
    return os.environ.get("JLR_FAST", "0") == "1"
