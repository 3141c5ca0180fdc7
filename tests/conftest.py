"""Shared fixtures: an explicit PRNG key, float64 for oracle comparisons, and paths; and the
suite's matmul-precision policy (below)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

# Precision policy of the suite: tests compare float32 results with oracles at float32
# tolerances, so every matmul and convolution runs at full float32 precision. On a CPU this
# changes nothing; on an NVIDIA GPU the default is TF32 (about 1e-3 relative error), which
# would fail every such comparison for a reason that is not a bug. Set before JAX is
# imported, so the processes the tests start inherit it too. Tests about TF32 itself
# override it locally with `jax.default_matmul_precision(...)`.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")

REPO_ROOT = Path(__file__).resolve().parents[1]

# One persistent XLA compilation cache for the whole run, shared by the pytest-xdist workers
# and every process the tests start (each lesson runs three times: as a notebook and as a
# script under two more root seeds). The suite's time is mostly XLA compiling small
# programs; a program compiled once is then loaded, not compiled again. Entries are keyed by
# the program, the compile options and the jaxlib version, so a hit is the same executable.
# Kept in .pytest_cache/ (git-ignored), capped at 1 GB: the cap makes JAX take a file lock
# around every read and write, so no process reads an entry another is still writing (it
# needs `filelock`; without it the cache stays off). JLR_TEST_COLD_COMPILES=1 turns it off.
if (
    not os.environ.get("JLR_TEST_COLD_COMPILES")
    and "JAX_COMPILATION_CACHE_DIR" not in os.environ
    and importlib.util.find_spec("filelock") is not None
):
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(REPO_ROOT / ".pytest_cache" / "xla-compiled")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
    os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(1 << 30))

import jax  # noqa: E402
import pytest  # noqa: E402

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def key() -> jax.Array:
    """A fresh root key per test; split it, never reuse it."""
    return jax.random.key(0)


@pytest.fixture(scope="module")
def highest_precision():
    """Full float32 matmuls in a test module: an oracle comparison must not see a GPU's
    default TF32 matmuls (10 mantissa bits). No effect on a CPU. A module asks for it with
    `pytestmark = pytest.mark.usefixtures("highest_precision")`, which sets it up before the
    module's other fixtures."""
    with jax.default_matmul_precision("highest"):
        yield


@pytest.fixture
def float64():
    """Compute in float64 inside the test, for comparisons against numpy/scipy oracles."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
