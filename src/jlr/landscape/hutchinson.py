r"""Hutchinson's trace estimator: tr(A) from matrix-vector products alone.

For a random z with E[z z^T] = I,  E[z^T A z] = tr(A E[z z^T]) = tr(A), so

    tr(A) ~ (1 / n_probes) sum_i z_i^T A z_i,   z_i independent Rademacher (+-1 entries)

(Hutchinson 1990). Rademacher probes give the smallest variance among such z:
Var[z^T A z] = 2 sum_{i != j} A_ij^2, so only the off-diagonal part of A adds noise, and for a
diagonal A every probe gives tr(A) exactly. The standard error of the mean is
std(z_i^T A z_i) / sqrt(n_probes). For a loss Hessian each A z_i is one HVP
(`jlr.calculus.hessian.hvp`), vmapped over the probes; tr(H) is the sum of the curvatures
(PyHessian, Yao et al. 2020, tracks it through training).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp


def trace_estimate(
    key: jax.Array,
    matvec: Callable[[jax.Array], jax.Array],
    n: int,
    n_probes: int,
    dtype: Any = jnp.float32,
) -> tuple[jax.Array, jax.Array]:
    """(estimate, standard error) of tr(A) for the symmetric v -> A v on R^n.

    z: (n_probes, n) Rademacher from key; samples z_i^T A z_i: (n_probes,); returns their mean
    and std(ddof=1) / sqrt(n_probes) (needs n_probes >= 2).
    """
    probes = jax.random.rademacher(key, (n_probes, n), dtype)  # (n_probes, n)
    samples = jax.vmap(lambda z: z @ matvec(z))(probes)  # (n_probes,)
    return samples.mean(), samples.std(ddof=1) / jnp.sqrt(n_probes)


def hessian_trace(
    key: jax.Array, loss: Callable[[Any], jax.Array], params: Any, n_probes: int
) -> tuple[jax.Array, jax.Array]:
    """(estimate, standard error) of tr(H), H the Hessian of loss at params (any pytree).

    n_probes HVPs, vmapped.
    """
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    return trace_estimate(key, lambda v: hvp(flat_loss, flat, v), flat.size, n_probes, flat.dtype)
