"""Sharpness: the largest eigenvalue of the loss Hessian, by power iteration on HVPs.

lambda_max = max_v v^T H v / v^T v.  Power iteration v <- H v / |H v| converges to the top
eigenvector when the top eigenvalue dominates in magnitude (true at a minimum, where H is
positive semi-definite). Each H v is one forward-over-reverse product (Pearlmutter 1994;
`jlr.calculus.hessian.hvp`), so the n x n Hessian is never formed: this works for a network
with a million parameters. Params are any pytree; they are flattened to one vector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp


def top_hessian_eigenvalue(
    key: jax.Array, loss: Callable[[Any], jax.Array], params: Any, n_iters: int = 20
) -> tuple[jax.Array, jax.Array]:
    """(lambda_max, v) of the Hessian of loss at params; v: (n_params,) unit vector.

    v_0 ~ N(0, I) from key;  v_{k+1} = H v_k / |H v_k|;  lambda = v^T H v (Rayleigh quotient)
    """
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    def body(_, v):
        hv = hvp(flat_loss, flat, v)
        return hv / jnp.linalg.norm(hv)

    v0 = jax.random.normal(key, flat.shape, flat.dtype)
    v = jax.lax.fori_loop(0, n_iters, body, v0 / jnp.linalg.norm(v0))
    return v @ hvp(flat_loss, flat, v), v
