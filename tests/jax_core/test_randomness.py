"""Keys, split, fold_in, and the reused-key detector against JAX's own checker."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.jax_core import randomness
from jlr.jax_core.training_loop import classification_loss
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.dropout import dropout
from jlr.optim import sgd
from jlr.train import init_train_state, make_multi_step, make_train_step


def test_same_key_same_numbers_split_keys_differ(key):
    np.testing.assert_array_equal(jax.random.normal(key, (3,)), jax.random.normal(key, (3,)))
    keys = randomness.split_named(key, ["init", "data"])
    assert not np.allclose(
        jax.random.normal(keys["init"], (3,)), jax.random.normal(keys["data"], (3,))
    )
    a = jax.random.normal(randomness.step_key(key, 5), (3,))
    np.testing.assert_array_equal(a, jax.random.normal(jax.random.fold_in(key, 5), (3,)))


def test_reused_key_gives_identical_layers(key):
    params = randomness.reused_key_init(key, 3, 2)
    np.testing.assert_array_equal(params["w1"], params["w2"])


def scan_with_stale_key(key):
    return jax.lax.scan(lambda k, _: (k, jax.random.normal(k)), key, None, length=3)


def scan_with_split(key):
    def body(k, _):
        k, sub = jax.random.split(k)
        return k, jax.random.normal(sub)

    return jax.lax.scan(body, key, None, length=3)


def split_then_reuse(key):
    _ = jax.random.split(key)
    return jax.jit(lambda k: jax.random.uniform(k))(key)


BUGGY = [lambda k: randomness.reused_key_init(k, 2, 2), scan_with_stale_key, split_then_reuse]
CORRECT = [lambda k: init_mlp(k, (3, 4, 2)), scan_with_split]


@pytest.mark.parametrize("fn", BUGGY)
def test_detector_and_jax_checker_both_flag_bugs(fn, key):
    assert randomness.find_reused_keys(fn, key)
    with jax.debug_key_reuse(True), pytest.raises(jax.errors.KeyReuseError):
        jax.jit(fn)(key)


@pytest.mark.parametrize("fn", CORRECT)
def test_detector_and_jax_checker_accept_correct_code(fn, key):
    assert randomness.find_reused_keys(fn, key) == []
    with jax.debug_key_reuse(True):
        jax.jit(fn)(key)


def test_library_code_paths_never_reuse_a_key(key):
    """init, dropout, the MLP with dropout, and the scanned train step of jlr.train."""
    init_key, data_key, train_key, drop_key, mlp_key = jax.random.split(key, 5)
    params = init_mlp(init_key, (5, 8, 8, 3))
    x = jax.random.normal(data_key, (4, 5))
    y = jnp.array([0, 1, 2, 0])
    loss_fn = lambda p, b, k: classification_loss(p, b, k, drop_prob=0.5)
    optimizer = sgd(0.1)
    state = init_train_state(params, optimizer, train_key)
    multi_step = make_multi_step(make_train_step(loss_fn, optimizer))
    indices = jnp.zeros((3, 4), jnp.int32)
    paths = [
        (lambda k: init_mlp(k, (5, 8, 8, 3)), (init_key,)),
        (lambda a, k: dropout(a, 0.5, key=k), (x, drop_key)),
        (lambda p, a, k: mlp(p, a, drop_prob=0.5, key=k), (params, x, mlp_key)),
        (multi_step, (state, {"x": x, "y": y}, indices)),
    ]
    for fn, args in paths:
        assert randomness.find_reused_keys(fn, *args) == []
        with jax.debug_key_reuse(True):
            jax.block_until_ready(jax.jit(fn)(*args))
