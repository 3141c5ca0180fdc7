"""The BPE benchmark runs end to end in --quick mode and writes its JSON: training and encoding
rows for JLR and HF, ratios that are the quotients of the times, and merges and ids that match
HF's on the same text."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_bpe.py"


@pytest.mark.subprocess
def test_bpe_benchmark_quick_run(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / "bpe_quick.json").read_text())
    assert results["quick"] and results["machine"]["python"] and results["vocab_size"] == 300
    assert results["same_merges"] and results["same_ids"]
    assert 0 < results["n_merges"] <= 300 - 256
    train, encode = results["rows"]
    for row in (train, encode):
        assert row["jlr s"] > 0 and row["hf s"] > 0
        assert row["jlr/hf"] == pytest.approx(row["jlr s"] / row["hf s"])
    assert encode["jlr MB/s"] == pytest.approx(results["megabytes"] / encode["jlr s"])
    assert "same merges as HF: True" in completed.stdout and "jlr/hf" in completed.stdout
