"""The Transformer step benchmark runs end to end in --quick mode and writes its JSON: JLR's
rows for both precisions with MFU, and the torch rows with their ratios when torch is there."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_transformer.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_transformer_benchmark_quick_run(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((tmp_path / "transformer_step.json").read_text())
    assert results["quick"] and results["machine"]["jax"]
    assert results["flops_formula"] in completed.stdout
    assert results["peak_source"].startswith("measured")
    rows = {(row["framework"], row["precision"]): row for row in results["rows"]}
    for precision in ("fp32", "mixed"):
        jlr = rows["jlr", precision]
        assert jlr["ms/step"] > 0 and 0 < jlr["MFU %"] < 100
        assert jlr["n_params"] == 28_064  # 2 layers, 32 wide, block 16, vocab 65 (counted by hand)
    if importlib.util.find_spec("torch") is None:
        assert set(rows) == {("jlr", "fp32"), ("jlr", "mixed")}
        assert "torch is not installed" in completed.stdout
    else:
        assert set(rows) == {(f, p) for f in ("jlr", "torch") for p in ("fp32", "mixed")}
        for precision in ("fp32", "mixed"):
            jlr, torch = rows["jlr", precision], rows["torch", precision]
            assert torch["n_params"] == jlr["n_params"]
            assert jlr["time / torch"] == pytest.approx(jlr["ms/step"] / torch["ms/step"])
            assert jlr["time / torch fp32"] == pytest.approx(
                jlr["ms/step"] / rows["torch", "fp32"]["ms/step"]
            )
        assert "time / torch" in completed.stdout and "MFU %" in completed.stdout


# The script run with torch hidden (find_spec("torch") is None), as on a machine without the
# bench extra; the peaks given rather than measured.
WITHOUT_TORCH = """
import runpy, sys
sys.modules["torch"] = None
sys.argv = [sys.argv[1], "--quick", "--precisions", "fp32", "--peak-tflops", "0.5,2", *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_transformer_benchmark_without_torch_skips_its_columns(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "torch is not installed: the PyTorch columns are skipped" in completed.stdout
    results = json.loads((tmp_path / "transformer_step.json").read_text())
    assert results["torch"] is None and results["peak_source"] == "given by --peak-tflops"
    (row,) = results["rows"]
    assert (row["framework"], row["precision"]) == ("jlr", "fp32")
    assert "time / torch" not in row
    # (6 N + 12 n_layer n_embd block) * batch * block, N = 28,064 - 16 * 32 (no positions)
    assert row["GFLOP/step"] * 1e9 == pytest.approx((6 * 27_552 + 12 * 2 * 32 * 16) * 4 * 16)
    expected_mfu = 100 * row["GFLOP/step"] * 1e9 / (row["ms/step"] / 1e3) / 0.5e12
    assert row["MFU %"] == pytest.approx(expected_mfu, rel=1e-9)
