"""Shared fixtures: an explicit PRNG key, float64 for oracle comparisons, and paths."""

from __future__ import annotations

from pathlib import Path

import jax
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
