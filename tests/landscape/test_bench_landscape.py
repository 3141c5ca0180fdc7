"""The landscape benchmark runs end to end in --quick mode and writes its JSON: a surface row
for the MLP and the CNN whose vmapped and looped losses agree, and Lanczos's top-10
eigenvalues agreeing with the full Hessian's."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_landscape.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_landscape_benchmark_quick_run(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / "landscape_quick.json").read_text())
    assert results["quick"] and results["machine"]["jax"]
    assert [(row["model"], row["chunk"]) for row in results["surfaces"]] == [
        (model, chunk) for model in ("mlp", "cnn") for chunk in (1, 8, 32, 256)
    ]
    for row in results["surfaces"]:
        assert row["vmapped s"] > 0 and row["loop s (extrapolated)"] > 0
        assert row["loop/vmapped"] == pytest.approx(row["loop s (extrapolated)"] / row["vmapped s"])
        assert row["max |vmapped - loop|"] < 1e-4
    lanczos = results["lanczos"]
    assert lanczos["k"] == 10 and lanczos["max rel error"] < 1e-3
    assert "wrote" in completed.stdout and "loop/vmapped" in completed.stdout
