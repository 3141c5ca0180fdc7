import numpy as np
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.rank import (
    are_independent,
    column_space,
    default_rank_tolerance,
    fundamental_subspaces,
    null_space,
    rank,
)

seeds = st.integers(0, 2**32 - 1)
shapes = st.sampled_from([(4, 6), (6, 4), (5, 5)])


def _low_rank(rng, m, n, r):
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


def _same_subspace(basis, reference, atol):
    """Orthonormal bases span the same subspace iff their projectors agree."""
    assert basis.shape == reference.shape
    np.testing.assert_allclose(basis @ basis.T, reference @ reference.T, atol=atol)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=shapes, r=st.integers(0, 4))
def test_subspaces_agree_with_scipy_and_rank_nullity_holds(seed, shape, r):
    m, n = shape
    a = _low_rank(np.random.default_rng(seed), m, n, r)
    spaces = {name: np.asarray(basis) for name, basis in fundamental_subspaces(a).items()}
    assert rank(a) == np.linalg.matrix_rank(a) == r
    _same_subspace(spaces["column"], scipy.linalg.orth(a), atol=1e-9)
    _same_subspace(spaces["null"], scipy.linalg.null_space(a), atol=1e-9)
    _same_subspace(spaces["row"], scipy.linalg.orth(a.T), atol=1e-9)
    _same_subspace(spaces["left_null"], scipy.linalg.null_space(a.T), atol=1e-9)
    # rank-nullity for A and for A^T
    assert spaces["column"].shape[1] + spaces["null"].shape[1] == n
    assert spaces["row"].shape[1] + spaces["left_null"].shape[1] == m
    # A kills its null space; the null space is orthogonal to the row space
    np.testing.assert_allclose(a @ spaces["null"], 0.0, atol=1e-9 * max(1.0, np.abs(a).max()))
    np.testing.assert_allclose(spaces["row"].T @ spaces["null"], 0.0, atol=1e-12)


def test_tolerance_is_numpys_default(rng):
    a = rng.standard_normal((7, 3))
    s = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(
        default_rank_tolerance(s, a.shape), 7 * np.finfo(np.float64).eps * s[0], rtol=1e-12
    )


def test_tolerance_decides_near_singular(rng):
    """A column perturbed by 1e-10 is independent in exact arithmetic; the tolerance decides."""
    a = rng.standard_normal((5, 3))
    a[:, 2] = a[:, 0] + a[:, 1] + 1e-10 * rng.standard_normal(5)
    assert rank(a) == 3 and are_independent(a)
    assert rank(a, tol=1e-6) == 2 and not are_independent(a, tol=1e-6)
    assert null_space(a, tol=1e-6).shape == (3, 1)
    assert column_space(a, tol=1e-6).shape == (5, 2)


def test_zero_matrix():
    a = np.zeros((3, 2))
    assert rank(a) == 0
    assert null_space(a).shape == (2, 2)
    assert column_space(a).shape == (3, 0)
