"""Random test matrices with a prescribed spectrum, drawn with numpy (cheap per example)."""

import numpy as np


def random_orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal (n, n) matrix from the QR of a Gaussian matrix."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))[None, :]


def matrix_with_singular_values(rng: np.random.Generator, m: int, n: int, s) -> np.ndarray:
    """U diag(s) V^T with random orthonormal U: (m, k), V: (n, k), k = len(s)."""
    s = np.asarray(s, dtype=np.float64)
    k = s.shape[0]
    u = random_orthogonal(rng, m)[:, :k]
    v = random_orthogonal(rng, n)[:, :k]
    return (u * s[None, :]) @ v.T


def symmetric_with_eigenvalues(rng: np.random.Generator, eigenvalues) -> np.ndarray:
    """Q diag(eigenvalues) Q^T with a random orthogonal Q."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    q = random_orthogonal(rng, eigenvalues.shape[0])
    return (q * eigenvalues[None, :]) @ q.T
