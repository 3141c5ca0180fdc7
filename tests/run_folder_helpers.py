"""Helpers for tests that compare run folders: a checkpoint's arrays, metrics without timing.

The checkpoint is read with numpy alone, independent of `jlr.train.checkpoint`, so a test of
resuming does not trust the reader it is testing. Import with
`from run_folder_helpers import ...` (tests/ is on sys.path, as the folder of the root
conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TIMING_KEYS = ("steps_per_sec", "elapsed")  # the metrics that differ between equal runs


def checkpoint_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array stored in the checkpoint file `path`, by name, without its metadata."""
    with np.load(path) as stored:
        return {name: stored[name] for name in stored.files if name != "__metadata__"}


def without_timing(records: list[dict]) -> list[dict]:
    """Metrics records without their wall-clock fields, for comparing two runs."""
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in records]
