"""The vmapped sweep against a Python loop of single runs written with optax (lane by lane);
a diverging run is flagged and leaves the others alone; rows and the run grid."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.data import epoch_permutation
from jlr.models.mlp import init_mlp, mlp
from jlr.optim import make_optimizer
from jlr.projects.optimizer_study.tasks import classification_task, quadratic_task
from jlr.train.sweep import make_sweep, make_sweep_evaluate, run_grid, task_batch_rows

OPTAX = {
    "nesterov": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "adamw": lambda lr: optax.adamw(lr, weight_decay=1e-2),
}


def tiny_classification_task(key):
    """16-dim inputs, 3 classes, 40 train / 20 test examples: a task that compiles in a blink."""
    x_key, y_key = jax.random.split(key)
    x = jax.random.normal(x_key, (60, 16))
    y = jax.random.randint(y_key, (60,), 0, 3)
    data = {"x_train": x[:40], "y_train": y[:40], "x_test": x[40:], "y_test": y[40:]}
    return classification_task("tiny", data, lambda k: init_mlp(k, (16, 8, 3)), mlp)


def optax_single_runs(task, optimizer_name, params_per_run, lrs, rows):
    """The loop a learner writes first, with optax: each run alone, one jitted step at a time."""
    grad_fn = jax.jit(jax.value_and_grad(task.loss))
    finals, losses = [], []
    for r, lr in enumerate(np.asarray(lrs)):
        optimizer = OPTAX[optimizer_name](float(lr))
        params = jax.tree.map(lambda leaf, r=r: leaf[r], params_per_run)
        state, run_losses = optimizer.init(params), []
        for t in range(rows.shape[0]):
            loss, grads = grad_fn(params, task.batch(task.data, rows[t, r]))
            updates, state = optimizer.update(grads, state, params)
            params = optax.apply_updates(params, updates)
            run_losses.append(loss)
        finals.append(params)
        losses.append(jnp.stack(run_losses))
    return finals, jnp.stack(losses, axis=1)  # (T, R)


@pytest.mark.parametrize("optimizer", ["nesterov", "adamw"])
@pytest.mark.parametrize("task_name", ["quadratic", "tiny"])
def test_vmapped_sweep_equals_a_loop_of_single_optax_runs(key, optimizer, task_name):
    task_key, init_key = jax.random.split(key)
    if task_name == "quadratic":
        task = quadratic_task(task_key, dim=4, condition_number=10.0)
    else:
        task = tiny_classification_task(task_key)
    lr_index, seed_index = run_grid(2, 2)  # R = 4 runs: 2 rates x 2 seeds
    lrs = jnp.array([0.01, 0.1])[lr_index]
    seed_params = jax.vmap(task.init_params)(jax.random.split(init_key, 2))
    params = jax.tree.map(lambda leaf: leaf[seed_index], seed_params)  # (R, ...)
    seed_rows = np.stack([task_batch_rows(task, 6, seed=s, batch_size=8) for s in range(2)])
    rows = jnp.asarray(seed_rows[np.asarray(seed_index)].swapaxes(0, 1))  # (T=6, R, batch)

    sweep = make_sweep(task, lambda lr: make_optimizer(optimizer, lr))
    states, losses = sweep.train(sweep.init(params, lrs), lrs, rows, task.data)

    finals, loop_losses = optax_single_runs(task, optimizer, params, lrs, rows)
    np.testing.assert_allclose(losses, loop_losses, rtol=1e-5, atol=1e-6)
    for r, final in enumerate(finals):
        for vmapped, single in zip(
            jax.tree.leaves(states.params), jax.tree.leaves(final), strict=True
        ):
            np.testing.assert_allclose(vmapped[r], single, rtol=1e-5, atol=1e-6)
    assert not np.asarray(states.diverged).any()


def test_a_diverging_run_is_flagged_and_leaves_the_others_untouched(key):
    """GD on a quadratic with lambda_max = 1 blows up for lr > 2: lr = 50 overflows to NaN."""
    task_key, init_key = jax.random.split(key)
    task = quadratic_task(task_key, dim=4, condition_number=10.0)
    lrs = jnp.array([0.5, 50.0, 1.0])
    params = jax.vmap(task.init_params)(jax.random.split(init_key, 3))
    sweep = make_sweep(task, lambda lr: make_optimizer("sgd", lr))
    rows = jnp.zeros((60, 3, 0), jnp.int32)  # a full-batch task reads no rows
    states, losses = sweep.train(sweep.init(params, lrs), lrs, rows, task.data)
    np.testing.assert_array_equal(states.diverged, [False, True, False])
    assert not np.isfinite(losses[-1, 1])
    assert np.isfinite(losses[:, [0, 2]]).all()
    evaluated = make_sweep_evaluate(task)(states.params, task.data)["train_loss"]
    assert evaluated[0] < 1e-2 and evaluated[2] < 1e-2  # the stable runs still converge
    alone = make_sweep(task, lambda lr: make_optimizer("sgd", lr))  # run 0 without the others
    first = jax.tree.map(lambda leaf: leaf[:1], params)
    alone_states, _ = alone.train(alone.init(first, lrs[:1]), lrs[:1], rows[:, :1], task.data)
    # Equal up to rounding, not bitwise: a GPU may sum a batch of 1 and a batch of 3 runs in
    # another order (measured: 1 ulp on an H200). A NaN leaking in would make it NaN.
    np.testing.assert_allclose(
        alone_states.params["x"][0], states.params["x"][0], rtol=1e-5, atol=1e-6
    )


def test_run_grid_is_lr_major():
    lr_index, seed_index = run_grid(3, 2)
    np.testing.assert_array_equal(lr_index, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(seed_index, [0, 1, 0, 1, 0, 1])


def test_task_batch_rows_are_epoch_permutations_and_empty_for_full_batch(key):
    """Step t reads slice t mod S of epoch t // S's permutation (S = n // B, last rows dropped)."""
    task = tiny_classification_task(key)  # 40 training examples, batch 8: 5 steps an epoch
    rows = task_batch_rows(task, 12, seed=3, batch_size=8)
    assert rows.shape == (12, 8) and rows.dtype == np.int32
    expected = np.concatenate([epoch_permutation(3, e, 40) for e in range(3)]).reshape(-1, 8)
    np.testing.assert_array_equal(rows, expected[:12])
    quadratic = quadratic_task(key, dim=3)
    assert task_batch_rows(quadratic, 5, seed=0, batch_size=8).shape == (5, 0)
