import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.gram_schmidt import (
    classical_gram_schmidt,
    gram_schmidt_basis,
    modified_gram_schmidt,
    orthogonality_loss,
)

from .matrices import matrix_with_singular_values

seeds = st.integers(0, 2**32 - 1)


def _positive_diagonal(q, r):
    """QR is unique once diag(R) > 0; numpy may return negative entries."""
    signs = np.sign(np.diag(r))
    return q * signs[None, :], r * signs[:, None]


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=st.sampled_from([(3, 3), (5, 3), (8, 4)]))
def test_mgs_matches_qr_up_to_signs(seed, shape):
    a = np.random.default_rng(seed).standard_normal(shape)
    q, r = modified_gram_schmidt(a)
    q_ref, r_ref = _positive_diagonal(*np.linalg.qr(a))
    np.testing.assert_allclose(q, q_ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(r, r_ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(q @ r, a, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(np.tril(r, -1), 0.0)  # R is upper triangular


def test_classical_agrees_on_well_conditioned(rng):
    a = rng.standard_normal((6, 4))
    q_cgs, r_cgs = classical_gram_schmidt(a)
    q_mgs, r_mgs = modified_gram_schmidt(a)
    np.testing.assert_allclose(q_cgs, q_mgs, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(r_cgs, r_mgs, rtol=1e-9, atol=1e-10)


def test_mgs_stays_orthogonal_where_cgs_does_not(rng):
    """Loss of orthogonality: CGS ~ kappa^2 eps, MGS ~ kappa eps (Trefethen & Bau, lecture 9)."""
    kappa = 1e10
    a = matrix_with_singular_values(rng, 40, 12, np.logspace(0, -10, 12))
    loss_cgs = float(orthogonality_loss(classical_gram_schmidt(a)[0]))
    loss_mgs = float(orthogonality_loss(modified_gram_schmidt(a)[0]))
    eps = np.finfo(np.float64).eps
    assert loss_mgs < 100 * kappa * eps  # within a constant of kappa * eps
    assert loss_cgs > 1.0  # orthogonality completely lost
    assert loss_mgs < 1e-3 * loss_cgs


@settings(max_examples=15, deadline=None)
@given(seed=seeds, rank=st.integers(1, 4))
def test_basis_detects_dependence_like_matrix_rank(seed, rank):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((6, rank)) @ rng.standard_normal((rank, 5))
    q, independent = gram_schmidt_basis(a)
    assert int(independent.sum()) == np.linalg.matrix_rank(a)
    kept = np.asarray(q)[:, np.asarray(independent)]
    np.testing.assert_allclose(kept.T @ kept, np.eye(rank), atol=1e-9)
    # the basis spans the columns: projecting them onto it changes nothing
    np.testing.assert_allclose(kept @ (kept.T @ a), a, rtol=1e-8, atol=1e-8)
