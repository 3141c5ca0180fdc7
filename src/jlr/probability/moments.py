r"""Expectation, variance and covariance, estimated by Monte Carlo with standard errors.

E[f(X)] ~ (1/n) sum_i f(x_i), x_i ~ p iid. By the central limit theorem the estimate is
approximately N(E[f], Var[f] / n), so its standard error sqrt(Var[f] / n) shrinks as 1/sqrt(n):
four times the samples halve the error bar.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp


@jax.jit
def sample_mean_and_stderr(values: jax.Array) -> tuple[jax.Array, jax.Array]:
    r"""mean = (1/n) sum_i v_i,  stderr = s / sqrt(n),  s^2 = (1/(n-1)) sum_i (v_i - mean)^2.

    values: (n,) -> (mean, stderr), both scalars.
    """
    n = values.shape[0]
    return jnp.mean(values), jnp.std(values, ddof=1) / jnp.sqrt(n)


@jax.jit
def running_mean_and_stderr(values: jax.Array) -> tuple[jax.Array, jax.Array]:
    r"""The estimate and its standard error after each prefix v_1..v_k, k = 1..n, in one pass.

    mean_k = S1_k / k,  s_k^2 = (S2_k - k mean_k^2) / (k - 1),  stderr_k = s_k / sqrt(k),
    with S1, S2 cumulative sums of (v - v_1) and its square (the shift tames cancellation).
    values: (n,) -> (means (n,), stderrs (n,)); stderrs[0] = inf (one draw has no spread).
    """
    shift = values[0]
    centered = values - shift
    k = jnp.arange(1, values.shape[0] + 1)
    mean_centered = jnp.cumsum(centered) / k
    sum_sq = jnp.cumsum(centered**2) - k * mean_centered**2
    var = jnp.where(k > 1, sum_sq / jnp.maximum(k - 1, 1), jnp.inf)
    return mean_centered + shift, jnp.sqrt(jnp.maximum(var, 0.0) / k)


@partial(jax.jit, static_argnames=("sampler", "f", "n"))
def monte_carlo_expectation(
    key: jax.Array,
    sampler: Callable[[jax.Array, int], jax.Array],
    f: Callable[[jax.Array], jax.Array],
    n: int,
) -> tuple[jax.Array, jax.Array]:
    """E[f(X)] with X = sampler(key, n)[i]: returns (estimate, stderr).

    sampler(key, n) -> (n, ...) draws; f maps one draw to a scalar (vmapped here).
    """
    samples = sampler(key, n)
    return sample_mean_and_stderr(jax.vmap(f)(samples))


@jax.jit
def sample_variance(values: jax.Array) -> jax.Array:
    r"""Unbiased s^2 = (1/(n-1)) sum_i (v_i - mean)^2. values: (n,) -> scalar."""
    return jnp.var(values, ddof=1)


@jax.jit
def sample_covariance(x: jax.Array) -> jax.Array:
    r"""Unbiased covariance C = (1/(n-1)) (X - mean)^T (X - mean). x: (n, d) -> (d, d)."""
    centered = x - jnp.mean(x, axis=0, keepdims=True)  # (n, d)
    return centered.T @ centered / (x.shape[0] - 1)  # (d, d)


@jax.jit
def correlation_from_covariance(cov: jax.Array) -> jax.Array:
    r"""R_ij = C_ij / sqrt(C_ii C_jj). cov: (d, d) -> (d, d) with unit diagonal."""
    std = jnp.sqrt(jnp.diag(cov))  # (d,)
    return cov / jnp.outer(std, std)
