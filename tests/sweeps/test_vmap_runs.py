"""The vmapped sweep is the same computation as a Python loop of single runs, lane by lane."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.models.mlp import init_mlp, mlp
from jlr.sweeps import make_optimizer, make_run_fns, make_sweep, make_sweep_evaluate, run_grid
from jlr.sweeps.tasks import classification_task, minibatch_rows, quadratic_task


def tiny_classification_task(key):
    """16-dim inputs, 3 classes, 40 train / 20 test examples: a task that compiles in a blink."""
    x_key, y_key = jax.random.split(key)
    x = jax.random.normal(x_key, (60, 16))
    y = jax.random.randint(y_key, (60,), 0, 3)
    data = {"x_train": x[:40], "y_train": y[:40], "x_test": x[40:], "y_test": y[40:]}
    return classification_task("tiny", data, lambda k: init_mlp(k, (16, 8, 3)), mlp)


def single_runs(task, optimizer_fn, params_per_run, lrs, rows):
    """The loop a learner writes first: for each run, a jitted step called once per step."""
    init_run, run_step = make_run_fns(task, optimizer_fn)
    step = jax.jit(run_step)
    finals, losses = [], []
    for r, lr in enumerate(lrs):
        state = init_run(jax.tree.map(lambda leaf, r=r: leaf[r], params_per_run), lr)
        run_losses = []
        for t in range(rows.shape[0]):
            state, loss = step(state, lr, rows[t, r], task.data)
            run_losses.append(loss)
        finals.append(state)
        losses.append(jnp.stack(run_losses))
    return finals, jnp.stack(losses, axis=1)  # (T, R)


@pytest.mark.parametrize("optimizer", ["nesterov", "adamw"])
@pytest.mark.parametrize("task_name", ["quadratic", "tiny"])
def test_vmapped_sweep_equals_a_loop_of_single_runs(key, optimizer, task_name):
    task_key, init_key = jax.random.split(key)
    if task_name == "quadratic":
        task = quadratic_task(task_key, dim=4, condition_number=10.0)
    else:
        task = tiny_classification_task(task_key)
    lr_index, seed_index = run_grid(2, 2)  # R = 4 runs: 2 rates x 2 seeds
    lrs = jnp.array([0.01, 0.1])[lr_index]
    seed_params = jax.vmap(task.init_params)(jax.random.split(init_key, 2))
    params = jax.tree.map(lambda leaf: leaf[seed_index], seed_params)  # (R, ...)
    rows = np.stack([minibatch_rows(s, 6, task.n_train, 8) for s in range(2)])[
        np.asarray(seed_index)
    ]
    rows = jnp.asarray(rows.swapaxes(0, 1))  # (T=6, R, batch)
    optimizer_fn = functools.partial(make_optimizer, optimizer)

    sweep = make_sweep(task, optimizer_fn)
    states, losses = sweep.train(sweep.init(params, lrs), lrs, rows, task.data)

    finals, loop_losses = single_runs(task, optimizer_fn, params, lrs, rows)
    np.testing.assert_allclose(losses, loop_losses, rtol=1e-5, atol=1e-6)
    for r, final in enumerate(finals):
        for vmapped, single in zip(
            jax.tree.leaves(states.params), jax.tree.leaves(final.params), strict=True
        ):
            np.testing.assert_allclose(vmapped[r], single, rtol=1e-5, atol=1e-6)
    assert not np.asarray(states.diverged).any()


def test_a_diverging_run_is_flagged_and_leaves_the_others_untouched(key):
    """GD on a quadratic with lambda_max = 1 blows up for lr > 2: lr = 50 overflows to NaN."""
    task_key, init_key = jax.random.split(key)
    task = quadratic_task(task_key, dim=4, condition_number=10.0)
    lrs = jnp.array([0.5, 50.0, 1.0])
    params = jax.vmap(task.init_params)(jax.random.split(init_key, 3))
    sweep = make_sweep(task, functools.partial(make_optimizer, "sgd"))
    rows = jnp.zeros((60, 3, 0), jnp.int32)  # a full-batch task reads no rows
    states, losses = sweep.train(sweep.init(params, lrs), lrs, rows, task.data)
    np.testing.assert_array_equal(states.diverged, [False, True, False])
    assert not np.isfinite(losses[-1, 1])
    assert np.isfinite(losses[:, [0, 2]]).all()
    evaluated = make_sweep_evaluate(task)(states.params, task.data)["train_loss"]
    assert evaluated[0] < 1e-2 and evaluated[2] < 1e-2  # the stable runs still converge
