"""Sharpness by HVP power iteration against eigvalsh of the full Hessian (jax.hessian)."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jlr.landscape import top_hessian_eigenvalue
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import softmax_cross_entropy


def test_top_eigenpair_of_an_mlp_loss_matches_the_full_hessian(key, float64):
    data_key, label_key, init_key, power_key = jax.random.split(key, 4)
    x = jax.random.normal(data_key, (48, 5), jnp.float64)
    y = jax.random.randint(label_key, (48,), 0, 3)
    params = jax.tree.map(lambda p: p.astype(jnp.float64), init_mlp(init_key, (5, 4, 3)))

    def loss(p):
        return jnp.mean(jax.vmap(softmax_cross_entropy)(mlp(p, x), y))

    flat, unravel = ravel_pytree(params)
    hessian = np.asarray(jax.hessian(lambda v: loss(unravel(v)))(flat))
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    assert eigenvalues[-1] > 1.5 * abs(eigenvalues[0])  # lambda_max dominates: power iteration
    top, v = jax.jit(lambda p: top_hessian_eigenvalue(power_key, loss, p, n_iters=300))(params)
    np.testing.assert_allclose(top, eigenvalues[-1], rtol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(v), 1.0, rtol=1e-12)
    np.testing.assert_allclose(abs(v @ eigenvectors[:, -1]), 1.0, rtol=1e-6)
