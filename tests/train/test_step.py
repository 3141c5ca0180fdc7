"""The train step against closed-form gradients and optax by hand; bad steps change nothing.

The regression loss L(w) = mean((X w - y)^2) has the gradient 2/n X^T (X w - y), the
oracle for what the step computes; optax applied by hand is the oracle for how the step
threads the optimizer state.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.optim import sgd
from jlr.train import init_train_state, keep_last_good, make_multi_step, make_train_step

MOMENTUM = 0.5  # of the running mean in `centered_loss`


def quadratic_loss(params, batch, key):
    del key
    residual = batch["x"] @ params["w"] - batch["y"]
    return jnp.mean(residual**2), {}


def quadratic_grad(w, x, y):
    """The closed-form gradient of mean((x w - y)^2): 2/n x^T (x w - y)."""
    return 2.0 / len(y) * x.T @ (x @ w - y)


def centered_loss(params, model_state, batch, key):
    """Regression on x centred by its batch mean, like batch norm; the model state keeps a
    running mean of the batch means and a step count (an integer leaf)."""
    del key
    batch_mean = jnp.mean(batch["x"], axis=0)  # (d,)
    residual = (batch["x"] - batch_mean) @ params["w"] - batch["y"]
    mean = MOMENTUM * model_state["mean"] + (1 - MOMENTUM) * batch_mean
    return jnp.mean(residual**2), ({}, {"mean": mean, "count": model_state["count"] + 1})


def empty_statistics(d):
    return {"mean": jnp.zeros(d), "count": jnp.zeros((), jnp.int32)}


def good_and_bad_data(key):
    """Two datasets of 4 rows: the second has an Inf target in row 2."""
    good = {"x": jax.random.normal(key, (4, 3)), "y": jnp.arange(4.0)}
    return good, {"x": good["x"], "y": good["y"].at[2].set(jnp.inf)}


def regression_batch(key, n=8, d=3):
    x_key, y_key = jax.random.split(key)
    return {"x": jax.random.normal(x_key, (n, d)), "y": jax.random.normal(y_key, (n,))}


def test_step_matches_closed_form_gradient_descent(key):
    batch_key, w_key = jax.random.split(key)
    batch = regression_batch(batch_key)
    w = jax.random.normal(w_key, (3,))
    state = init_train_state({"w": w}, sgd(0.1), key)
    new_state, metrics = jax.jit(make_train_step(quadratic_loss, sgd(0.1)))(state, batch)
    grad = quadratic_grad(w, batch["x"], batch["y"])
    np.testing.assert_allclose(new_state.params["w"], w - 0.1 * grad, rtol=1e-5, atol=1e-6)
    residual = batch["x"] @ w - batch["y"]
    np.testing.assert_allclose(metrics["loss"], np.mean(residual**2), rtol=1e-5)
    np.testing.assert_allclose(metrics["grad_norm"], np.linalg.norm(grad), rtol=1e-5)
    assert int(new_state.step) == 1 and bool(metrics["finite"])
    assert new_state.model_state == {}  # a loss without model state leaves it empty


def test_steps_thread_the_optimizer_state_like_optax_by_hand(key):
    """Three Adam steps: the step must carry Adam's moments from one call to the next."""
    batches = [regression_batch(k) for k in jax.random.split(key, 3)]
    optimizer = optax.adam(0.1)
    w = jnp.ones(3)
    state, step = (
        init_train_state({"w": w}, optimizer, key),
        make_train_step(quadratic_loss, optimizer),
    )
    opt_state = optimizer.init(w)
    for batch in batches:
        state, _ = step(state, batch)
        updates, opt_state = optimizer.update(quadratic_grad(w, batch["x"], batch["y"]), opt_state)
        w = optax.apply_updates(w, updates)
    np.testing.assert_allclose(state.params["w"], w, rtol=1e-5, atol=1e-6)


def test_nan_step_leaves_state_unchanged(key):
    batch = {"x": jnp.ones((4, 3)), "y": jnp.array([1.0, jnp.nan, 0.0, 0.0])}
    state = init_train_state({"w": jnp.ones(3)}, optax.sgd(0.1), key)
    new_state, metrics = make_train_step(quadratic_loss, optax.sgd(0.1))(state, batch)
    assert not bool(metrics["finite"])
    np.testing.assert_array_equal(new_state.params["w"], state.params["w"])
    assert int(new_state.step) == 0


def test_a_non_finite_gradient_under_a_finite_loss_is_a_bad_step(key):
    """loss = sum(sqrt(|w|)) is 0 at w = 0 but its gradient is infinite there."""
    state = init_train_state({"w": jnp.array([0.0, 1.0])}, sgd(0.1), key)
    step = make_train_step(lambda p, b, k: (jnp.sum(jnp.sqrt(jnp.abs(p["w"]))), {}), sgd(0.1))
    new_state, metrics = jax.jit(step)(state, None)
    assert np.isfinite(metrics["loss"]) and not bool(metrics["finite"])
    np.testing.assert_array_equal(new_state.params["w"], state.params["w"])


def test_a_gradient_whose_norm_overflows_float32_is_a_bad_step(key):
    """Every gradient is finite (3e19) but |g|^2 overflows: counted as a blow-up (documented)."""
    state = init_train_state({"w": jnp.ones(2)}, sgd(0.1), key)
    step = make_train_step(lambda p, b, k: (3e19 * jnp.sum(p["w"]), {}), sgd(0.1))
    new_state, metrics = jax.jit(step)(state, None)
    assert np.isfinite(metrics["loss"]) and not bool(metrics["finite"])
    assert int(new_state.step) == 0


def test_multi_step_equals_single_steps_and_stops_at_first_bad_step(key):
    data = {"x": jax.random.normal(key, (6, 3)), "y": jnp.arange(6.0).at[4].set(jnp.inf)}
    indices = jnp.array([[0, 1], [2, 3], [4, 5], [0, 1]])  # step 2 sees the Inf
    step = make_train_step(quadratic_loss, sgd(0.05))
    state = init_train_state({"w": jnp.zeros(3)}, sgd(0.05), key)
    multi_state, metrics = jax.jit(make_multi_step(step))(state, data, indices)
    np.testing.assert_array_equal(metrics["finite"], [True, True, False, False])
    single = state
    for row in indices[:2]:
        single, _ = step(single, {"x": data["x"][row], "y": data["y"][row]})
    np.testing.assert_allclose(multi_state.params["w"], single.params["w"], rtol=1e-6)
    assert int(multi_state.step) == 2
    assert np.isnan(metrics["loss"][3])  # skipped after the bad step: no loss to report


def test_vmapped_multi_step_freezes_only_the_run_that_went_bad(key):
    """Under vmap the guard's branches become selects: one run's Inf leaves the other alone."""
    good, bad = good_and_bad_data(key)
    data = jax.tree.map(lambda a, b: jnp.stack([a, b]), good, bad)
    indices = jnp.array([[0, 1], [2, 3], [0, 1]])
    step = make_train_step(quadratic_loss, sgd(0.05))
    state = init_train_state({"w": jnp.zeros(3)}, sgd(0.05), key)
    runs = jax.tree.map(lambda a: jnp.stack([a, a]), state)
    multi = jax.jit(jax.vmap(make_multi_step(step), in_axes=(0, 0, None)))
    multi_state, metrics = multi(runs, data, indices)
    np.testing.assert_array_equal(metrics["finite"], [[True] * 3, [True, False, False]])
    alone, _ = jax.jit(make_multi_step(step))(state, good, indices)
    np.testing.assert_allclose(multi_state.params["w"][0], alone.params["w"], rtol=1e-6)
    assert [int(s) for s in multi_state.step] == [3, 1]


def test_stateful_step_updates_model_state_inside_jit(key):
    batch_key, w_key = jax.random.split(key)
    batch = regression_batch(batch_key)
    w, start = jax.random.normal(w_key, (3,)), empty_statistics(3)
    state = init_train_state({"w": w}, sgd(0.1), key, model_state=start)
    step = jax.jit(make_train_step(centered_loss, sgd(0.1), has_state=True))
    new_state, metrics = step(state, batch)
    batch_mean = np.mean(batch["x"], axis=0)
    np.testing.assert_allclose(
        new_state.model_state["mean"], (1 - MOMENTUM) * batch_mean, rtol=1e-6
    )
    assert int(new_state.model_state["count"]) == 1 and bool(metrics["finite"])
    grad = quadratic_grad(w, batch["x"] - batch_mean, batch["y"])  # centring is not trained
    np.testing.assert_allclose(new_state.params["w"], w - 0.1 * grad, rtol=1e-5, atol=1e-6)
    again, _ = step(new_state, batch)  # the second step starts from the first one's mean
    np.testing.assert_allclose(again.model_state["mean"], (1 - MOMENTUM**2) * batch_mean, rtol=1e-6)


def test_bad_step_rolls_back_the_model_state(key):
    """A NaN target spoils the loss, not the new mean: the mean must still be rolled back."""
    state = init_train_state(
        {"w": jnp.ones(3)}, sgd(0.1), key, model_state={"mean": jnp.ones(3), "count": jnp.array(4)}
    )
    batch = regression_batch(key)
    batch["y"] = batch["y"].at[0].set(jnp.nan)
    new_state, metrics = make_train_step(centered_loss, sgd(0.1), has_state=True)(state, batch)
    assert not bool(metrics["finite"])
    np.testing.assert_array_equal(new_state.model_state["mean"], jnp.ones(3))
    assert int(new_state.model_state["count"]) == 4 and int(new_state.step) == 0


def test_non_finite_model_state_alone_is_a_bad_step(key):
    def overflowing_statistic(params, model_state, batch, key):
        loss, aux = quadratic_loss(params, batch, key)  # finite loss and gradients
        return loss, (aux, {"mean": model_state["mean"] + jnp.inf})

    state = init_train_state({"w": jnp.ones(3)}, sgd(0.1), key, model_state={"mean": jnp.zeros(3)})
    new_state, metrics = make_train_step(overflowing_statistic, sgd(0.1), has_state=True)(
        state, regression_batch(key)
    )
    assert not bool(metrics["finite"])
    np.testing.assert_array_equal(new_state.params["w"], jnp.ones(3))
    np.testing.assert_array_equal(new_state.model_state["mean"], jnp.zeros(3))


def test_multi_step_rolls_back_model_state_from_the_first_bad_step(key):
    data = regression_batch(key, n=6)
    data["x"] = data["x"].at[4, 0].set(jnp.nan)  # step 2 sees it: a NaN batch mean
    indices = jnp.array([[0, 1], [2, 3], [4, 5], [0, 1]])
    step = make_train_step(centered_loss, sgd(0.05), has_state=True)
    state = init_train_state({"w": jnp.zeros(3)}, sgd(0.05), key, model_state=empty_statistics(3))
    multi_state, metrics = jax.jit(make_multi_step(step))(state, data, indices)
    np.testing.assert_array_equal(metrics["finite"], [True, True, False, False])
    expected_mean = (1 - MOMENTUM) * (
        MOMENTUM * data["x"][0:2].mean(0) + data["x"][2:4].mean(0)
    )  # two good steps of m <- a m + (1 - a) mean(x)
    np.testing.assert_allclose(multi_state.model_state["mean"], expected_mean, rtol=1e-6)
    assert int(multi_state.model_state["count"]) == 2 and int(multi_state.step) == 2


def test_keep_last_good_makes_a_seeds_step_stop_every_seed_at_the_first_bad_step(key):
    """A step vmapped over two seeds moves the good seed even when the other goes bad;
    wrapped in keep_last_good, the multi-step returns both at their last good state."""
    one_step = make_train_step(quadratic_loss, sgd(0.05))

    def seeds_step(state, batch):
        new, metrics = jax.vmap(one_step, in_axes=(0, 0))(state, batch)
        finite = jnp.all(metrics["finite"])
        return keep_last_good(finite, new, state), {
            "loss": jnp.mean(metrics["loss"]),
            "finite": finite,
        }

    good, bad = good_and_bad_data(key)
    data = jax.tree.map(lambda a, b: jnp.stack([a, b], axis=1), good, bad)  # (row, seed, ...)

    def batch_of(data, rows):  # (seed, row, ...)
        return jax.tree.map(lambda a: jnp.swapaxes(a[rows], 0, 1), data)

    state = init_train_state({"w": jnp.zeros(3)}, sgd(0.05), key)
    seeds = jax.tree.map(lambda a: jnp.stack([a, a]), state)
    indices = jnp.array([[0, 1], [2, 3], [0, 1]])  # the bad seed sees its Inf at step 1
    final, metrics = jax.jit(make_multi_step(seeds_step, batch_of))(seeds, data, indices)
    np.testing.assert_array_equal(metrics["finite"], [True, False, False])
    after_one, _ = jax.vmap(one_step)(seeds, batch_of(data, indices[0]))  # both seeds good
    np.testing.assert_allclose(final.params["w"], after_one.params["w"], rtol=1e-6)
    assert [int(s) for s in final.step] == [1, 1]
