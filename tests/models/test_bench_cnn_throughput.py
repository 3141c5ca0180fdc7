"""The CNN throughput benchmark runs end to end in --quick mode and writes its JSON."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_cnn_throughput.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_cnn_throughput_benchmark_quick_run(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / "cnn_throughput.json").read_text())
    assert results["quick"] and results["machine"]["jax"]
    models = [row["model"] for row in results["rows"]]
    assert models[:2] == ["jlr, im2col conv", "jlr, lax conv"]
    assert all(row["images/s"] > 0 for row in results["rows"])
    if importlib.util.find_spec("torch") is None:
        assert len(models) == 2 and "torch is not installed" in completed.stdout
    else:
        assert models[2].startswith("pytorch") and "ratio vs torch" in results["rows"][0]
