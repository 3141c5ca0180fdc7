r"""Stochastic Lanczos quadrature (SLQ): a symmetric operator's whole eigenvalue density.

The spectral density of A (n x n, eigenpairs (lambda_k, u_k)) smoothed by a Gaussian is

    phi(t) = (1 / n) sum_k g(t; lambda_k, sigma^2),   g(t; mu, s^2) = exp(-(t - mu)^2 / 2s^2)
                                                                      / sqrt(2 pi s^2)

For a unit vector v uniform on the sphere, E[(v^T u_k)^2] = 1 / n, so
phi(t) = E[v^T g(t; A, sigma^2) v], a quadratic form. m Lanczos steps from q_0 = v give T with
eigenpairs (theta_j, s_j), and Gauss quadrature with nodes theta_j and weights
tau_j = s_j[0]^2 approximates it: v^T f(A) v ~ sum_j tau_j f(theta_j), exact for polynomials
f of degree < 2m. Averaging over probes v_1..v_{n_probes}:

    phi(t) ~ (1 / n_probes) sum_l sum_j tau_{l,j} g(t; theta_{l,j}, sigma^2)

Each probe's weights sum to 1 (|s_j| are the rows of the orthogonal matrix S, and
sum_j s_j[0]^2 = 1); its first moment sum_j tau_j theta_j = alpha_0 = v^T A v, whose mean over
probes estimates tr(A) / n (Ubaru, Chen & Saad 2017; for Hessians of deep networks,
Ghorbani, Krishnan & Xiao 2019).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp
from jlr.landscape.lanczos import lanczos, tridiagonal


def slq_quadrature(
    key: jax.Array,
    matvec: Callable[[jax.Array], jax.Array],
    n: int,
    n_probes: int,
    n_iters: int,
    dtype: Any = jnp.float32,
) -> tuple[jax.Array, jax.Array]:
    """Quadrature nodes theta and weights tau of each probe: both (n_probes, m), m = n_iters.

    One m-step Lanczos run per probe, vmapped: probe l is the start vector q_0 of
    `lanczos(jax.random.split(key, n_probes)[l], ...)`, uniform on the unit sphere.
    """

    def one_probe(probe_key):
        alphas, betas, _ = lanczos(probe_key, matvec, n, n_iters, dtype)
        thetas, s = jnp.linalg.eigh(tridiagonal(alphas, betas))  # s: (m, m), columns s_j
        return thetas, s[0] ** 2

    return jax.vmap(one_probe)(jax.random.split(key, n_probes))


def hessian_slq(
    key: jax.Array, loss: Callable[[Any], jax.Array], params: Any, n_probes: int, n_iters: int
) -> tuple[jax.Array, jax.Array]:
    """SLQ nodes and weights, (n_probes, n_iters) each, for the Hessian of loss at params."""
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    def matvec(v):
        return hvp(flat_loss, flat, v)

    return slq_quadrature(key, matvec, flat.size, n_probes, n_iters, flat.dtype)


def smoothed_density(
    nodes: jax.Array, weights: jax.Array, grid: jax.Array, sigma: float
) -> jax.Array:
    """phi on grid: (n_grid,) = (1 / n_probes) sum_{l, j} tau_{l,j} g(t; theta_{l,j}, sigma^2).

    nodes, weights: (n_probes, m). The exact density of eigenvalues lam: (n,) is
    smoothed_density(lam[None], jnp.full((1, n), 1 / n), grid, sigma).
    """
    diff = grid[:, None, None] - nodes[None]  # (n_grid, n_probes, m)
    gauss = jnp.exp(-0.5 * (diff / sigma) ** 2) / jnp.sqrt(2 * jnp.pi * sigma**2)
    return jnp.sum(weights[None] * gauss, axis=(1, 2)) / nodes.shape[0]
