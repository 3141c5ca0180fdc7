import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.subspaces import in_span, project_onto_span, projection_matrix, span_residual

seeds = st.integers(0, 2**32 - 1)


def test_projection_matches_numpy_lstsq(rng):
    a, x = rng.standard_normal((6, 3)), rng.standard_normal(6)
    coeffs, *_ = np.linalg.lstsq(a, x, rcond=None)
    np.testing.assert_allclose(project_onto_span(a, x), a @ coeffs, rtol=1e-10, atol=1e-12)


def test_membership(rng):
    a = rng.standard_normal((5, 2))
    inside = a @ rng.standard_normal(2)
    outside = rng.standard_normal(5)
    assert bool(in_span(a, inside))
    assert not bool(in_span(a, outside))
    assert float(span_residual(a, inside)) < 1e-12


def test_rank_deficient_spanning_set(rng):
    """Dependent spanning vectors span the same plane; membership does not care."""
    plane = rng.standard_normal((4, 2))
    a = np.concatenate([plane, plane @ np.array([[1.0], [2.0]])], axis=1)  # (4, 3), rank 2
    x = plane @ rng.standard_normal(2)
    assert bool(in_span(a, x))
    np.testing.assert_allclose(project_onto_span(a, x), x, rtol=1e-10, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, k=st.integers(1, 4))
def test_projector_is_symmetric_idempotent_and_residual_orthogonal(seed, k):
    rng = np.random.default_rng(seed)
    a, x = rng.standard_normal((5, k)), rng.standard_normal(5)
    p = np.asarray(projection_matrix(a))
    np.testing.assert_allclose(p @ p, p, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(p, p.T, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(np.trace(p), k, rtol=1e-9)  # trace of a projector = its rank
    residual = x - np.asarray(project_onto_span(a, x))
    np.testing.assert_allclose(
        a.T @ residual, np.zeros(k), atol=1e-10
    )  # x - Px is normal to col(a)
