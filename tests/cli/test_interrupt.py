"""Ctrl-C at any moment of `jlr run`, in a real subprocess: exit code 130, one true line on
stderr, no traceback and no crash dump, and a run folder that resumes (or restarts) as the
line says.

The moments are chosen by watching the run folder, not by sleeping a fixed time, so they hold
on a slow or busy machine: start-up (JAX not yet imported), compilation (the step-0
checkpoint is on disk, the first jitted chunk is compiling), training (metrics are flowing),
and a second Ctrl-C while the first is being answered.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from jlr.train.run_folder import CHECKPOINT, METRICS

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

SETTINGS = ["--set", "steps=3000", "--set", "hidden=64,64", "--set", "checkpoint_every=100"]


def start_run(out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "jlr", "run", "digits-mlp", "--out", str(out)]
    return subprocess.Popen(
        [*command, "--no-progress", *SETTINGS, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert process.poll() is None, f"the run ended first: {process.communicate()}"
        assert time.monotonic() < deadline, "the moment to interrupt never came"
        time.sleep(0.02)


def metric_lines(out: Path) -> int:
    path = out / METRICS
    return len(path.read_text().splitlines()) if path.is_file() else 0


def checkpoint_progress(out: Path) -> tuple[int, int] | None:
    """(step, total_steps) read with numpy from the checkpoint, or None when there is none:
    an oracle independent of the stdlib reader the CLI prints its line from."""
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as stored:
        metadata = json.loads(str(stored["__metadata__"]))
    return metadata["step"], metadata["total_steps"]


def interrupt(process: subprocess.Popen, times: int = 1) -> tuple[int, str]:
    for _ in range(times):
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def assert_one_true_line(code: int, err: str, out: Path) -> str:
    """Exit 130, one line, no traceback or crash; the line's claim matches the folder."""
    assert code == 130, f"exit code {code} (a crash is -11 or 139):\n{err}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err and "Fatal Python error" not in err
    line = lines[0]
    progress = checkpoint_progress(out)
    if "nothing to resume" in line or "before the run started" in line:
        assert progress is None, f"{line!r}, yet {out / CHECKPOINT} holds {progress}"
    else:
        claimed = int(re.search(r"holds step (\d+)", line).group(1))
        assert progress is not None and progress[0] == claimed, (line, progress)
        assert f"--out {out} --resume" in line
    return line


def test_ctrl_c_during_start_up(tmp_path):
    out = tmp_path / "run"
    process = start_run(out)
    time.sleep(0.3)  # the interpreter is importing the CLI or JAX
    line = assert_one_true_line(*interrupt(process), out)
    assert "nothing to resume" in line or "before the run started" in line
    rerun = start_run(out)  # the line says: run the same command again
    wait_for(lambda: metric_lines(out) >= 1, rerun)
    assert_one_true_line(*interrupt(rerun), out)


def test_ctrl_c_during_compilation_then_resume(tmp_path):
    out = tmp_path / "run"
    process = start_run(out)
    wait_for(lambda: (out / CHECKPOINT).is_file(), process)  # step 0 saved; compiling now
    line = assert_one_true_line(*interrupt(process), out)
    assert "holds step" in line
    resumed = subprocess.run(
        [sys.executable, "-m", "jlr", "run", "digits-mlp", "--out", str(out), "--resume"]
        + ["--no-progress", *SETTINGS],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert checkpoint_progress(out) == (3000, 3000)


def test_ctrl_c_during_training_stops_at_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    process = start_run(out)
    wait_for(lambda: metric_lines(out) >= 3, process)
    line = assert_one_true_line(*interrupt(process), out)
    step = checkpoint_progress(out)[0]
    assert 0 < step < 3000, line
    records = [r for r in (out / METRICS).read_text().splitlines() if r]
    assert records, "the metrics written before the stop are kept"


def test_two_quick_ctrl_c_still_give_one_line(tmp_path):
    out = tmp_path / "run"
    process = start_run(out)
    wait_for(lambda: metric_lines(out) >= 2, process)
    assert_one_true_line(*interrupt(process, times=2), out)
