"""Fixtures for the calculus tests: a root key and float64 for oracle comparisons."""

import jax
import pytest


@pytest.fixture
def key():
    return jax.random.key(0)


@pytest.fixture
def x64():
    """Run the test in float64, so finite differences and error slopes are not rounding noise."""
    with jax.enable_x64(True):
        yield
