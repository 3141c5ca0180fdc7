"""JLR's random code paths consume every key once, by JAX's own checker `jax.debug_key_reuse`.

Covers the init of an MLP, dropout, the MLP with dropout, and jlr.train's scanned step (where a
key carried through `lax.scan` unchanged would be consumed on every iteration).
"""

import jax
import jax.numpy as jnp
import pytest

from jlr.models.mlp import init_mlp, mlp
from jlr.nn.dropout import dropout
from jlr.nn.losses import softmax_cross_entropy
from jlr.optim import sgd
from jlr.train import init_train_state, make_multi_step, make_train_step


def dropout_loss(params, batch, key):
    logits = mlp(params, batch["x"], drop_prob=0.5, key=key)  # (batch, 3)
    return jnp.mean(jax.vmap(softmax_cross_entropy)(logits, batch["y"])), {}


def run_checked(fn, *args):
    with jax.debug_key_reuse(True):
        return jax.block_until_ready(jax.jit(fn)(*args))


def test_the_checker_catches_a_reused_key(key):
    """The oracle can fail: two draws from one key, and a scan that never replaces its key."""
    with pytest.raises(jax.errors.KeyReuseError):
        run_checked(lambda k: (jax.random.normal(k), jax.random.normal(k)), key)
    stale_scan = lambda k: jax.lax.scan(lambda c, _: (c, jax.random.normal(c)), k, None, length=3)
    with pytest.raises(jax.errors.KeyReuseError):
        run_checked(stale_scan, key)


def test_library_code_paths_never_reuse_a_key(key):
    init_key, data_key, train_key, drop_key, mlp_key = jax.random.split(key, 5)
    params = init_mlp(init_key, (5, 8, 8, 3))
    x = jax.random.normal(data_key, (4, 5))
    y = jnp.array([0, 1, 2, 0])
    optimizer = sgd(0.1)
    state = init_train_state(params, optimizer, train_key)
    multi_step = make_multi_step(make_train_step(dropout_loss, optimizer))
    run_checked(lambda k: init_mlp(k, (5, 8, 8, 3)), init_key)
    run_checked(lambda a, k: dropout(a, 0.5, key=k), x, drop_key)
    run_checked(lambda p, a, k: mlp(p, a, drop_prob=0.5, key=k), params, x, mlp_key)
    run_checked(multi_step, state, {"x": x, "y": y}, jnp.zeros((3, 4), jnp.int32))
