"""Sharpness: the largest eigenvalue of the loss Hessian, by power iteration on HVPs.

lambda_max = max_v v^T H v / v^T v.  Power iteration v <- H v / |H v| (`jlr.linalg.eigen`,
which takes the matvec v -> H v as a function) converges to the top eigenvector when the
top eigenvalue dominates in magnitude (true at a minimum, where H is positive
semi-definite). Each H v is one forward-over-reverse product (Pearlmutter 1994;
`jlr.calculus.hessian.hvp`), so the n x n Hessian is never formed: this works for a network
with a million parameters. Params are any pytree; they are flattened to one vector.
Sharpness as a measure of a minimum: Keskar et al. 2017; its edge-of-stability bound
2 / lr: Cohen et al. 2021.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp
from jlr.linalg.eigen import power_iteration


def top_hessian_eigenvalue(
    key: jax.Array, loss: Callable[[Any], jax.Array], params: Any, n_iters: int = 20
) -> tuple[jax.Array, jax.Array]:
    """(lambda_max, v) of the Hessian of loss at params; v: (n_params,) unit vector.

    v_0 ~ N(0, I) from key;  v_{k+1} = H v_k / |H v_k|;  lambda = v^T H v (Rayleigh quotient)
    n_iters + 1 Hessian-vector products in all.
    """
    flat, unravel = ravel_pytree(params)

    def flat_loss(x):
        return loss(unravel(x))

    v0 = jax.random.normal(key, flat.shape, flat.dtype)
    eigenvalue, v, _ = power_iteration(lambda v: hvp(flat_loss, flat, v), v0, n_iters)
    return eigenvalue, v
