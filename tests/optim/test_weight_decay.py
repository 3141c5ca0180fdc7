"""Weight decay two ways: an L2 penalty in the loss (jlr.nn.regularization.l2_penalty) and
decoupled decay (jlr.optim.adamw). They coincide for SGD and differ for Adam; each
trajectory also follows optax (add_decayed_weights before the optimizer = L2; optax.adamw).

The learning-rate scaling: decoupled decay with coefficient wd at learning rate lr subtracts
lr * wd * w per step (optax's and jlr's convention), which is lr times the L2 gradient
wd * w of the penalty wd / 2 ||w||^2. So the same wd means the same SGD step, with no
division by lr. (Loshchilov & Hutter's paper writes the decay as eta_t * wd * w, with eta_t
a schedule multiplier rather than the learning rate: there the equivalent L2 coefficient
is wd / lr.)
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.nn.regularization import l2_penalty
from jlr.optim import adam, adamw, apply_updates, sgd

LR, WD, N_STEPS = 0.05, 0.1, 30


def regression_problem(key):
    """Least squares whose features differ in scale by 10x, so Adam's per-weight scaling
    (and with it the effective L2 decay) differs between the weights."""
    x_key, w_key, init_key = jax.random.split(key, 3)
    x = jax.random.normal(x_key, (32, 3)) * jnp.array([0.3, 1.0, 3.0])  # (32, 3)
    y = x @ jax.random.normal(w_key, (3,)) + 1.0  # (32,)

    def data_loss(params):
        return jnp.mean((x @ params["w"] + params["b"] - y) ** 2) / 2

    params = {"w": jax.random.normal(init_key, (3,)), "b": jnp.zeros(())}
    return data_loss, params


def trajectory(loss, optimizer, params, n_steps=N_STEPS):
    """Params after each of n_steps full-batch steps: leaves (n_steps, *leaf.shape)."""

    def step(carry, _):
        params, opt_state = carry
        updates, opt_state = optimizer.update(jax.grad(loss)(params), opt_state, params)
        params = apply_updates(params, updates)
        return (params, opt_state), params

    run = jax.jit(
        lambda params: jax.lax.scan(step, (params, optimizer.init(params)), None, n_steps)
    )
    return run(params)[1]


def with_l2(data_loss, weight_decay=WD):
    return lambda params: data_loss(params) + weight_decay * l2_penalty(params)


def assert_trees_close(a, b, rtol, atol):
    jax.tree.map(lambda u, v: np.testing.assert_allclose(u, v, rtol=rtol, atol=atol), a, b)


def max_difference(a, b):
    gaps = jax.tree.map(lambda u, v: jnp.max(jnp.abs(u - v)), a, b)  # one per leaf
    return max(float(gap) for gap in jax.tree.leaves(gaps))


def test_l2_penalty_is_half_the_squared_norm_and_its_gradient_is_params(key):
    params = {"w": jax.random.normal(key, (3, 2)), "layers": [jnp.arange(3.0)]}
    expected = 0.5 * (np.sum(np.asarray(params["w"]) ** 2) + np.sum(np.arange(3.0) ** 2))
    np.testing.assert_allclose(l2_penalty(params), expected, rtol=1e-6)
    assert_trees_close(jax.grad(l2_penalty)(params), params, rtol=1e-6, atol=0)
    assert float(l2_penalty({})) == 0.0


def test_for_sgd_l2_in_the_loss_equals_decoupled_decay(key):
    data_loss, params = regression_problem(key)
    coupled = trajectory(with_l2(data_loss), sgd(LR), params)

    def decoupled_step(carry, _):  # w <- w - lr grad L(w) - lr wd w
        params = jax.tree.map(
            lambda w, g: w - LR * g - LR * WD * w, carry, jax.grad(data_loss)(carry)
        )
        return params, params

    decoupled = jax.lax.scan(decoupled_step, params, None, N_STEPS)[1]
    assert_trees_close(coupled, decoupled, rtol=1e-5, atol=1e-6)
    oracle = optax.chain(optax.add_decayed_weights(WD), optax.sgd(LR))
    assert_trees_close(coupled, trajectory(data_loss, oracle, params), rtol=1e-5, atol=1e-6)
    # a stable run (the loss falls), on which the decay matters: without it the path differs
    final = jax.tree.map(lambda leaf: leaf[-1], coupled)
    assert data_loss(final) < data_loss(params) / 5
    assert max_difference(coupled, trajectory(data_loss, sgd(LR), params)) > 0.02


def test_for_adam_l2_in_the_loss_differs_from_adamw(key):
    data_loss, params = regression_problem(key)
    adam_l2 = trajectory(with_l2(data_loss), adam(LR), params)
    adam_w = trajectory(data_loss, adamw(LR, weight_decay=WD), params)
    # each follows its optax counterpart to float tolerance ...
    optax_adam_l2 = optax.chain(optax.add_decayed_weights(WD), optax.adam(LR))
    assert_trees_close(adam_l2, trajectory(data_loss, optax_adam_l2, params), 1e-5, 1e-6)
    optax_adamw = optax.adamw(LR, weight_decay=WD)
    assert_trees_close(adam_w, trajectory(data_loss, optax_adamw, params), 1e-5, 1e-6)
    # ... and they part by far more than that: at least 0.01 (1e4 times the tolerance)
    assert max_difference(adam_l2, adam_w) > 1e-2


def test_an_unused_weight_decays_geometrically_with_adamw_and_linearly_with_adam_l2():
    """A weight the data loss ignores. Its only gradient is the decay term wd * w, which
    Adam divides by its own root mean square: the step is about lr whatever wd is. AdamW
    multiplies the weight by (1 - lr wd) per step; SGD with L2 does the same."""
    lr, n_steps = 0.01, 50
    params = {"unused": jnp.ones(())}

    def data_loss(params):
        return jnp.zeros(())

    adamw_path = trajectory(data_loss, adamw(lr, weight_decay=WD), params, n_steps)
    sgd_l2_path = trajectory(with_l2(data_loss), sgd(lr), params, n_steps)
    geometric = (1 - lr * WD) ** np.arange(1, n_steps + 1)  # 0.999^t
    np.testing.assert_allclose(adamw_path["unused"], geometric, rtol=1e-5)
    np.testing.assert_allclose(sgd_l2_path["unused"], geometric, rtol=1e-5)
    adam_l2_path = trajectory(with_l2(data_loss), adam(lr), params, n_steps)
    shrunk_by = 1.0 - np.asarray(adam_l2_path["unused"])  # (n_steps,)
    steps = lr * np.arange(1, n_steps + 1)
    # each step removes between 0.9 lr and lr: about 0.5 after 50 steps against AdamW's 0.05
    assert np.all(shrunk_by <= steps * (1 + 1e-5)) and np.all(shrunk_by >= 0.9 * steps)
    assert float(adamw_path["unused"][-1] - adam_l2_path["unused"][-1]) > 0.4
