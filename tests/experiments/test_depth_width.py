"""The depth-vs-width study: parameter counts match the library MLP's shapes, the budget's
width is the widest that fits, the init has He's variances, a vmapped run equals the same run
trained alone by an optax loop, and the study pairs its seeds across depths."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.experiments.depth_width import (
    depth_width_study,
    draw_seeds,
    he_mlp_from_normals,
    init_he_mlp,
    layer_grad_norms,
    mlp_loss,
    mlp_param_count,
    n_weights,
    steps_to_loss,
    train_mlp,
    width_for_budget,
)
from jlr.models.mlp import init_mlp, mlp


def library_count(d_in, width, n_hidden, n_classes):
    """Parameters of jlr.models.mlp's MLP, read off its shapes."""
    sizes = (d_in, *[width] * n_hidden, n_classes)
    shapes = jax.eval_shape(lambda: init_mlp(jax.random.key(0), sizes))
    return sum(leaf.size for leaf in jax.tree.leaves(shapes))


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 80), st.integers(1, 60), st.integers(0, 6), st.integers(2, 12)
)  # d_in, width, n_hidden, n_classes
def test_parameter_count_matches_the_library_mlp(d_in, width, n_hidden, n_classes):
    assert mlp_param_count(d_in, width, n_hidden, n_classes) == library_count(
        d_in, width, n_hidden, n_classes
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 100), st.integers(2, 12), st.integers(1, 9), st.integers(0, 50_000))
def test_width_for_budget_is_the_widest_that_fits(d_in, n_classes, n_hidden, extra):
    budget = mlp_param_count(d_in, 1, n_hidden, n_classes) + extra  # width 1 always fits
    width = width_for_budget(d_in, n_classes, n_hidden, budget)
    assert mlp_param_count(d_in, width, n_hidden, n_classes) <= budget
    assert mlp_param_count(d_in, width + 1, n_hidden, n_classes) > budget


def test_an_exact_budget_fits_and_too_small_a_budget_is_refused():
    exact = mlp_param_count(20, 50, 3, 5)
    assert width_for_budget(20, 5, 3, exact) == 50
    assert width_for_budget(20, 5, 3, exact - 1) == 49
    with pytest.raises(ValueError, match="budget"):
        width_for_budget(20, 5, 3, mlp_param_count(20, 1, 3, 5) - 1)


def test_init_has_he_variances_in_the_library_layout(key):
    sizes = (300, 400, 400, 10)
    params = init_he_mlp(key, sizes)
    assert [(p["w"].shape, p["b"].shape) for p in params] == [
        ((300, 400), (400,)),
        ((400, 400), (400,)),
        ((400, 10), (10,)),
    ]
    expected = [2 / 300, 2 / 400, 1 / 400]  # He for the ReLU layers, LeCun for the readout
    for layer, variance in zip(params, expected, strict=True):
        np.testing.assert_allclose(float(jnp.var(layer["w"])), variance, rtol=0.05)
        assert not np.any(np.asarray(layer["b"]))
    kernels = np.concatenate([np.asarray(p["w"]).ravel() for p in params])
    assert len(kernels) == n_weights(sizes)
    assert abs(np.corrcoef(kernels[:-1], kernels[1:])[0, 1]) < 0.01  # slices of ONE draw


def test_layer_grad_norms_are_the_kernels_frobenius_norms():
    rng = np.random.default_rng(0)
    grads = [{"w": rng.normal(size=shape), "b": rng.normal(size=shape[1])}
             for shape in [(4, 6), (6, 3)]]  # fmt: skip
    expected = [np.sqrt(np.sum(g["w"] ** 2)) for g in grads]
    np.testing.assert_allclose(layer_grad_norms(grads), expected, rtol=1e-6)


def tiny_data(key, n=64, d=5, n_classes=3):
    x_key, w_key, t_key = jax.random.split(key, 3)
    x = jax.random.normal(x_key, (n, d))
    w = jax.random.normal(w_key, (d, n_classes))
    x_test = jax.random.normal(t_key, (32, d))
    return {
        "x_train": x,
        "y_train": jnp.argmax(x @ w, axis=1),
        "x_test": x_test,
        "y_test": jnp.argmax(x_test @ w, axis=1),
    }


def optax_reference(params, rows, data, lr, n_evals):
    """The same training written as a plain Python loop with optax.adam."""
    optimizer = optax.adam(lr)
    opt_state = optimizer.init(params)
    losses, norms, test_acc = [], [], []
    chunk = len(rows) // n_evals

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(mlp_loss)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, grads

    for t, batch_rows in enumerate(rows):
        x, y = data["x_train"][batch_rows], data["y_train"][batch_rows]
        params, opt_state, loss, grads = step(params, opt_state, x, y)
        losses.append(float(loss))
        norms.append([float(jnp.linalg.norm(g["w"])) for g in grads])
        if (t + 1) % chunk == 0:
            predicted = jnp.argmax(mlp(params, data["x_test"]), axis=1)
            test_acc.append(float(jnp.mean(predicted == data["y_test"])))
    return params, np.array(losses), np.array(norms), np.array(test_acc)


def test_a_run_equals_an_optax_loop(key):
    data = tiny_data(key)
    sizes = (5, 8, 8, 3)
    params = init_he_mlp(jax.random.fold_in(key, 1), sizes)
    rows = jax.random.randint(jax.random.fold_in(key, 2), (12, 16), 0, 64)
    with jax.default_matmul_precision("highest"):
        run = jax.jit(lambda p, r: train_mlp(p, r, data, lr=0.01, n_evals=3))(params, rows)
        final, losses, norms, test_acc = optax_reference(params, rows, data, 0.01, 3)
        init_grads = jax.grad(mlp_loss)(params, data["x_train"], data["y_train"])
    np.testing.assert_allclose(run["train_loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(run["mean_grad_norms"], norms.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(run["test_acc"], test_acc, atol=1e-6)
    np.testing.assert_allclose(run["grad_norms"], layer_grad_norms(init_grads), rtol=1e-5)
    for ours, theirs in zip(jax.tree.leaves(run["params"]), jax.tree.leaves(final), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    train_acc = np.mean(np.argmax(mlp(final, data["x_train"]), 1) == np.asarray(data["y_train"]))
    np.testing.assert_allclose(run["train_acc"], train_acc, atol=1e-6)


def test_the_study_pairs_seeds_across_depths_and_each_run_is_its_own(key):
    data = tiny_data(key)
    results = depth_width_study(
        key, data, depths=(1, 2), budget=200, n_seeds=2, n_steps=8, batch_size=16, n_evals=2
    )
    normals, rows = draw_seeds(
        jax.random.split(key, 2), 64, n_normals=200, n_steps=8, batch_size=16
    )
    assert not np.allclose(normals[0], normals[1])  # seeds differ
    for depth, result in results.items():
        assert result["width"] == width_for_budget(5, 3, depth, 200)
        assert result["n_params"] == mlp_param_count(5, result["width"], depth, 3) <= 200
        assert result["train_loss"].shape == (2, 8) and result["test_acc"].shape == (2, 2)
        assert result["grad_norms"].shape == (2, depth + 1)
        # the vmapped seed 1 is seed 1's normals (a prefix: the net needs fewer) and rows
        alone = jax.jit(train_mlp, static_argnames="n_evals")(
            he_mlp_from_normals(normals[1], result["layer_sizes"]), rows[1], data, lr=1e-3,
            n_evals=2,
        )  # fmt: skip
        np.testing.assert_allclose(
            result["train_loss"][1], alone["train_loss"], rtol=1e-4, atol=1e-6
        )
    # the same seed's first minibatch loss at init differs between depths (different nets)
    assert not np.allclose(results[1]["train_loss"][:, 0], results[2]["train_loss"][:, 0])


def test_the_study_refuses_steps_that_do_not_split_into_evaluations(key):
    with pytest.raises(ValueError, match="multiple"):
        depth_width_study(key, {}, depths=(1,), budget=100, n_seeds=1, n_steps=5, n_evals=2)


def test_steps_to_loss_finds_the_first_window_below_the_threshold():
    losses = np.array([[4.0, 3.0, 2.0, 1.0, 0.5, 0.4], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0]])
    # running means of 2: 3.5, 2.5, 1.5, 0.75, 0.45 -> first <= 1.0 covers steps 3..4
    np.testing.assert_array_equal(steps_to_loss(losses, 1.0, window=2), [4, 6])
    np.testing.assert_array_equal(steps_to_loss(losses[0], 10.0, window=3), 2)
