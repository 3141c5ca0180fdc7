"""Fixtures for the probability tests: a root key and strict rank promotion.

The repository-wide tests/conftest.py may offer the same; these keep tests/probability
self-contained.
"""

import jax
import pytest


@pytest.fixture
def key() -> jax.Array:
    return jax.random.key(0)


@pytest.fixture(autouse=True)
def _strict_rank_promotion():
    """Broadcasting (n, d) against (d,) must be written out, e.g. x - mean[None, :]."""
    with jax.numpy_rank_promotion("raise"):
        yield
