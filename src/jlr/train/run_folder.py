"""The run folder: config.json, metrics.jsonl, checkpoint.npz, plots and report.html."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from jlr.atomic_file import write_atomically
from jlr.errors import RunFolderError

CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.jsonl"
CONFIG = "config.json"


def default_run_folder(project: str) -> Path:
    return Path("runs") / f"{project}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare_run_folder(out_dir: Path, *, resume: bool) -> None:
    """Make sure `out_dir` can hold this run; one-line RunFolderError if it cannot."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RunFolderError(f"--out {out_dir} is a file; give a folder path")
    has_checkpoint = (out_dir / CHECKPOINT).is_file()
    if resume and not has_checkpoint:
        raise RunFolderError(
            f"--resume: no checkpoint in {out_dir}; run without --resume to start a new run"
        )
    if not resume and has_checkpoint:
        raise RunFolderError(
            f"{out_dir} already holds a run; pass --resume to continue it or choose another --out"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"--out {out_dir} cannot be created: {error.strerror}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise RunFolderError(f"--out {out_dir} is not writable; choose another folder")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def append_metrics(out_dir: Path, records: list[dict[str, Any]]) -> None:
    """Append records to metrics.jsonl, one JSON object a line."""
    with open(Path(out_dir) / METRICS, "a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()


def read_metrics(out_dir: Path) -> list[dict[str, Any]]:
    path = Path(out_dir) / METRICS
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a line torn by a kill mid-write
            continue
    return records


def truncate_metrics(out_dir: Path, last_step: int) -> None:
    """Keep only records up to `last_step` (those after the checkpoint are redone on resume)."""
    kept = [record for record in read_metrics(out_dir) if record["step"] <= last_step]
    lines = "".join(json.dumps(record, sort_keys=True) + "\n" for record in kept)
    write_atomically(Path(out_dir) / METRICS, lines.encode())
