"""SIGKILL a real `jlr run` mid-run, resume it, and get the uninterrupted run's parameters."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from run_folder_helpers import checkpoint_arrays

SETTINGS = [
    "--set",
    "hidden=32",
    "--set",
    "steps=3000",
    "--set",
    "steps_per_call=10",
    "--set",
    "checkpoint_every=100",
    "--set",
    "eval_every=1000",
    "--no-progress",
    "--seed",
    "5",
]


def jlr_run(out_dir, *extra):
    return [
        sys.executable,
        "-m",
        "jlr",
        "run",
        "digits-mlp",
        "--out",
        str(out_dir),
        *SETTINGS,
        *extra,
    ]


@pytest.mark.slow
@pytest.mark.subprocess
def test_resume_after_sigkill_is_bitwise_identical(tmp_path):
    killed_dir, reference_dir = tmp_path / "killed", tmp_path / "reference"
    process = subprocess.Popen(
        jlr_run(killed_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    checkpoint = killed_dir / "checkpoint.npz"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    assert not (killed_dir / "results.json").exists(), "the run finished before it was killed"

    resumed = subprocess.run(
        jlr_run(killed_dir, "--resume"), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    reference = subprocess.run(jlr_run(reference_dir), capture_output=True, text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr

    ours, theirs = (
        checkpoint_arrays(checkpoint),
        checkpoint_arrays(reference_dir / "checkpoint.npz"),
    )
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    assert int(ours[".step"]) == 3000
