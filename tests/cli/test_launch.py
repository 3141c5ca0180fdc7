"""The launcher behind `jlr run --processes N`: logs per process, and no process outlives it."""

import os
import sys

import pytest

from jlr.errors import UserError
from jlr.launch import local_coordinator, run_processes


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def sleeper(pid_file) -> list[str]:
    """A process that writes its pid (atomically), then would sleep for a minute."""
    return python(f"import os, time; p = {str(pid_file)!r}; open(p + '.tmp', 'w').write("
                  "str(os.getpid())); os.replace(p + '.tmp', p); time.sleep(60)")  # fmt: skip


def assert_gone(pid_file) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_each_process_logs_to_its_own_file(tmp_path):
    run_processes([python("print('zero')"), python("print('one')")], tmp_path / "logs")
    assert (tmp_path / "logs" / "process-0.log").read_text() == "zero\n"
    assert (tmp_path / "logs" / "process-1.log").read_text() == "one\n"


def test_a_failure_names_the_process_and_its_error_and_stops_the_rest(tmp_path):
    failing = python(  # fails once the sleeper is surely running
        f"import os, sys, time\nwhile not os.path.exists({str(tmp_path / 'pid')!r}): "
        "time.sleep(0.01)\nprint('jlr: error: bad batch'); sys.exit(3)"
    )
    with pytest.raises(UserError, match=r"process 1 exited with code 3 \(jlr: error: bad batch\)"):
        run_processes([sleeper(tmp_path / "pid"), failing], tmp_path)
    assert_gone(tmp_path / "pid")


def test_the_deadline_stops_every_process(tmp_path):
    with pytest.raises(UserError, match="did not finish in time"):
        run_processes([sleeper(tmp_path / "pid")], tmp_path, timeout_s=3.0)
    assert_gone(tmp_path / "pid")


def test_local_coordinator_is_a_loopback_address():
    host, _, port = local_coordinator().rpartition(":")
    assert host == "127.0.0.1" and 0 < int(port) < 65536
