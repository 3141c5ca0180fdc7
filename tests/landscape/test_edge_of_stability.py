"""Full-batch GD with tracked sharpness: on a quadratic against the closed form (iterates
(I - lr A)^t x_0, constant sharpness lambda_max(A)); on an MLP against a plain loop of
jax.grad steps and numpy's eigvalsh of the Hessian at the end."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from jlr.landscape.edge_of_stability import gd_with_sharpness, plateau_ratio
from jlr.models.mlp import init_mlp, mlp

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32


def test_quadratic_iterates_and_sharpness_match_the_closed_form(key):
    a_key, x_key, v_key = jax.random.split(key, 3)
    q, _ = jnp.linalg.qr(jax.random.normal(a_key, (6, 6)))
    eigenvalues = jnp.array([4.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    a = q @ jnp.diag(eigenvalues) @ q.T  # (6, 6) symmetric, lambda_max = 4
    x0 = {"x": jax.random.normal(x_key, (6,))}
    lr, n_steps = 0.2, 30

    path = gd_with_sharpness(v_key, lambda p: 0.5 * p["x"] @ a @ p["x"], x0, lr, n_steps, 10)
    expected = np.linalg.matrix_power(np.eye(6) - lr * np.asarray(a), n_steps) @ x0["x"]
    np.testing.assert_allclose(path.params["x"], expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(path.sharpness, 4.0, rtol=1e-3)
    np.testing.assert_array_equal(path.steps, [0, 10, 20, 30])
    assert path.losses.shape == (n_steps,)
    np.testing.assert_allclose(plateau_ratio(path, lr), 4.0 * lr / 2, rtol=1e-3)


def test_mlp_path_matches_a_loop_and_the_last_sharpness_the_full_hessian(key):
    data_key, init_key, v_key = jax.random.split(key, 3)
    x = jax.random.normal(data_key, (32, 3))
    y = jnp.sin(x.sum(1, keepdims=True))  # (32, 1)
    params = init_mlp(init_key, (3, 8, 1))

    def loss(p):
        return jnp.mean((mlp(p, x) - y) ** 2)

    lr, n_steps = 0.1, 20
    path = jax.jit(lambda p: gd_with_sharpness(v_key, loss, p, lr, n_steps, 5, 50, 50))(params)
    looped, losses = params, []
    for _ in range(n_steps):
        value, grads = jax.value_and_grad(loss)(looped)
        losses.append(value)
        looped = jax.tree.map(lambda p, g: p - lr * g, looped, grads)
    np.testing.assert_allclose(path.losses, losses, rtol=1e-5)
    np.testing.assert_allclose(ravel_pytree(path.params)[0], ravel_pytree(looped)[0], atol=1e-5)
    flat, unravel = ravel_pytree(looped)
    hessian = jax.hessian(lambda v: loss(unravel(v)))(flat)
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian, np.float64))
    top = eigenvalues[np.argmax(np.abs(eigenvalues))]
    np.testing.assert_allclose(path.sharpness[-1], top, rtol=1e-3)


def test_steps_must_be_a_multiple_of_every(key):
    with pytest.raises(ValueError, match="multiple"):
        gd_with_sharpness(key, lambda p: jnp.sum(p**2), jnp.ones(3), 0.1, 7, 5)
