"""vmap (per-example gradients, ensembles), parameter pytrees, and the hand-written loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from jlr.jax_core import parameters, training_loop, vectorization
from jlr.models.mlp import init_mlp
from jlr.optim import sgd
from jlr.train import fit, init_train_state, make_train_step


@pytest.fixture
def tiny(key):
    init_key, x_key, y_key = jax.random.split(key, 3)
    params = init_mlp(init_key, (4, 6, 3))
    x = jax.random.normal(x_key, (5, 4))
    y = jax.random.randint(y_key, (5,), 0, 3)
    return params, x, y


def test_per_example_grads_match_a_python_loop(tiny):
    params, x, y = tiny
    batched = vectorization.per_example_grads(params, x, y)
    for i in range(len(x)):
        one = jax.grad(vectorization.example_loss)(params, x[i], y[i])
        for a, b in zip(jax.tree.leaves(batched), jax.tree.leaves(one), strict=True):
            np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-6)
    mean_grad = jax.tree.map(lambda g: g.mean(0), batched)
    full = jax.grad(vectorization.batch_loss)(params, x, y)
    for a, b in zip(jax.tree.leaves(mean_grad), jax.tree.leaves(full), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pairwise_distances_match_scipy(key):
    from scipy.spatial.distance import cdist

    a, b = jax.random.normal(key, (2, 4, 3))
    np.testing.assert_allclose(
        vectorization.pairwise_distances(a, b), cdist(a, b), rtol=1e-5, atol=1e-6
    )


def test_ensemble_trains_like_separate_models(tiny, key):
    _, x, y = tiny
    optimizer = sgd(0.1)
    stacked = vectorization.init_ensemble(key, 3, (4, 6, 3))
    assert stacked[0]["w"].shape == (3, 4, 6)
    step = vectorization.make_ensemble_step(optimizer)
    opt_states = jax.vmap(optimizer.init)(stacked)
    params, _, losses = step(stacked, opt_states, x, y)
    assert losses.shape == (3,)
    for m, model_key in enumerate(jax.random.split(key, 3)):
        single = init_mlp(model_key, (4, 6, 3))
        grads = jax.grad(vectorization.batch_loss)(single, x, y)
        expected = jax.tree.map(lambda p, g: p - 0.1 * g, single, grads)
        for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(expected), strict=True):
            np.testing.assert_allclose(a[m], b, rtol=1e-5, atol=1e-6)


def test_count_ravel_and_tree_map(tiny):
    params, _, _ = tiny
    assert parameters.count_params(params) == 4 * 6 + 6 + 6 * 3 + 3
    assert parameters.param_shapes(params)["[0]['w']"] == (4, 6)
    vector, unravel = parameters.ravel(params)
    oracle, _ = ravel_pytree(params)
    np.testing.assert_allclose(vector, oracle, rtol=0, atol=0)
    for a, b in zip(jax.tree.leaves(unravel(vector)), jax.tree.leaves(params), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(parameters.global_norm(params), jnp.linalg.norm(oracle), rtol=1e-6)
    stepped = parameters.sgd_update(params, params, 0.5)
    np.testing.assert_allclose(ravel_pytree(stepped)[0], 0.5 * oracle, rtol=1e-6)


def test_save_load_round_trip(tiny, tmp_path):
    params, _, _ = tiny
    parameters.save_params(tmp_path / "p.npz", params)
    loaded = parameters.load_params(tmp_path / "p.npz", params)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(params), strict=True):
        np.testing.assert_array_equal(a, b)
    wrong = init_mlp(jax.random.key(1), (4, 7, 3))
    with pytest.raises(ValueError, match="shape"):
        parameters.load_params(tmp_path / "p.npz", wrong)


def test_hand_loop_agrees_with_jlr_train(key, tmp_path):
    init_key, data_key, train_key = jax.random.split(key, 3)
    x = np.asarray(jax.random.normal(data_key, (24, 4)))
    y = np.arange(24) % 3
    params = init_mlp(init_key, (4, 8, 3))
    loss_fn = lambda p, b, k: training_loop.classification_loss(p, b, k, drop_prob=0.25)
    by_hand, losses = training_loop.train_by_hand(
        params,
        loss_fn,
        {"x": x, "y": y},
        key=train_key,
        lr=0.1,
        batch_size=8,
        n_steps=6,
        data_seed=3,
    )
    assert losses.shape == (6,)
    optimizer = sgd(0.1)
    state = fit(
        init_train_state(params, optimizer, train_key),
        make_train_step(loss_fn, optimizer),
        train_data={"x": x, "y": y},
        batch_size=8,
        total_steps=6,
        data_seed=3,
        out_dir=tmp_path,
        eval_every=6,
        checkpoint_every=6,
        steps_per_call=3,
        progress=False,
    )
    for a, b in zip(jax.tree.leaves(by_hand), jax.tree.leaves(state.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
