"""Shared fixtures: an explicit PRNG key, float64 for oracle comparisons, and paths; and the
suite's matmul-precision policy (below)."""

from __future__ import annotations

import os
from pathlib import Path

# Precision policy of the suite: tests compare float32 results with oracles at float32
# tolerances, so every matmul and convolution runs at full float32 precision. On a CPU this
# changes nothing; on an NVIDIA GPU the default is TF32 (about 1e-3 relative error), which
# would fail every such comparison for a reason that is not a bug. Set before JAX is
# imported, so the processes the tests start inherit it too. Tests about TF32 itself
# override it locally with `jax.default_matmul_precision(...)`.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")

import jax  # noqa: E402
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def key() -> jax.Array:
    """A fresh root key per test; split it, never reuse it."""
    return jax.random.key(0)


@pytest.fixture
def float64():
    """Compute in float64 inside the test, for comparisons against numpy/scipy oracles."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
