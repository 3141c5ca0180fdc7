"""Several processes as one JAX runtime: `jax.distributed` (JAX docs, "Multi-process
environments").

Each process calls `jax.distributed.initialize(coordinator_address, num_processes,
process_id)`; process 0 also hosts the coordinator at that address. Afterwards
`jax.devices()` lists the devices of every process (`jax.local_devices()` this one's), a mesh
can span them, and a sharded `jit` runs one program on all of them: CPU collectives go over
gloo, GPUs over NCCL. Every process must run the same program on the same settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import jax


@contextlib.contextmanager
def join_processes(
    coordinator: str, n_processes: int, process_id: int, *, timeout_s: int = 120
) -> Iterator[None]:
    """Inside the block this process is `process_id` (0 .. n_processes - 1) of the runtime.

    coordinator: "HOST:PORT" of process 0, the same for every process. Waits up to
    `timeout_s` for all processes to arrive; leaves the runtime when the block ends.
    """
    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=n_processes,
        process_id=process_id,
        initialization_timeout=timeout_s,
    )
    try:
        yield
    finally:
        jax.distributed.shutdown()
