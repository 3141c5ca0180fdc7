"""benchmarks/bench_jax_core.py runs end to end in --quick mode and writes its JSON."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_jax_core.py"


@pytest.mark.slow
@pytest.mark.subprocess
def test_quick_benchmark_writes_json(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_jax_core", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    payload = bench.main(["--quick", "--out", str(tmp_path)])
    stored = json.loads((tmp_path / "jax_core_quick.json").read_text())
    assert set(stored) >= {"jacobian_modes", "eager_vs_jit", "recompilation", "data_parallel"}
    assert payload["recompilation"]["compilations"] == 4
    assert payload["eager_vs_jit"]["speedup"] > 1.0
    assert payload["data_parallel"]["n_devices"] == 8
    assert max(payload["data_parallel"][k] for k in ("sharded_jit", "shard_map", "pmap")) < 1e-5
