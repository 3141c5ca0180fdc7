"""Reference solutions for exercises/05_jax_core.py.

Each writes out the idea its exercise is about and calls the library for the rest: the
linear model (`jlr.nn.linear`), the SGD update (`jlr.optim`), the train step (`jlr.train`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jlr.nn.linear import linear
from jlr.optim import apply_updates, sgd
from jlr.train import init_train_state, make_train_step


def running_mean_update(state, x):
    """(count, mean) -> (count + 1, mean + (x - mean) / (count + 1)), returning a new tuple."""
    count, mean = state
    count = count + 1
    return count, mean + (x - mean) / count


def dropout_masks(key, n_layers, shape, keep_prob):
    layer_keys = jax.random.split(key, n_layers)
    return jnp.stack([jax.random.bernoulli(k, keep_prob, shape) for k in layer_keys])


def histogram(indices, n_bins):
    return jnp.zeros(n_bins, jnp.int32).at[indices].add(1)


def gather_or_nan(x, indices):
    return x.at[indices].get(mode="fill", fill_value=jnp.nan)


def mse_value_and_grad(params, x, y):
    def loss(p):
        return jnp.mean((linear(p, x) - y) ** 2)  # linear: x @ w + b

    return jax.value_and_grad(loss)(params)


@jax.custom_vjp
def softplus(x):
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g * jax.nn.sigmoid(x),))


def jacobian_columns(f, x):
    basis = jnp.eye(x.size, dtype=x.dtype)
    return jax.vmap(lambda v: jax.jvp(f, (x,), (v,))[1], out_axes=1)(basis)


def _power(x, n):
    result = jnp.ones_like(x)
    for _ in range(n):
        result = result * x
    return result


static_power = jax.jit(_power, static_argnums=1)


def per_example_grads(loss, params, x, y):
    return jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, x, y)


def data_parallel_sgd_step(loss, params, x_shard, y_shard, lr):
    grads = jax.grad(loss)(params, x_shard, y_shard)
    grads = jax.lax.pmean(grads, "data")  # the all-reduce: the mean over devices
    optimizer = sgd(lr)
    updates, _ = optimizer.update(grads, optimizer.init(params), params)
    return apply_updates(params, updates)


def flatten_params(params):
    leaves, treedef = jax.tree.flatten(params)
    shapes = [leaf.shape for leaf in leaves]
    vector = jnp.concatenate([leaf.ravel() for leaf in leaves])  # (n_params,)
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])

    def unflatten(flat):
        pieces = jnp.split(flat, ends[:-1])  # one piece per leaf, in leaves order
        leaves = [piece.reshape(shape) for piece, shape in zip(pieces, shapes, strict=True)]
        return jax.tree.unflatten(treedef, leaves)

    return vector, unflatten


def sgd_train(loss, params, batches, lr):
    optimizer = sgd(lr)
    step = jax.jit(make_train_step(lambda p, batch, key: (loss(p, *batch), {}), optimizer))
    state = init_train_state(params, optimizer, jax.random.key(0))  # the loss draws no keys
    for batch in batches:
        state, _ = step(state, batch)
    return state.params
