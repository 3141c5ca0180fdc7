r"""Bayes' rule: p(h | d) = p(d | h) p(h) / p(d),  p(d) = sum_h p(d | h) p(h)  (or an integral).

On a discrete table the normalizer is a sum. For a continuous parameter we show two ways:
a grid of theta values normalized numerically, and the conjugate closed form for the mean of a
Gaussian with known variance (Murphy, *Probabilistic Machine Learning*, 2022, sec. 3.4.1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp


@jax.jit
def bayes_rule(prior: jax.Array, likelihood: jax.Array) -> jax.Array:
    r"""posterior_k = likelihood_k prior_k / sum_j likelihood_j prior_j.

    prior: (k,) p(h_k); likelihood: (k,) p(d | h_k) for the observed d -> posterior: (k,).
    """
    unnormalized = likelihood * prior
    return unnormalized / unnormalized.sum()


@jax.jit
def log_bayes_rule(log_prior: jax.Array, log_likelihood: jax.Array) -> jax.Array:
    r"""log p(h | d) = log p(d | h) + log p(h) - logsumexp(...): no underflow for many data."""
    unnormalized = log_likelihood + log_prior
    return unnormalized - logsumexp(unnormalized)


@jax.jit
def grid_posterior(
    log_prior: jax.Array, log_likelihood: jax.Array, theta_grid: jax.Array
) -> jax.Array:
    r"""Posterior density on an evenly spaced grid: exp(log p(theta) + log p(D|theta)) / Z.

    Z = integral of the numerator, by the trapezoid rule. All inputs: (n_grid,) -> (n_grid,).
    """
    log_unnormalized = log_prior + log_likelihood
    unnormalized = jnp.exp(log_unnormalized - jnp.max(log_unnormalized))
    return unnormalized / jnp.trapezoid(unnormalized, theta_grid)


@jax.jit
def gaussian_mean_posterior(
    data: jax.Array, noise_var: float, prior_mean: float, prior_var: float
) -> tuple[jax.Array, jax.Array]:
    r"""theta ~ N(m0, s0^2), x_i | theta ~ N(theta, sigma^2)  =>  theta | x ~ N(m_n, s_n^2):

    1 / s_n^2 = 1 / s0^2 + n / sigma^2,   m_n = s_n^2 (m0 / s0^2 + sum_i x_i / sigma^2).
    data: (n,) -> (m_n, s_n^2).
    """
    precision = 1.0 / prior_var + data.shape[0] / noise_var
    post_var = 1.0 / precision
    post_mean = post_var * (prior_mean / prior_var + jnp.sum(data) / noise_var)
    return post_mean, post_var
