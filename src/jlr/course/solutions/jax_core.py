"""Reference solutions for exercises/05_jax_core.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp


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
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

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
    grads = jax.lax.pmean(grads, "data")
    return jax.tree.map(lambda p, g: p - lr * g, params, grads)


def flatten_params(params):
    leaves, treedef = jax.tree.flatten(params)
    shapes = [leaf.shape for leaf in leaves]
    vector = jnp.concatenate([leaf.ravel() for leaf in leaves])

    def unflatten(flat):
        out, start = [], 0
        for shape in shapes:
            size = 1
            for d in shape:
                size *= d
            out.append(flat[start : start + size].reshape(shape))
            start += size
        return jax.tree.unflatten(treedef, out)

    return vector, unflatten


def sgd_train(loss, params, batches, lr):
    step = jax.jit(
        lambda p, x, y: jax.tree.map(lambda a, g: a - lr * g, p, jax.grad(loss)(p, x, y))
    )
    for x, y in batches:
        params = step(params, x, y)
    return params
