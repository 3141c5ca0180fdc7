r"""Kullback-Leibler divergence KL(p || q) = E_p[log p(X) - log q(X)] >= 0 (Gibbs' inequality).

  categorical  KL = sum_k p_k log(p_k / q_k)   (0 log 0/q = 0; infinite if q_k = 0 < p_k)
  Gaussians    KL(N0 || N1) = 1/2 [tr(S1^{-1} S0) + (m1 - m0)^T S1^{-1} (m1 - m0) - d
                                   + log det S1 - log det S0]
  Monte Carlo  KL ~ (1/n) sum_i [log p(x_i) - log q(x_i)], x_i ~ p  (unbiased, any p and q)
KL is not symmetric: KL(p || q) != KL(q || p) in general (see distribution_matching).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
from jax.scipy.linalg import cho_solve, solve_triangular

from jlr.probability.entropy import xlogx
from jlr.probability.moments import sample_mean_and_stderr


@partial(jax.jit, static_argnames=("axis",))
def kl_categorical(p: jax.Array, q: jax.Array, axis: int = -1) -> jax.Array:
    r"""sum_k p_k log p_k - p_k log q_k along `axis`. p, q: (..., K) -> (...)."""
    cross = jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, q, 1.0)), 0.0)
    return jnp.sum(xlogx(p) - cross, axis=axis)


@jax.jit
def kl_gaussian(mean0: jax.Array, cov0: jax.Array, mean1: jax.Array, cov1: jax.Array) -> jax.Array:
    r"""KL(N(m0, S0) || N(m1, S1)) in closed form. means: (d,), covs: (d, d) -> scalar."""
    d = mean0.shape[0]
    chol0, chol1 = jnp.linalg.cholesky(cov0), jnp.linalg.cholesky(cov1)
    trace_term = jnp.trace(cho_solve((chol1, True), cov0))  # tr(S1^{-1} S0)
    whitened = solve_triangular(chol1, mean1 - mean0, lower=True)  # L1^{-1} (m1 - m0)
    log_det_ratio = 2.0 * (jnp.sum(jnp.log(jnp.diag(chol1))) - jnp.sum(jnp.log(jnp.diag(chol0))))
    return 0.5 * (trace_term + whitened @ whitened - d + log_det_ratio)


@jax.jit
def kl_gaussian_1d(mu0, sigma0, mu1, sigma1) -> jax.Array:
    r"""KL(N(mu0, sigma0^2) || N(mu1, sigma1^2)) = log(s1/s0) + (s0^2 + (mu0-mu1)^2)/(2 s1^2) - 1/2.

    Elementwise over broadcastable arrays of means and standard deviations.
    """
    return jnp.log(sigma1 / sigma0) + (sigma0**2 + (mu0 - mu1) ** 2) / (2.0 * sigma1**2) - 0.5


@partial(jax.jit, static_argnames=("sample_p", "log_p", "log_q", "n"))
def kl_monte_carlo(
    key: jax.Array,
    sample_p: Callable[[jax.Array, int], jax.Array],
    log_p: Callable[[jax.Array], jax.Array],
    log_q: Callable[[jax.Array], jax.Array],
    n: int,
) -> tuple[jax.Array, jax.Array]:
    r"""(estimate, stderr) of KL(p || q) = E_p[log p - log q] from n draws sample_p(key, n).

    log_p, log_q take one draw and return a scalar; they are vmapped here.
    """
    x = sample_p(key, n)
    log_ratio = jax.vmap(log_p)(x) - jax.vmap(log_q)(x)  # (n,)
    return sample_mean_and_stderr(log_ratio)


@jax.jit
def kl_on_grid(log_p: jax.Array, log_q: jax.Array, grid: jax.Array) -> jax.Array:
    r"""integral p (log p - log q) dx by the trapezoid rule, for 1-D densities on a fine grid.

    log_p, log_q, grid: (n_grid,) -> scalar.
    """
    return jnp.trapezoid(jnp.exp(log_p) * (log_p - log_q), grid)
