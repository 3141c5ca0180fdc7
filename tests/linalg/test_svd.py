import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.svd import align_signs, jacobi_sweep, off_orthogonality, svd_jacobi, svd_via_eigh

from .matrices import matrix_with_singular_values

seeds = st.integers(0, 2**32 - 1)
shapes = st.sampled_from([(6, 4), (4, 6)])


def _check_against_numpy(u, s, vt, a, rtol):
    u_ref, s_ref, vt_ref = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(s, s_ref, rtol=rtol, atol=rtol * s_ref[0])
    u, vt = (np.asarray(m) for m in align_signs(u, vt))
    u_ref, vt_ref = (np.asarray(m) for m in align_signs(u_ref, vt_ref))
    np.testing.assert_allclose(vt, vt_ref, atol=rtol * 10)
    np.testing.assert_allclose(u, u_ref, atol=rtol * 10)
    np.testing.assert_allclose((u * s[None, :]) @ vt, a, atol=rtol * s_ref[0])
    k = s.shape[0]
    np.testing.assert_allclose(u.T @ u, np.eye(k), atol=rtol * 10)
    np.testing.assert_allclose(vt @ vt.T, np.eye(k), atol=rtol * 10)


@pytest.mark.parametrize(("svd", "rtol"), [(svd_jacobi, 1e-10), (svd_via_eigh, 1e-9)])
@settings(max_examples=10, deadline=None)
@given(seed=seeds, shape=shapes)
def test_svd_matches_numpy_up_to_signs(svd, rtol, seed, shape):
    rng = np.random.default_rng(seed)
    a = matrix_with_singular_values(rng, *shape, np.linspace(3.0, 0.2, min(shape)))
    u, s, vt = svd(a)
    _check_against_numpy(np.asarray(u), np.asarray(s), np.asarray(vt), a, rtol=rtol)


def test_jacobi_converges_quadratically(rng):
    a = rng.standard_normal((8, 6))
    w, v = a, np.eye(6)
    offs = []
    for _ in range(5):
        w, v = jacobi_sweep(w, v)
        offs.append(float(off_orthogonality(w)))
    assert offs[-1] < 1e-14
    np.testing.assert_allclose(np.asarray(w), a @ np.asarray(v), atol=1e-12)  # W = A V always
    np.testing.assert_allclose(np.asarray(v).T @ np.asarray(v), np.eye(6), atol=1e-12)
    converging = [o for o in offs if o > 1e-12]
    assert all(b < a**1.5 for a, b in zip(converging, converging[1:], strict=False))


def test_gram_matrix_loses_small_singular_values_jacobi_does_not(rng):
    """Forming A^T A squares kappa: s = 1e-10 is lost (relative error ~1), Jacobi keeps it."""
    s_true = np.array([1.0, 1e-3, 1e-10])
    a = matrix_with_singular_values(rng, 5, 3, s_true)
    s_eigh = np.asarray(svd_via_eigh(a)[1])
    s_jacobi = np.asarray(svd_jacobi(a)[1])
    np.testing.assert_allclose(s_jacobi, s_true, rtol=1e-5)
    # s^2 = 1e-20 is below eps * s_1^2 = 2e-16: A^T A cannot hold it (it comes out 0 or noise)
    assert abs(s_eigh[2] - 1e-10) / 1e-10 > 0.5


def test_align_signs_is_idempotent_and_sign_invariant(rng):
    u, _, vt = np.linalg.svd(rng.standard_normal((4, 3)), full_matrices=False)
    flips = np.array([1.0, -1.0, -1.0])
    aligned = [np.asarray(m) for m in align_signs(u, vt)]
    flipped = [np.asarray(m) for m in align_signs(u * flips[None, :], vt * flips[:, None])]
    np.testing.assert_allclose(aligned[0], flipped[0], rtol=0, atol=0)
    np.testing.assert_allclose(aligned[1], flipped[1], rtol=0, atol=0)
