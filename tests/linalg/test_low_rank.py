import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.low_rank import (
    compression_ratio,
    eckart_young_errors,
    rank_k_approximation,
    truncated_svd,
)

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, k=st.integers(0, 5))
def test_eckart_young_errors(seed, k):
    a = np.random.default_rng(seed).standard_normal((7, 5))
    s = np.linalg.svd(a, compute_uv=False)
    a_k = np.asarray(rank_k_approximation(a, k))
    spectral, frobenius = eckart_young_errors(s, k)
    np.testing.assert_allclose(np.linalg.norm(a - a_k, 2), spectral, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(a - a_k, "fro"), frobenius, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spectral, s[k] if k < 5 else 0.0, rtol=1e-12)
    np.testing.assert_allclose(frobenius, np.sqrt(np.sum(s[k:] ** 2)), rtol=1e-12)
    assert np.linalg.matrix_rank(a_k) == k


@settings(max_examples=15, deadline=None)
@given(seed=seeds, k=st.integers(1, 4))
def test_truncation_beats_random_rank_k_matrices(seed, k):
    """Optimality: no rank-k matrix (here: random ones and a least-squares fit) does better."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((6, 5))
    best = np.linalg.norm(a - np.asarray(rank_k_approximation(a, k)), "fro")
    for _ in range(5):
        left = rng.standard_normal((6, k))
        coeffs, *_ = np.linalg.lstsq(left, a, rcond=None)  # best matrix with that column space
        assert best <= np.linalg.norm(a - left @ coeffs, "fro") + 1e-12


def test_truncated_svd_is_numpys_top_k_and_stores_the_counted_numbers(rng):
    a = rng.standard_normal((8, 6))
    u, s, vt = (np.asarray(m) for m in truncated_svd(a, 2))
    u_ref, s_ref, vt_ref = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(s, s_ref[:2], rtol=1e-12)
    np.testing.assert_allclose(np.abs(u.T @ u_ref[:, :2]), np.eye(2), atol=1e-10)  # up to sign
    np.testing.assert_allclose(np.abs(vt @ vt_ref[:2].T), np.eye(2), atol=1e-10)
    # the ratio is what (U_k, s_k, V_k^T) hold, counted, over what A holds
    np.testing.assert_allclose(
        compression_ratio(8, 6, 2), (u.size + s.size + vt.size) / a.size, rtol=1e-15
    )
