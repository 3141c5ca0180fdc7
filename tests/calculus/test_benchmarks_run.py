"""The calculus benchmark scripts run end to end in --quick mode and write their outputs."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("script", "stem"),
    [("bench_jacobian_modes.py", "jacobian_modes"), ("bench_hvp_cost.py", "hvp_cost")],
)
def test_benchmark_quick_run(tmp_path, script, stem):
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / f"{stem}.json").read_text())
    assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
    assert results["jax"]
    assert "wrote" in completed.stdout
