"""Stochastic Lanczos quadrature against the exact smoothed density of a small MLP's Hessian
(numpy eigvalsh of the float64 jax.hessian, each eigenvalue weight 1/n, the same Gaussians);
quadrature weights that sum to 1; first moments that estimate tr(H) / n."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.landscape.lanczos import lanczos
from jlr.landscape.spectral_density import hessian_slq, slq_quadrature, smoothed_density

N_PROBES, N_ITERS = 16, 30


@pytest.fixture(scope="module")
def slq_problem(mlp_problem):
    """The shared MLP's float64 eigenvalues and its SLQ nodes and weights."""
    loss, params, hessian = mlp_problem
    slq_key = jax.random.split(jax.random.key(1), 4)[3]  # apart from the model's three keys
    slq = jax.jit(lambda k, p: hessian_slq(k, loss, p, N_PROBES, N_ITERS))
    nodes, weights = slq(slq_key, params)
    return np.linalg.eigvalsh(hessian), np.asarray(nodes), np.asarray(weights)


def test_slq_density_matches_the_exact_smoothed_density(slq_problem):
    eigenvalues, nodes, weights = slq_problem
    assert nodes.shape == weights.shape == (N_PROBES, N_ITERS)
    sigma = 0.02 * (eigenvalues[-1] - eigenvalues[0])
    grid = np.linspace(eigenvalues[0] - 5 * sigma, eigenvalues[-1] + 5 * sigma, 400)
    dt = grid[1] - grid[0]
    n = eigenvalues.size
    exact = smoothed_density(eigenvalues[None], np.full((1, n), 1 / n), grid, sigma)
    estimate = smoothed_density(nodes, weights, grid, sigma)
    np.testing.assert_allclose(np.sum(exact) * dt, 1.0, rtol=1e-3)  # the grid holds the mass
    l1 = np.sum(np.abs(np.asarray(estimate) - np.asarray(exact))) * dt
    # L1 distance lies in [0, 2]. Measured over 9 probe seeds: 0.03 to 0.064 (the noise of 16
    # probes); uniform weights 1/m in place of tau give 0.9
    assert l1 < 0.1, l1


def test_each_probes_weights_sum_to_one(slq_problem):
    _, _, weights = slq_problem
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(1), 1.0, rtol=1e-5)


def test_first_moment_estimates_trace_over_n(slq_problem):
    eigenvalues, nodes, weights = slq_problem
    moments = np.sum(weights * nodes, axis=1)  # v_l^T H v_l for unit v_l: (n_probes,)
    stderr = moments.std(ddof=1) / np.sqrt(N_PROBES)
    assert abs(moments.mean() - eigenvalues.mean()) < 4 * stderr


def test_quadrature_is_exact_for_moments_below_degree_2m(key):
    # Gauss quadrature with m nodes integrates degree < 2m exactly: for each probe v,
    # sum_j tau_j theta_j^k = v^T A^k v for k = 0 .. 2m - 1 (here m = 3)
    diag = jnp.linspace(-1.0, 2.0, 50)

    def matvec(v):
        return diag * v

    nodes, weights = slq_quadrature(key, matvec, 50, 4, 3)
    probes = jax.vmap(lambda k: lanczos(k, matvec, 50, 1)[2][0])(jax.random.split(key, 4))
    probes, diag = np.asarray(probes, np.float64), np.asarray(diag, np.float64)
    for k in range(6):
        exact = np.sum(probes**2 * diag**k, axis=1)  # v^T A^k v: (n_probes,)
        quadrature = np.sum(np.asarray(weights) * np.asarray(nodes) ** k, axis=1)
        np.testing.assert_allclose(quadrature, exact, rtol=1e-4, atol=1e-6)
