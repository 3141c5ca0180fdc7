"""The optimizer-step benchmark runs end to end in --quick mode and writes its JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_optimizer_step.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_optimizer_step_benchmark_quick_run(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / "optimizer_step.json").read_text())
    assert results["quick"] and results["machine"]["jax"]
    assert {row["timing"] for row in results["rows"]} == {"update only", "train step"}
    assert all(row["jlr us/step"] > 0 and row["optax us/step"] > 0 for row in results["rows"])
    assert "ratio" in completed.stdout
