r"""The multivariate Gaussian N(mu, Sigma) on R^d.

  density     log p(x) = -1/2 (x - mu)^T Sigma^{-1} (x - mu) - 1/2 log det(2 pi Sigma)
  sampling    Sigma = L L^T (Cholesky), z ~ N(0, I)  =>  mu + L z ~ N(mu, Sigma)
  marginal    x_a ~ N(mu_a, Sigma_aa)  (just drop the other coordinates)
  conditional x_a | x_b ~ N(mu_a + Sigma_ab Sigma_bb^{-1} (x_b - mu_b),
                            Sigma_aa - Sigma_ab Sigma_bb^{-1} Sigma_ba)
(Bishop, *Pattern Recognition and Machine Learning*, 2006, sec. 2.3.)
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax.scipy.linalg import cho_solve, solve_triangular


@partial(jax.jit, static_argnames=("shape",))
def mvn_sample(
    key: jax.Array, mean: jax.Array, cov: jax.Array, shape: tuple[int, ...] = ()
) -> jax.Array:
    r"""x = mu + L z, z ~ N(0, I), L = cholesky(Sigma). mean: (d,), cov: (d, d) -> (*shape, d)."""
    chol = jnp.linalg.cholesky(cov)  # (d, d), lower triangular
    d = mean.shape[0]
    z = jax.random.normal(key, (*shape, d))  # (*shape, d)
    return z @ chol.T + mean.reshape((1,) * len(shape) + (d,))  # each row: mu + L z


@jax.jit
def mvn_log_density(x: jax.Array, mean: jax.Array, cov: jax.Array) -> jax.Array:
    r"""log N(x; mu, Sigma) through L: |L^{-1}(x - mu)|^2 is the Mahalanobis term and
    log det Sigma = 2 sum_i log L_ii. x, mean: (d,), cov: (d, d) -> scalar.
    """
    chol = jnp.linalg.cholesky(cov)
    whitened = solve_triangular(chol, x - mean, lower=True)  # (d,)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    d = mean.shape[0]
    return -0.5 * (whitened @ whitened + log_det + d * jnp.log(2.0 * jnp.pi))


@partial(jax.jit, static_argnames=("idx",))
def mvn_marginal(
    mean: jax.Array, cov: jax.Array, idx: tuple[int, ...]
) -> tuple[jax.Array, jax.Array]:
    """Marginal of the coordinates `idx` (a tuple): (mean[idx], cov[idx][:, idx])."""
    idx = jnp.asarray(idx)
    return mean[idx], cov[jnp.ix_(idx, idx)]


@partial(jax.jit, static_argnames=("idx_a", "idx_b"))
def mvn_conditional(
    mean: jax.Array,
    cov: jax.Array,
    idx_a: tuple[int, ...],
    idx_b: tuple[int, ...],
    x_b: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    r"""p(x_a | x_b) by the Schur complement; idx_a, idx_b are tuples of coordinates.

    x_b: (d_b,) -> mean (d_a,), cov (d_a, d_a).
    """
    a, b = jnp.asarray(idx_a), jnp.asarray(idx_b)
    cov_ab, cov_bb = cov[jnp.ix_(a, b)], cov[jnp.ix_(b, b)]  # (d_a, d_b), (d_b, d_b)
    factor = jnp.linalg.cholesky(cov_bb)
    gain = cho_solve((factor, True), cov_ab.T).T  # Sigma_ab Sigma_bb^{-1}: (d_a, d_b)
    cond_mean = mean[a] + gain @ (x_b - mean[b])
    cond_cov = cov[jnp.ix_(a, a)] - gain @ cov_ab.T  # (d_a, d_a)
    return cond_mean, cond_cov


@partial(jax.jit, static_argnames=("d",))
def random_covariance(key: jax.Array, d: int, jitter: float = 0.1) -> jax.Array:
    r"""A random SPD matrix A A^T / d + jitter I, A ~ N(0, 1)^{d x d}: (d, d)."""
    a = jax.random.normal(key, (d, d))
    return a @ a.T / d + jitter * jnp.eye(d)
