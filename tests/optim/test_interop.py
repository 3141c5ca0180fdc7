"""jlr optimizers and optax optimizers are interchangeable: same (init, update) shape."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.optim import adamw, rmsprop, sgd
from jlr.train import init_train_state, make_multi_step, make_train_step


def quadratic_loss(params, batch, key):
    """Mean squared error of a linear model; key unused (no dropout)."""
    prediction = batch["x"] @ params["w"] + params["b"]
    return jnp.mean((prediction - batch["y"]) ** 2), {}


def regression_data(key, n=64, d=3):
    x_key, w_key = jax.random.split(key)
    x = jax.random.normal(x_key, (n, d))
    return {"x": x, "y": x @ jax.random.normal(w_key, (d,)) + 0.5}


def test_jlr_optimizer_inside_optax_chain(key):
    """optax.chain(clip, jlr.sgd) equals optax.chain(clip, optax.sgd) step by step."""
    data = regression_data(key)
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    ours = optax.chain(optax.clip_by_global_norm(1.0), sgd(0.1, momentum=0.9))
    theirs = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9))
    ours_params, theirs_params = params, params
    ours_state, theirs_state = ours.init(params), theirs.init(params)
    grad = jax.grad(lambda p: quadratic_loss(p, data, None)[0])

    @jax.jit
    def step(carry, _):
        (ours_params, ours_state), (theirs_params, theirs_state) = carry
        updates, ours_state = ours.update(grad(ours_params), ours_state, ours_params)
        ours_params = optax.apply_updates(ours_params, updates)
        updates, theirs_state = theirs.update(grad(theirs_params), theirs_state, theirs_params)
        theirs_params = optax.apply_updates(theirs_params, updates)
        return ((ours_params, ours_state), (theirs_params, theirs_state)), None

    carry = ((ours_params, ours_state), (theirs_params, theirs_state))
    carry, _ = jax.lax.scan(step, carry, None, length=30)
    (ours_params, _), (theirs_params, _) = carry
    for a, b in zip(jax.tree.leaves(ours_params), jax.tree.leaves(theirs_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _train(optimizer, data, key, n_steps=150):
    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state = init_train_state(params, optimizer, key)
    multi_step = jax.jit(make_multi_step(make_train_step(quadratic_loss, optimizer)))
    indices = jnp.tile(jnp.arange(64), (n_steps, 1))  # full batch every step
    state, metrics = multi_step(state, data, indices)
    return state, metrics


def test_optax_optimizer_in_jlr_train_step_matches_jlr_optimizer(key):
    data_key, train_key = jax.random.split(key)
    data = regression_data(data_key)
    ours, ours_metrics = _train(adamw(0.05, weight_decay=1e-3), data, train_key)
    theirs, _ = _train(optax.adamw(0.05, weight_decay=1e-3), data, train_key)
    for a, b in zip(jax.tree.leaves(ours.params), jax.tree.leaves(theirs.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert float(ours_metrics["loss"][-1]) < 1e-2 * float(ours_metrics["loss"][0])


def test_every_jlr_optimizer_trains_in_the_jlr_loop(key):
    data_key, train_key = jax.random.split(key)
    data = regression_data(data_key)
    for optimizer in (sgd(0.1), sgd(0.05, momentum=0.9, nesterov=True), rmsprop(0.01)):
        state, metrics = _train(optimizer, data, train_key)
        assert bool(jnp.all(metrics["finite"]))
        assert float(metrics["loss"][-1]) < 0.05 * float(metrics["loss"][0])
