"""Fixtures for the linear-algebra tests: float64 for oracle comparisons and silent rank
promotion turned into an error (as the repository's conftest asks); inputs come from a seeded
numpy Generator, which is cheap per hypothesis example."""

import jax
import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True, scope="module")
def _float64_strict_ranks():
    with jax.enable_x64(True), jax.numpy_rank_promotion("raise"):
        yield
