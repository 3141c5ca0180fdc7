r"""Random variables sampled with explicit keys, and inverse-CDF (inverse transform) sampling.

If U ~ Uniform(0, 1) and F is a CDF with generalized inverse F^{-1}(u) = inf{x : F(x) >= u},
then X = F^{-1}(U) has CDF F (Devroye, *Non-Uniform Random Variate Generation*, 1986, ch. 2).
Every sampler here takes its `key` first; the same key always gives the same draw.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("inverse_cdf", "shape"))
def inverse_cdf_sample(
    key: jax.Array, inverse_cdf: Callable[[jax.Array], jax.Array], shape: tuple[int, ...]
) -> jax.Array:
    """X = F^{-1}(U), U ~ Uniform(0, 1): draws of shape `shape` from the CDF F."""
    u = jax.random.uniform(key, shape)
    return inverse_cdf(u)


@jax.jit
def exponential_inverse_cdf(u: jax.Array, rate: float) -> jax.Array:
    r"""F(x) = 1 - exp(-rate x)  =>  F^{-1}(u) = -log(1 - u) / rate  (log1p keeps u ~ 0 exact)."""
    return -jnp.log1p(-u) / rate


@partial(jax.jit, static_argnames=("shape",))
def sample_exponential(key: jax.Array, rate: float, shape: tuple[int, ...]) -> jax.Array:
    """Exponential(rate) draws by inverse CDF; mean 1/rate, variance 1/rate^2."""
    return inverse_cdf_sample(key, lambda u: exponential_inverse_cdf(u, rate), shape)


@jax.jit
def categorical_inverse_cdf(u: jax.Array, probs: jax.Array) -> jax.Array:
    r"""Smallest i with F(i) > u, where F(i) = sum_{j<=i} probs_j.

    u: any shape; probs: (k,) -> int indices in [0, k), same shape as u.
    """
    cdf = jnp.cumsum(probs)  # (k,)
    index = jnp.searchsorted(cdf, u, side="right")
    return jnp.minimum(index, probs.shape[0] - 1)  # rounding can leave cdf[-1] a hair below 1


@partial(jax.jit, static_argnames=("shape",))
def sample_categorical(key: jax.Array, probs: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Categorical(probs) draws by inverse CDF. probs: (k,) -> ints of shape `shape`."""
    return inverse_cdf_sample(key, lambda u: categorical_inverse_cdf(u, probs), shape)


@partial(jax.jit, static_argnames=("shape",))
def sample_bernoulli(key: jax.Array, p: float, shape: tuple[int, ...]) -> jax.Array:
    """Bernoulli(p) as 1[U < p]: the two-outcome case of the categorical inverse CDF."""
    return (jax.random.uniform(key, shape) < p).astype(jnp.int32)


@partial(jax.jit, static_argnames=("cdf", "n_iter"))
def invert_cdf_bisection(
    cdf: Callable[[jax.Array], jax.Array],
    u: jax.Array,
    lower: float,
    upper: float,
    n_iter: int = 60,
) -> jax.Array:
    r"""F^{-1}(u) for any increasing CDF by bisection on [lower, upper] (elementwise in u).

    Keeps F(lo) <= u <= F(hi) and halves the bracket n_iter times: error (upper-lower) / 2^n_iter.
    """
    lo = jnp.full_like(u, lower)
    hi = jnp.full_like(u, upper)

    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        below = cdf(mid) < u
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, n_iter, halve, (lo, hi))
    return 0.5 * (lo + hi)


@jax.jit
def empirical_cdf(samples: jax.Array, x: jax.Array) -> jax.Array:
    """F_n(x) = (1/n) #{i : samples_i <= x}. samples: (n,), x: (m,) -> (m,)."""
    sorted_samples = jnp.sort(samples)
    return jnp.searchsorted(sorted_samples, x, side="right") / samples.shape[0]
