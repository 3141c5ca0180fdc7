r"""Mutual information I(X; Y) = KL(p(x, y) || p(x) p(y)) = H(X) + H(Y) - H(X, Y) >= 0.

It is zero exactly when X and Y are independent, and it sees nonlinear dependence that
covariance misses. Closed form for jointly Gaussian vectors (Cover and Thomas, 2006, ch. 8):
  I(X; Y) = 1/2 log(det S_xx det S_yy / det S),   which for scalars with correlation rho is
  I = -1/2 log(1 - rho^2).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jlr.probability.entropy import entropy, joint_entropy
from jlr.probability.joint import marginals


@jax.jit
def mutual_information(joint: jax.Array) -> jax.Array:
    r"""I = sum_ij P[i, j] log(P[i, j] / (p(x_i) p(y_j))). joint: (n_x, n_y) -> scalar (nats).

    The KL divergence of P from p(x) p(y), computed as P (log P - log p(x) - log p(y)): the
    product p(x) p(y) of two small marginals can underflow to 0 (1e-20 * 1e-20 in float32)
    where P itself does not, and log(P / 0) would be inf. Terms with P = 0 count 0.
    """
    p_x, p_y = marginals(joint)
    log_ratio = _log_where_positive(joint) - (
        _log_where_positive(p_x)[:, None] + _log_where_positive(p_y)[None, :]
    )  # where P[i, j] > 0, p(x_i) >= P[i, j] > 0 and p(y_j) > 0 too
    return jnp.sum(jnp.where(joint > 0, joint * log_ratio, 0.0))


def _log_where_positive(p: jax.Array) -> jax.Array:
    """log p where p > 0, else 0 (no -inf, and no NaN in a gradient through the where)."""
    return jnp.log(jnp.where(p > 0, p, 1.0))


@jax.jit
def mutual_information_from_entropies(joint: jax.Array) -> jax.Array:
    """H(X) + H(Y) - H(X, Y): the same number by the entropy identity."""
    p_x, p_y = marginals(joint)
    return entropy(p_x) + entropy(p_y) - joint_entropy(joint)


@jax.jit
def gaussian_mutual_information(rho) -> jax.Array:
    r"""I(X; Y) = -1/2 log(1 - rho^2) for a bivariate Gaussian with correlation rho."""
    return -0.5 * jnp.log1p(-jnp.square(rho))


@partial(jax.jit, static_argnames=("d_x",))
def gaussian_mutual_information_from_cov(cov: jax.Array, d_x: int) -> jax.Array:
    r"""1/2 (log det S_xx + log det S_yy - log det S); x = first d_x coordinates. cov: (d, d)."""
    _, log_det = jnp.linalg.slogdet(cov)
    _, log_det_xx = jnp.linalg.slogdet(cov[:d_x, :d_x])
    _, log_det_yy = jnp.linalg.slogdet(cov[d_x:, d_x:])
    return 0.5 * (log_det_xx + log_det_yy - log_det)


@partial(jax.jit, static_argnames=("n_bins",))
def histogram_mutual_information(x: jax.Array, y: jax.Array, n_bins: int) -> jax.Array:
    r"""Plug-in estimate: bin (x, y) into an n_bins x n_bins table, then I of that table.

    x, y: (n,) -> scalar. Biased upward for small n (roughly (n_bins - 1)^2 / (2n) nats).
    """
    counts, _, _ = jnp.histogram2d(x, y, bins=n_bins)
    return mutual_information(counts / counts.sum())
