"""Reference solutions for exercises/03_probability.py (lesson 03, Probability).

Each is written out so it can be read on its own; the library versions in `jlr.probability`
compute the same things and are tested against scipy, optax and closed forms.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import logsumexp


def sample_exponential_inverse_cdf(key: jax.Array, rate: float, n: int) -> jax.Array:
    u = jax.random.uniform(key, (n,))
    return -jnp.log1p(-u) / rate  # F^{-1}(u) for F(x) = 1 - exp(-rate x)


def categorical_inverse_cdf(u: jax.Array, probs: jax.Array) -> jax.Array:
    index = jnp.searchsorted(jnp.cumsum(probs), u, side="right")
    return jnp.minimum(index, probs.shape[0] - 1)


def mean_and_stderr(values: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jnp.mean(values), jnp.std(values, ddof=1) / jnp.sqrt(values.shape[0])


def sample_covariance(x: jax.Array) -> jax.Array:
    centered = x - jnp.mean(x, axis=0, keepdims=True)  # (n, d)
    return centered.T @ centered / (x.shape[0] - 1)


def conditional_y_given_x(joint: jax.Array) -> jax.Array:
    return joint / joint.sum(axis=1, keepdims=True)


def bayes_rule(prior: jax.Array, likelihood: jax.Array) -> jax.Array:
    unnormalized = prior * likelihood
    return unnormalized / unnormalized.sum()


def covariance_from_table(joint: jax.Array, x_values: jax.Array, y_values: jax.Array) -> jax.Array:
    e_xy = x_values @ joint @ y_values
    e_x = joint.sum(axis=1) @ x_values
    e_y = joint.sum(axis=0) @ y_values
    return e_xy - e_x * e_y


def mvn_log_density(x: jax.Array, mean: jax.Array, cov: jax.Array) -> jax.Array:
    chol = jnp.linalg.cholesky(cov)
    z = solve_triangular(chol, x - mean, lower=True)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    return -0.5 * (z @ z + log_det + mean.shape[0] * jnp.log(2.0 * jnp.pi))


def mvn_sample(key: jax.Array, mean: jax.Array, cov: jax.Array, n: int) -> jax.Array:
    chol = jnp.linalg.cholesky(cov)
    z = jax.random.normal(key, (n, mean.shape[0]))  # (n, d)
    return z @ chol.T + mean[None, :]


def gaussian_mle(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    mean = jnp.mean(x)
    return mean, jnp.mean((x - mean) ** 2)  # divide by n, not n - 1


def categorical_mle(labels: jax.Array, n_classes: int) -> jax.Array:
    return jnp.bincount(labels, length=n_classes) / labels.shape[0]


def ridge_map(x: jax.Array, y: jax.Array, noise_var: float, prior_var: float) -> jax.Array:
    lam = noise_var / prior_var
    return jnp.linalg.solve(x.T @ x + lam * jnp.eye(x.shape[1]), x.T @ y)


def beta_bernoulli_map(heads: int, n: int, a: float, b: float) -> float:
    return (a + heads - 1) / (a + b + n - 2)  # mode of Beta(a + heads, b + n - heads)


def entropy(probs: jax.Array) -> jax.Array:
    safe = jnp.where(probs > 0, probs, 1.0)
    return -jnp.sum(jnp.where(probs > 0, probs * jnp.log(safe), 0.0))


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    shifted = logits - jnp.max(logits, axis=-1, keepdims=True)
    log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))
    return -jnp.sum(labels * log_probs, axis=-1)


def softmax_cross_entropy_with_integer_labels(logits: jax.Array, labels: jax.Array) -> jax.Array:
    label_logits = jnp.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    return logsumexp(logits, axis=-1) - label_logits


def kl_gaussian_1d(mu0: float, sigma0: float, mu1: float, sigma1: float) -> jax.Array:
    return jnp.log(sigma1 / sigma0) + (sigma0**2 + (mu0 - mu1) ** 2) / (2 * sigma1**2) - 0.5


def mutual_information(joint: jax.Array) -> jax.Array:
    product = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    ratio = jnp.where(joint > 0, joint / jnp.where(joint > 0, product, 1.0), 1.0)
    return jnp.sum(joint * jnp.log(ratio))


def infonce_lower_bound(scores: jax.Array) -> jax.Array:
    n = scores.shape[0]
    return jnp.mean(jnp.diag(scores) - logsumexp(scores, axis=1)) + jnp.log(n)
