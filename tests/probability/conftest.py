"""Probability tests run with strict rank promotion (the `key` fixture is in tests/conftest.py)."""

import jax
import pytest


@pytest.fixture(autouse=True)
def _strict_rank_promotion():
    """Broadcasting (n, d) against (d,) must be written out, e.g. x - mean[None, :]."""
    with jax.numpy_rank_promotion("raise"):
        yield
