import jax
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from jlr.linalg.pca import fit_pca, pca_decode, pca_encode, relative_reconstruction_error


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data[:300] / 16.0  # (300, 64) pixel intensities in [0, 1]


def test_matches_sklearn(digits):
    params = fit_pca(digits, 10)
    reference = PCA(n_components=10, svd_solver="full").fit(digits)
    np.testing.assert_allclose(params["mean"], reference.mean_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        params["explained_variance"], reference.explained_variance_, rtol=1e-8
    )
    np.testing.assert_allclose(
        params["explained_variance_ratio"], reference.explained_variance_ratio_, rtol=1e-8
    )
    overlaps = np.abs(np.sum(np.asarray(params["components"]) * reference.components_, axis=1))
    np.testing.assert_allclose(overlaps, 1.0, rtol=1e-8)  # same directions up to sign
    codes = np.asarray(jax.vmap(pca_encode, in_axes=(None, 0))(params, digits))
    np.testing.assert_allclose(np.abs(codes), np.abs(reference.transform(digits)), atol=1e-9)


def test_reconstruction_error_is_the_variance_tail(digits):
    """Eckart-Young on centered data: err^2 = sum of the discarded variances / total."""
    full = fit_pca(digits, 64)
    ratios = np.asarray(full["explained_variance_ratio"])
    previous = 1.0
    for k in (1, 5, 20):
        params = fit_pca(digits, k)
        codes = jax.vmap(pca_encode, in_axes=(None, 0))(params, digits)
        recon = jax.vmap(pca_decode, in_axes=(None, 0))(params, codes)
        error = float(relative_reconstruction_error(digits, recon))
        np.testing.assert_allclose(error**2, 1.0 - ratios[:k].sum(), rtol=1e-8, atol=1e-12)
        assert error < previous
        previous = error
    np.testing.assert_allclose(ratios.sum(), 1.0, rtol=1e-12)
