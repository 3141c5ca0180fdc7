"""batch_norm against flax.linen.BatchNorm in train and eval mode over several steps of running
averages; its statistics as properties; checkpoint and resume of a BN-MLP through jlr.train."""

from functools import partial

import flax.linen as fnn
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.nn.batch_norm import batch_norm, init_batch_norm
from jlr.nn.linear import init_linear, linear
from jlr.nn.losses import softmax_cross_entropy
from jlr.optim import adam
from jlr.train import init_train_state, make_train_step
from jlr.train.checkpoint import load_checkpoint, save_checkpoint

MOMENTUM, EPS = 0.9, 1e-5


@partial(jax.jit, static_argnames=("train", "axis"))
def jlr_bn(params, state, x, train, axis):
    return batch_norm(params, state, x, train=train, momentum=MOMENTUM, eps=EPS, axis=axis)


@partial(jax.jit, static_argnames=("train", "axis"))
def flax_bn(params, state, x, train, axis):
    module = fnn.BatchNorm(momentum=MOMENTUM, epsilon=EPS, axis=axis)
    y, updated = module.apply(
        {"params": params, "batch_stats": state},
        x,
        use_running_average=not train,
        mutable=["batch_stats"],
    )
    return y, updated["batch_stats"]


def random_params(key, n_features):
    scale_key, bias_key = jax.random.split(key)
    params, state = init_batch_norm(n_features)
    params = {
        "scale": 1.0 + 0.5 * jax.random.normal(scale_key, (n_features,)),
        "bias": jax.random.normal(bias_key, (n_features,)),
    }
    return params, state


@pytest.mark.parametrize(
    ("shape", "axis"),
    [((16, 5), -1), ((4, 6, 6, 3), -1), ((4, 3, 6, 6), 1)],  # dense, NHWC, NCHW
    ids=["batch-features", "nhwc", "nchw-axis1"],
)
def test_matches_flax_batch_norm_over_steps_then_in_eval(key, shape, axis):
    params_key, data_key = jax.random.split(key)
    n_features = shape[axis]
    params, state = random_params(params_key, n_features)
    flax_state = state
    for step in range(4):  # each step's batch has its own mean and spread
        x_key = jax.random.fold_in(data_key, step)
        x = 2.0 * jax.random.normal(x_key, shape) + step
        y, state = jlr_bn(params, state, x, True, axis)
        y_flax, flax_state = flax_bn(params, flax_state, x, True, axis)
        np.testing.assert_allclose(y, y_flax, rtol=1e-5, atol=1e-5)
        for name in ("mean", "var"):
            np.testing.assert_allclose(state[name], flax_state[name], rtol=1e-5, atol=1e-6)
    # after four updates the running averages are far from their init (0, 1)
    assert np.abs(np.asarray(state["mean"])).min() > 0.3  # expected 0.56
    assert np.asarray(state["var"]).min() > 1.5  # expected 2.0
    x = jax.random.normal(jax.random.fold_in(data_key, 99), shape)
    y, eval_state = jlr_bn(params, state, x, False, axis)
    y_flax, _ = flax_bn(params, flax_state, x, False, axis)
    np.testing.assert_allclose(y, y_flax, rtol=1e-5, atol=1e-5)
    for name in ("mean", "var"):
        np.testing.assert_array_equal(eval_state[name], state[name])


def test_gradients_through_batch_statistics_match_flax(key):
    """The train-mode gradient flows through the batch mean and variance, as in flax."""
    params_key, x_key, weight_key = jax.random.split(key, 3)
    params, state = random_params(params_key, 4)
    x = jax.random.normal(x_key, (8, 4))
    weights = jax.random.normal(weight_key, (8, 4))  # makes the loss depend on every output

    def loss(bn, params, x):
        return jnp.sum(weights * bn(params, state, x, True, -1)[0])

    got = jax.grad(partial(loss, jlr_bn), argnums=(0, 1))(params, x)
    expected = jax.grad(partial(loss, flax_bn), argnums=(0, 1))(params, x)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.sampled_from([(2, 3), (32, 4), (3, 2, 5, 2)]),
    seed=st.integers(0, 2**16),
    loc=st.floats(-10, 10),
    spread=st.floats(0.1, 10),
)
def test_train_mode_standardises_each_feature(shape, seed, loc, spread):
    """With scale 1 and bias 0: per feature mean 0 and variance v / (v + eps), v from numpy."""
    x = loc + spread * jax.random.normal(jax.random.key(seed), shape)
    params, state = init_batch_norm(shape[-1])
    y, new_state = jlr_bn(params, state, x, True, -1)
    reduce_axes = tuple(range(len(shape) - 1))
    x64 = np.asarray(x, np.float64)
    v = x64.var(axis=reduce_axes)  # numpy's default is the biased variance
    # float32 cancellation: x - mean carries about ulp(|x|) of error, magnified by 1 / std
    tol = 1e-5 + 1e-6 * np.abs(x64).max() / np.sqrt(v.min())
    np.testing.assert_allclose(np.asarray(y).mean(axis=reduce_axes), 0.0, atol=tol)
    np.testing.assert_allclose(np.asarray(y).var(axis=reduce_axes), v / (v + EPS), rtol=tol)
    expected_mean = (1 - MOMENTUM) * x64.mean(axis=reduce_axes)  # running mean starts at 0
    expected_var = MOMENTUM + (1 - MOMENTUM) * v  # running var starts at 1
    np.testing.assert_allclose(new_state["mean"], expected_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new_state["var"], expected_var, rtol=1e-5)


def test_train_couples_the_batch_and_eval_does_not(key):
    params_key, x_key, other_key = jax.random.split(key, 3)
    params, _ = random_params(params_key, 3)
    state = {"mean": jnp.array([0.5, -1.0, 2.0]), "var": jnp.array([1.0, 4.0, 0.25])}
    x = jax.random.normal(x_key, (6, 3))
    changed = x.at[1:].set(jax.random.normal(other_key, (5, 3)) + 3.0)  # example 0 unchanged
    y_train, _ = jlr_bn(params, state, x, True, -1)
    y_train_changed, _ = jlr_bn(params, state, changed, True, -1)
    assert np.abs(np.asarray(y_train[0] - y_train_changed[0])).max() > 0.1
    y_eval, eval_state = batch_norm(params, state, x, train=False)
    assert eval_state is state  # eval returns the state unchanged
    alone, _ = jlr_bn(params, state, x[:1], False, -1)  # batch of 1
    np.testing.assert_allclose(alone[0], y_eval[0], rtol=1e-6, atol=1e-6)
    expected = params["scale"] * (x - state["mean"]) / np.sqrt(state["var"] + EPS) + params["bias"]
    np.testing.assert_allclose(y_eval, expected, rtol=1e-5, atol=1e-6)


# --- checkpoint and resume: a BN-MLP trained through jlr.train with model_state -------------


def init_bn_mlp(key, d_in=5, d_hidden=8, n_classes=3):
    first_key, last_key = jax.random.split(key)
    bn_params, bn_state = init_batch_norm(d_hidden)
    params = {
        "hidden": init_linear(first_key, d_in, d_hidden),
        "bn": bn_params,
        "out": init_linear(last_key, d_hidden, n_classes),
    }
    return params, {"bn": bn_state}


def bn_mlp(params, model_state, x, *, train):
    """x: (batch, d_in) -> (logits (batch, n_classes), new model_state)."""
    h = linear(params["hidden"], x)  # (batch, d_hidden)
    h, bn_state = batch_norm(params["bn"], model_state["bn"], h, train=train)
    return linear(params["out"], jax.nn.relu(h)), {"bn": bn_state}


def bn_mlp_loss(params, model_state, batch, key):
    logits, new_model_state = bn_mlp(params, model_state, batch["x"], train=True)
    return jnp.mean(softmax_cross_entropy(logits, batch["y"])), ({}, new_model_state)


OPTIMIZER = adam(0.05)
BN_MLP_STEP = jax.jit(make_train_step(bn_mlp_loss, OPTIMIZER, has_state=True))
BN_MLP_EVAL = jax.jit(lambda params, model_state, x: bn_mlp(params, model_state, x, train=False))


def fresh_state(key):
    params, model_state = init_bn_mlp(key)
    return init_train_state(params, OPTIMIZER, jax.random.key(7), model_state=model_state)


def test_checkpoint_and_resume_equals_uninterrupted_training(tmp_path, key):
    init_key, data_key = jax.random.split(key)
    batches = [
        {
            "x": 1.5 * jax.random.normal(jax.random.fold_in(data_key, t), (16, 5)) + 0.5,
            "y": jax.random.randint(jax.random.fold_in(data_key, 100 + t), (16,), 0, 3),
        }
        for t in range(3)
    ]
    x_eval = jax.random.normal(jax.random.fold_in(data_key, 999), (4, 5))

    uninterrupted = fresh_state(init_key)
    for t, batch in enumerate(batches):
        uninterrupted, metrics = BN_MLP_STEP(uninterrupted, batch)
        assert bool(metrics["finite"])
        if t == 0:
            saved = uninterrupted
            save_checkpoint(tmp_path / "ckpt.npz", saved, {"step": 1})

    resumed, metadata = load_checkpoint(tmp_path / "ckpt.npz", fresh_state(jax.random.key(123)))
    assert metadata == {"step": 1}
    np.testing.assert_array_equal(
        BN_MLP_EVAL(resumed.params, resumed.model_state, x_eval)[0],
        BN_MLP_EVAL(saved.params, saved.model_state, x_eval)[0],
    )
    for batch in batches[1:]:
        resumed, _ = BN_MLP_STEP(resumed, batch)

    # the running statistics moved: a test that dropped model_state would see the init (0, 1)
    assert np.abs(np.asarray(uninterrupted.model_state["bn"]["mean"])).max() > 0.1
    for field in ("params", "model_state", "opt_state", "step"):
        jax.tree.map(
            np.testing.assert_array_equal, getattr(resumed, field), getattr(uninterrupted, field)
        )
    np.testing.assert_array_equal(
        jax.random.key_data(resumed.key), jax.random.key_data(uninterrupted.key)
    )
    np.testing.assert_array_equal(
        BN_MLP_EVAL(resumed.params, resumed.model_state, x_eval)[0],
        BN_MLP_EVAL(uninterrupted.params, uninterrupted.model_state, x_eval)[0],
    )
