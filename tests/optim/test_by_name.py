"""make_optimizer(name, lr) against optax, with the rate traced (as a sweep passes it)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.optim import OPTIMIZER_NAMES, apply_updates, make_optimizer

OPTAX = {
    "sgd": lambda lr: optax.sgd(lr),
    "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
    "nesterov": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda lr: optax.rmsprop(lr),
    "adam": lambda lr: optax.adam(lr),
    "adamw": lambda lr: optax.adamw(lr, weight_decay=1e-2),
}


def test_every_name_has_an_optax_twin():
    assert set(OPTIMIZER_NAMES) == set(OPTAX)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_named_optimizer_with_a_traced_rate_matches_optax(key, name):
    """The rates arrive as a vmapped array under jit, as in a sweep; optax gets floats."""
    params = {"w": jax.random.normal(key, (3, 2)), "b": jnp.ones((2,))}
    grad_fn = jax.grad(lambda p: jnp.sum(jnp.sin(p["w"])) + jnp.sum(p["b"] ** 2))

    @jax.jit
    @jax.vmap
    def ours(lr):
        optimizer, p = make_optimizer(name, lr), params
        state = optimizer.init(p)
        for _ in range(5):
            updates, state = optimizer.update(grad_fn(p), state, p)
            p = apply_updates(p, updates)
        return p

    lrs = (0.05, 0.1)
    got = ours(jnp.asarray(lrs, jnp.float32))
    for i, lr in enumerate(lrs):
        reference, optimizer = params, OPTAX[name](lr)
        state = optimizer.init(reference)
        for _ in range(5):
            updates, state = optimizer.update(grad_fn(reference), state, reference)
            reference = optax.apply_updates(reference, updates)
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(reference), strict=True):
            np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-6)


def test_unknown_optimizer_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        make_optimizer("lion", 0.1)
