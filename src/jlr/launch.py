"""The process launcher behind `jlr run NAME --processes N`: N copies of one command, here.

An entry point above the library, called only by `jlr.cli`; nothing in the library imports
it, and it is not a command line of its own. The CLI gives it N complete `jlr run` commands
(process i of N, coordinator on 127.0.0.1 and a free port); the launcher starts them, sends
each one's output to `logs/process-<i>.log`, waits with a deadline, and kills every
process still alive when it returns or fails. On several hosts nobody launches: the user
runs the same `jlr run ... --process-id i --coordinator HOST:PORT` command on each host.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from jlr.errors import UserError

DEFAULT_TIMEOUT_S = 1800.0


def local_coordinator() -> str:
    """An address "127.0.0.1:PORT" whose TCP port is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def run_processes(
    commands: list[list[str]], log_dir: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> None:
    """Run the commands side by side; command i logs to log_dir/process-<i>.log.

    Raises UserError naming the log at the first failure, or at the deadline; no process
    outlives this call.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    processes, logs = [], []
    try:
        for i, command in enumerate(commands):
            logs.append(open(log_dir / f"process-{i}.log", "w", encoding="utf-8"))  # noqa: SIM115
            processes.append(subprocess.Popen(command, stdout=logs[-1], stderr=subprocess.STDOUT))
        wait_all(processes, time.monotonic() + timeout_s, log_dir)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        for log in logs:
            log.close()


def wait_all(processes: list[subprocess.Popen], deadline: float, log_dir: Path) -> None:
    """Wait for every process; raise UserError at the first failure or at the deadline."""
    while True:
        codes = [process.poll() for process in processes]
        failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            log = log_dir / f"process-{failed[0]}.log"
            raise UserError(
                f"process {failed[0]} exited with code {codes[failed[0]]} "
                f"({last_line(log)}); see {log}"
            )
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            raise UserError(f"the {len(processes)} processes did not finish in time; see {log_dir}")
        time.sleep(0.2)


def last_line(path: Path) -> str:
    """The last non-blank line of a log: the error message, or a traceback's last line."""
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
