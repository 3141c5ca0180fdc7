"""The run folder: config.json, metrics.jsonl, checkpoint.npz, plots and report.html."""

from __future__ import annotations

import ast
import json
import os
import tempfile
import time
import zipfile
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
    """Make sure `out_dir` can hold this run; one-line RunFolderError if it cannot.

    Writability is proven by writing a probe file, since `os.access` says yes to root even
    where a write then fails (a read-only file system, a folder in the way).
    """
    out_dir = Path(out_dir)
    try:
        _check_run_folder(out_dir, resume=resume)
    except OSError as error:  # e.g. --out inside a folder this user cannot read
        raise RunFolderError(
            f"--out {out_dir}: {error.strerror or error}; choose a folder you can write"
        ) from None


def _check_run_folder(out_dir: Path, *, resume: bool) -> None:
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
    try:
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".jlr-write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise RunFolderError(
            f"--out {out_dir} is not writable ({error.strerror}); choose another folder"
        ) from None


def checkpoint_progress(out_dir: Path) -> tuple[int | None, int | None] | None:
    """(step, total_steps) from the run folder's checkpoint metadata (None for a key it lacks),
    or None when there is no readable checkpoint.

    Written with the standard library alone (the .npz is a zip; its metadata entry an .npy
    holding one JSON string), so the Ctrl-C handler can call it without importing anything.
    """
    try:
        with zipfile.ZipFile(Path(out_dir) / CHECKPOINT) as archive:
            raw = archive.read("__metadata__.npy")
        # .npy: magic (6 bytes), version (2), header length (2 bytes in v1, 4 after), header
        length_bytes = 2 if raw[6] == 1 else 4
        start = 8 + length_bytes + int.from_bytes(raw[8 : 8 + length_bytes], "little")
        descr = ast.literal_eval(raw[8 + length_bytes : start].decode("latin1"))["descr"]
        encoding = "utf-32-be" if descr.startswith(">") else "utf-32-le"  # numpy's "<U"
        metadata = json.loads(raw[start:].decode(encoding).rstrip("\x00"))
    except Exception:  # missing, torn or foreign: there is nothing to resume from
        return None
    if not isinstance(metadata, dict):
        return None
    return metadata.get("step"), metadata.get("total_steps")


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
