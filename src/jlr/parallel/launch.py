"""Run a project as N processes on this machine, joined by JAX's multi-process runtime.

    jlr run data-parallel-mlp --processes 2
    python -m jlr.parallel.launch --processes 2 data-parallel-mlp --set steps=100

Each worker calls `jax.distributed.initialize(coordinator_address, num_processes,
process_id)`; process 0 also hosts the coordinator (on 127.0.0.1 and a free port here).
After that `jax.devices()` lists the devices of every process, a mesh can span them, and a
sharded `jit` runs one program across all processes (CPU collectives go over gloo). On
several hosts the same worker runs once per host with the coordinator's address instead of
127.0.0.1 (or with no arguments under SLURM / Cloud TPU, which JAX detects).

The launcher validates the config once, starts the workers, waits with a deadline, and kills
every worker that is still alive when it returns or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from jlr.errors import UserError

DEFAULT_TIMEOUT_S = 1800.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_from_dict(config_cls: type, values: dict[str, Any]) -> Any:
    """Rebuild a Config from config_to_dict's output (JSON lists back to tuples)."""
    names = {f.name for f in fields(config_cls)}
    return config_cls(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in names}
    )


def worker_command(
    name: str, config: dict, out_dir: Path, process_id: int, n_processes: int, address: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jlr.parallel.launch",
        "--worker",
        "--project", name,
        "--config-json", json.dumps(config),
        "--out", str(out_dir),
        "--process-id", str(process_id),
        "--num-processes", str(n_processes),
        "--coordinator", address,
    ]  # fmt: skip


def run_multiprocess(
    name: str,
    config: Any,
    out_dir: Path,
    n_processes: int,
    *,
    progress: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> dict:
    """Start n_processes workers of project `name`; -> process 0's results.json.

    Worker logs go to out_dir/logs/process-<i>.log. Raises UserError if a worker fails or
    the deadline passes; no worker outlives this call.
    """
    from jlr.config import config_to_dict
    from jlr.projects import load_project

    if not getattr(load_project(name), "SUPPORTS_PROCESSES", False):
        raise UserError(f"project {name!r} runs in one process; --processes needs a "
                        "data-parallel project such as data-parallel-mlp")  # fmt: skip
    if n_processes < 1:
        raise UserError(f"--processes {n_processes}: give at least 1")
    out_dir, address = Path(out_dir), f"127.0.0.1:{free_port()}"
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    worker_env = {**os.environ, **(env or {}), "JLR_PROGRESS": "1" if progress else "0"}
    workers, logs = [], []
    try:
        for i in range(n_processes):
            logs.append(open(out_dir / "logs" / f"process-{i}.log", "w", encoding="utf-8"))  # noqa: SIM115
            command = worker_command(name, config_to_dict(config), out_dir, i, n_processes, address)
            workers.append(
                subprocess.Popen(command, stdout=logs[-1], stderr=subprocess.STDOUT, env=worker_env)
            )
        wait_all(workers, time.monotonic() + timeout_s, out_dir)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
        for log in logs:
            log.close()
    return json.loads((out_dir / "results.json").read_text())


def wait_all(workers: list[subprocess.Popen], deadline: float, out_dir: Path) -> None:
    """Wait for every worker; raise UserError at the first failure or at the deadline."""
    while True:
        codes = [worker.poll() for worker in workers]
        failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            raise UserError(
                f"process {failed[0]} exited with code {codes[failed[0]]}; "
                f"see {out_dir / 'logs' / f'process-{failed[0]}.log'}"
            )
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            raise UserError(f"the {len(workers)} processes did not finish in time; see {out_dir}")
        time.sleep(0.2)


def worker_main(args: argparse.Namespace) -> int:
    """One process: join the runtime, run the project, leave the runtime."""
    import jax

    from jlr.projects import load_project

    jax.distributed.initialize(
        coordinator_address=args.coordinator,
        num_processes=args.num_processes,
        process_id=args.process_id,
        initialization_timeout=120,
    )
    try:
        project = load_project(args.project)
        config = config_from_dict(project.Config, json.loads(args.config_json))
        progress = os.environ.get("JLR_PROGRESS", "1") == "1"
        project.run(config, Path(args.out), progress=progress)
    finally:
        jax.distributed.shutdown()
    return 0


def launcher_main(args: argparse.Namespace, extra: list[str]) -> int:
    """`python -m jlr.parallel.launch --processes N NAME [jlr run options]`."""
    from jlr import cli

    return cli.main(["run", *extra, "--processes", str(args.processes)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jlr.parallel.launch", description=__doc__)
    parser.add_argument("--processes", type=int, default=2, help="processes to start")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for option in ("--project", "--config-json", "--out", "--coordinator"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--num-processes", type=int, help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)
    return worker_main(args) if args.worker else launcher_main(args, extra)


if __name__ == "__main__":
    sys.exit(main())
