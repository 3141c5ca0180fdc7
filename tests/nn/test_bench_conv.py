"""benchmarks/bench_conv.py runs end to end in --quick mode and writes its JSON."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_conv.py"


@pytest.mark.slow
def test_quick_conv_benchmark_writes_json(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_conv", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    payload = bench.main(["--quick", "--out", str(tmp_path)])
    stored = json.loads((tmp_path / "conv_quick.json").read_text())
    assert stored["rows"] == payload["rows"] and stored["quick"] is True
    assert [row["shape"] for row in stored["rows"]] == list(bench.QUICK_SHAPES)
    for row in stored["rows"]:
        assert all(row[f"{v} us"] > 0 for v in ("loops", "im2col", "lax"))
        assert row["im2col/lax"] == pytest.approx(row["im2col us"] / row["lax us"])
        assert row["im2col max |diff|"] < 1e-5 and row["loops max |diff|"] < 1e-5
    assert "im2col/lax" in capsys.readouterr().out
