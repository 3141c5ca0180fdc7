"""The sweep benchmark runs end to end in quick mode (the full run is for an idle machine)."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.subprocess
def test_bench_vmap_sweep_quick(repo_root, tmp_path):
    out = tmp_path / "vmap_sweep.json"
    script = repo_root / "benchmarks" / "bench_vmap_sweep.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "vmap + scan vs loop with a jitted step" in result.stdout
    saved = json.loads(out.read_text())
    assert [row["variant"] for row in saved["rows"]] == [
        "loop, jit per step",
        "loop, jit(scan) per run",
        "vmap, jit per step",
        "vmap + scan, one jit",
    ]
    assert all(row["cold s"] > 0 and row["warm s"] > 0 for row in saved["rows"])
    assert saved["quick"] is True and saved["n_runs"] == 8
