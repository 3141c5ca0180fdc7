"""The train step is pure, matches a hand-written step, and refuses non-finite updates."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.optim import sgd
from jlr.train import init_train_state, make_multi_step, make_train_step


def quadratic_loss(params, batch, key):
    del key
    residual = batch["x"] @ params["w"] - batch["y"]
    return jnp.mean(residual**2), {}


def test_step_matches_hand_written_gradient_descent(key):
    x_key, y_key, w_key = jax.random.split(key, 3)
    batch = {"x": jax.random.normal(x_key, (8, 3)), "y": jax.random.normal(y_key, (8,))}
    params = {"w": jax.random.normal(w_key, (3,))}
    state = init_train_state(params, sgd(0.1), key)
    new_state, metrics = jax.jit(make_train_step(quadratic_loss, sgd(0.1)))(state, batch)
    expected = params["w"] - 0.1 * jax.grad(lambda w: quadratic_loss({"w": w}, batch, None)[0])(
        params["w"]
    )
    np.testing.assert_allclose(new_state.params["w"], expected, rtol=1e-6)
    assert int(new_state.step) == 1 and bool(metrics["finite"])
    # pure: the input state is untouched and a second call gives the same result
    again, _ = jax.jit(make_train_step(quadratic_loss, sgd(0.1)))(state, batch)
    np.testing.assert_array_equal(again.params["w"], new_state.params["w"])


def test_nan_step_leaves_state_unchanged(key):
    batch = {"x": jnp.ones((4, 3)), "y": jnp.array([1.0, jnp.nan, 0.0, 0.0])}
    state = init_train_state({"w": jnp.ones(3)}, optax.sgd(0.1), key)
    new_state, metrics = make_train_step(quadratic_loss, optax.sgd(0.1))(state, batch)
    assert not bool(metrics["finite"])
    np.testing.assert_array_equal(new_state.params["w"], state.params["w"])
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
