import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.change_of_basis import (
    change_of_basis_matrix,
    coordinates,
    from_coordinates,
    matrix_in_basis,
)

from .matrices import random_orthogonal

seeds = st.integers(0, 2**32 - 1)


def _basis(rng, n):
    return rng.standard_normal((n, n)) + 3.0 * np.eye(n)  # well conditioned in practice


def test_coordinates_match_numpy_solve(rng):
    basis, x = _basis(rng, 4), rng.standard_normal(4)
    np.testing.assert_allclose(
        coordinates(basis, x), np.linalg.solve(basis, x), rtol=1e-10, atol=1e-12
    )


def test_orthonormal_basis_coordinates_are_dot_products(rng):
    q = random_orthogonal(rng, 3)
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(coordinates(q, x), q.T @ x, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_round_trip_and_inverse(seed):
    rng = np.random.default_rng(seed)
    old, new, c_old = _basis(rng, 3), _basis(rng, 3), rng.standard_normal(3)
    x = from_coordinates(old, c_old)
    np.testing.assert_allclose(coordinates(old, x), c_old, rtol=1e-7, atol=1e-8)
    p = change_of_basis_matrix(old, new)
    np.testing.assert_allclose(p @ c_old, coordinates(new, x), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(change_of_basis_matrix(new, old) @ p, np.eye(3), atol=1e-8)


def test_similar_matrices_share_invariants_and_eigenbasis_diagonalizes(rng):
    sym = rng.standard_normal((4, 4))
    a = sym + sym.T
    similar = np.asarray(matrix_in_basis(a, _basis(rng, 4)))
    np.testing.assert_allclose(np.trace(similar), np.trace(a), rtol=1e-9)
    np.testing.assert_allclose(np.linalg.det(similar), np.linalg.det(a), rtol=1e-8)
    np.testing.assert_allclose(
        np.sort(np.linalg.eigvals(similar).real), np.linalg.eigvalsh(a), rtol=1e-8, atol=1e-9
    )
    eigenvalues, eigenvectors = np.linalg.eigh(a)
    np.testing.assert_allclose(matrix_in_basis(a, eigenvectors), np.diag(eigenvalues), atol=1e-10)
