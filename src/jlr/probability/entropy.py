r"""Entropy: the average surprise -log p of a draw, in nats (divide by log 2 for bits).

  discrete   H(p) = -sum_k p_k log p_k,  0 log 0 = 0;   0 <= H(p) <= log K (uniform is max)
  Gaussian   h(N(mu, Sigma)) = 1/2 log det(2 pi e Sigma)  (differential: can be negative)
  joint and conditional  H(Y | X) = H(X, Y) - H(X) <= H(Y)
(Cover and Thomas, *Elements of Information Theory*, 2006, ch. 2 and 8.)
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jlr.probability.joint import marginals


@jax.jit
def xlogx(p: jax.Array) -> jax.Array:
    """p log p with the limit 0 log 0 = 0; the inner where keeps the gradient finite at 0."""
    safe = jnp.where(p > 0, p, 1.0)
    return jnp.where(p > 0, p * jnp.log(safe), 0.0)


@partial(jax.jit, static_argnames=("axis",))
def entropy(probs: jax.Array, axis: int = -1) -> jax.Array:
    r"""H(p) = -sum_k p_k log p_k along `axis` (nats). probs: (..., K) -> (...)."""
    return -jnp.sum(xlogx(probs), axis=axis)


@jax.jit
def gaussian_entropy(cov: jax.Array) -> jax.Array:
    r"""h = 1/2 log det(2 pi e Sigma) = d/2 log(2 pi e) + sum_i log L_ii. cov: (d, d) -> scalar."""
    d = cov.shape[0]
    chol = jnp.linalg.cholesky(cov)
    return 0.5 * d * jnp.log(2.0 * jnp.pi * jnp.e) + jnp.sum(jnp.log(jnp.diag(chol)))


@jax.jit
def joint_entropy(joint: jax.Array) -> jax.Array:
    """H(X, Y): the entropy of the flattened table. joint: (n_x, n_y) -> scalar."""
    return entropy(joint.reshape(-1))


@jax.jit
def conditional_entropy(joint: jax.Array) -> jax.Array:
    r"""H(Y | X) = H(X, Y) - H(X) = sum_i p(x_i) H(Y | X = x_i). joint: (n_x, n_y)."""
    p_x, _ = marginals(joint)
    return joint_entropy(joint) - entropy(p_x)


@jax.jit
def to_bits(nats: jax.Array) -> jax.Array:
    """Nats to bits: divide by log 2."""
    return nats / jnp.log(2.0)
