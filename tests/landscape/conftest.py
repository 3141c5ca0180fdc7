"""The small model the Hessian-spectrum tests share, with its exact float64 Hessian."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import softmax_cross_entropy


@pytest.fixture(scope="session")
def mlp_problem():
    """(loss, params, hessian): a (6, 16, 4) ReLU MLP (180 params) on 64 synthetic points, and
    its Hessian at params from jax.hessian in float64, (180, 180) numpy, ravel_pytree order."""
    data_key, label_key, init_key = jax.random.split(jax.random.key(1), 3)
    x = jax.random.normal(data_key, (64, 6))
    y = jax.random.randint(label_key, (64,), 0, 4)
    params = init_mlp(init_key, (6, 16, 4))

    def loss(p):
        return jnp.mean(jax.vmap(softmax_cross_entropy)(mlp(p, x.astype(p[0]["w"].dtype)), y))

    with jax.enable_x64(True):
        flat, unravel = ravel_pytree(jax.tree.map(lambda p: p.astype(jnp.float64), params))
        hessian = np.asarray(jax.jit(jax.hessian(lambda v: loss(unravel(v))))(flat))
    return loss, params, hessian
