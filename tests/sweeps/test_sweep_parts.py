"""The sweep's parts against independent oracles: optax, lax.conv, numpy, jlr.data."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.data import batch_indices
from jlr.optim import apply_updates
from jlr.sweeps import OPTIMIZER_NAMES, make_optimizer
from jlr.sweeps.tasks import minibatch_rows, quadratic_matrix
from jlr.sweeps.tiny_cnn import conv2d, init_conv2d, init_tiny_cnn, tiny_cnn

OPTAX = {
    "sgd": lambda lr: optax.sgd(lr),
    "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
    "nesterov": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda lr: optax.rmsprop(lr),
    "adam": lambda lr: optax.adam(lr),
    "adamw": lambda lr: optax.adamw(lr, weight_decay=1e-2),
}


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_named_optimizer_with_a_traced_rate_matches_optax(key, name):
    """The rate arrives as an array under jit, as in the sweep; optax gets a Python float."""
    params = {"w": jax.random.normal(key, (3, 2)), "b": jnp.ones((2,))}
    grad_fn = jax.grad(lambda p: jnp.sum(jnp.sin(p["w"])) + jnp.sum(p["b"] ** 2))

    @jax.jit
    def ours(params, lr):
        optimizer = make_optimizer(name, lr)
        state = optimizer.init(params)
        for _ in range(5):
            updates, state = optimizer.update(grad_fn(params), state, params)
            params = apply_updates(params, updates)
        return params

    reference, optimizer = params, OPTAX[name](0.05)
    state = optimizer.init(reference)
    for _ in range(5):
        updates, state = optimizer.update(grad_fn(reference), state, reference)
        reference = optax.apply_updates(reference, updates)
    got = ours(params, jnp.float32(0.05))
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(reference), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unknown_optimizer_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        make_optimizer("lion", 0.1)


@pytest.mark.parametrize(("stride", "c_in", "c_out"), [(1, 1, 4), (2, 3, 5)])
def test_im2col_conv_matches_lax_conv(key, stride, c_in, c_out):
    w_key, x_key = jax.random.split(key)
    params = {**init_conv2d(w_key, 3, c_in, c_out), "b": jnp.arange(c_out, dtype=jnp.float32)}
    x = jax.random.normal(x_key, (2, 8, 8, c_in))
    expected = jax.lax.conv_general_dilated(
        x, params["w"], (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    np.testing.assert_allclose(
        conv2d(params, x, stride), expected + params["b"], rtol=1e-5, atol=1e-5
    )


def test_tiny_cnn_maps_images_to_logits(key):
    params = init_tiny_cnn(key, (2, 3))
    assert tiny_cnn(params, jnp.zeros((5, 8, 8))).shape == (5, 10)


def test_quadratic_has_the_requested_condition_number(key):
    eigenvalues = np.linalg.eigvalsh(np.asarray(quadratic_matrix(key, 6, 50.0), np.float64))
    np.testing.assert_allclose(eigenvalues.max(), 1.0, rtol=1e-4)
    np.testing.assert_allclose(eigenvalues.max() / eigenvalues.min(), 50.0, rtol=1e-3)


def test_minibatch_rows_follow_jlr_data_batch_indices():
    rows = minibatch_rows(7, 25, n_train=30, batch_size=4)  # 7 steps an epoch: 4 epochs
    assert rows.shape == (25, 4) and rows.dtype == np.int32
    for step in (0, 6, 7, 24):
        np.testing.assert_array_equal(rows[step], batch_indices(step, seed=7, n=30, batch_size=4))
    assert minibatch_rows(0, 5, n_train=0, batch_size=4).shape == (5, 0)
