"""Shared plumbing for benchmark scripts: machine facts, the allocator setting, a results table,
and JSON output."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    import jax

    return {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "cpu_count": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def keep_heap_as_jlr_run_does() -> bool:
    """`jlr.train.allocator.keep_temp_buffers_in_heap()`, as `jlr run` calls it, with a line
    saying whether it took effect (and why not); True when it did. Process-wide: any PyTorch
    timed in the same process runs with it too."""
    from jlr.train.allocator import keep_temp_buffers_in_heap, mallopt_unavailable_reason

    heap_kept = keep_temp_buffers_in_heap()
    print(f"temp buffers kept in the heap: {heap_kept or mallopt_unavailable_reason()}")
    return heap_kept


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    def fmt(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    widths = [max(len(c), *(len(fmt(r.get(c, ""))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(fmt(row.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True)))


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    print(f"wrote {path}")
    return path
