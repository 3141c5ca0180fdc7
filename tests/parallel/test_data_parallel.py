"""Data-parallel training equals single-device training: 8 simulated CPU devices, 2 processes.

Both need fresh processes: XLA_FLAGS must be set before JAX starts, and this pytest process
already started JAX with one device. The 2 processes are started the way a user starts
them, `jlr run data-parallel-mlp --processes 2`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from jlr.cli import main
from jlr.projects import data_parallel_mlp

HERE = Path(__file__).resolve().parent
TINY = data_parallel_mlp.Config(hidden=(8,), batch_size=16, steps=4, log_every=2)


@pytest.mark.slow
@pytest.mark.subprocess
def test_sharded_jit_shard_map_and_pmap_match_single_device():
    # Simulated devices are CPU devices: on a GPU machine JAX would pick the one GPU instead.
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=8",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, str(HERE / "eight_devices.py")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["n_devices"] == 8
    assert results["compiler_inserted_all_reduce"]
    for name in ("sharded_jit", "shard_map", "pmap"):
        assert results[name] < 1e-5, (name, results)  # float rounding of the all-reduce only


def test_one_device_run_writes_params(tmp_path):
    final = data_parallel_mlp.run(TINY, tmp_path, progress=False)
    assert final["n_devices"] == jax.device_count() == 1 and final["n_processes"] == 1
    with np.load(tmp_path / data_parallel_mlp.PARAMS_FILE) as params:
        assert params["[0]['w']"].shape == (64, 8)
    assert (tmp_path / "report.html").is_file()


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.timeout(600)
def test_two_processes_match_one_process(tmp_path, monkeypatch):
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")  # two CPU processes (gloo), even beside a GPU
    single = data_parallel_mlp.run(TINY, tmp_path / "one", progress=False)
    settings = ["--set", "hidden=8", "--set", "batch_size=16", "--set", "steps=4"]
    argv = ["run", "data-parallel-mlp", "--processes", "2", "--out", str(tmp_path / "two")]
    assert main([*argv, *settings, "--set", "log_every=2", "--no-progress"]) == 0
    final = json.loads((tmp_path / "two" / "results.json").read_text())
    assert final["n_processes"] == 2 and final["n_devices"] == 2
    for i in (0, 1):  # each process logged to its own file
        assert (tmp_path / "two" / "logs" / f"process-{i}.log").is_file()
    assert final["test_accuracy"] == pytest.approx(single["test_accuracy"], abs=1e-6)
    with (
        np.load(tmp_path / "one" / "params.npz") as one,
        np.load(tmp_path / "two" / "params.npz") as two,
    ):
        assert sorted(one) == sorted(two)
        for name in set(one) - {"__metadata__"}:  # arrays; the JSON metadata is a string
            np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-6)
