r"""Maximum a posteriori estimation: theta_MAP = argmax_theta log p(D | theta) + log p(theta).

Two conjugate examples with closed forms:
  Gaussian prior on linear-regression weights = ridge regression.
    y = X w + eps, eps ~ N(0, sigma^2 I), w ~ N(0, tau^2 I)
    -log p(w | D) = |y - X w|^2 / (2 sigma^2) + |w|^2 / (2 tau^2) + const
    => w_MAP = (X^T X + lam I)^{-1} X^T y,  lam = sigma^2 / tau^2
  Beta prior on a coin: p ~ Beta(a, b), h heads in n flips => p | D ~ Beta(a + h, b + n - h);
    MLE h / n,  MAP (a + h - 1) / (a + b + n - 2),  posterior mean (a + h) / (a + b + n).
As n grows the likelihood swamps the prior and all three estimates meet.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.jit
def ridge_regression(x: jax.Array, y: jax.Array, lam: float) -> jax.Array:
    r"""w = (X^T X + lam I)^{-1} X^T y. x: (n, d), y: (n,) -> w: (d,)."""
    d = x.shape[1]
    return jnp.linalg.solve(x.T @ x + lam * jnp.eye(d), x.T @ y)  # (d, d) system


@jax.jit
def linear_gaussian_log_posterior(
    w: jax.Array, x: jax.Array, y: jax.Array, noise_var: float, prior_var: float
) -> jax.Array:
    r"""log p(w | D) + const = -|y - X w|^2 / (2 sigma^2) - |w|^2 / (2 tau^2). w: (d,) -> scalar."""
    residual = y - x @ w  # (n,)
    return -0.5 * residual @ residual / noise_var - 0.5 * w @ w / prior_var


@jax.jit
def gaussian_prior_map(x: jax.Array, y: jax.Array, noise_var: float, prior_var: float) -> jax.Array:
    """The MAP weights under a N(0, prior_var I) prior: ridge with lam = noise_var / prior_var."""
    return ridge_regression(x, y, noise_var / prior_var)


@jax.jit
def beta_bernoulli_posterior(heads, n, a: float, b: float) -> tuple[jax.Array, jax.Array]:
    """Beta(a, b) prior, `heads` ones in `n` flips -> posterior Beta(a + heads, b + n - heads)."""
    return a + heads, b + n - heads


@jax.jit
def beta_mean(a, b) -> jax.Array:
    """E[p] = a / (a + b) for p ~ Beta(a, b)."""
    return a / (a + b)


@jax.jit
def beta_mode(a, b) -> jax.Array:
    """argmax of the Beta(a, b) density, (a - 1) / (a + b - 2); valid for a, b > 1."""
    return (a - 1.0) / (a + b - 2.0)


@jax.jit
def beta_bernoulli_estimates(flips: jax.Array, a: float, b: float) -> dict[str, jax.Array]:
    r"""MLE, MAP and posterior mean after each prefix of the data.

    flips: (n,) of 0/1 -> {"mle", "map", "posterior_mean"}: (n,) each, entry k uses flips[:k+1].
    The MAP uses the mode formula, so it needs a, b >= 1 (a flat prior a = b = 1 gives the MLE).
    """
    heads = jnp.cumsum(flips)
    n = jnp.arange(1, flips.shape[0] + 1)
    post_a, post_b = beta_bernoulli_posterior(heads, n, a, b)
    return {
        "mle": heads / n,
        "map": beta_mode(post_a, post_b),
        "posterior_mean": beta_mean(post_a, post_b),
    }
