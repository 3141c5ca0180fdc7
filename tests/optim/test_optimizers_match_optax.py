"""The from-scratch optimizers follow optax step by step on the same trajectory."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.optim import adam, adamw, apply_updates, chain, sgd


def random_tree(key):
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "dense": {"w": jax.random.normal(k1, (4, 3)), "b": jax.random.normal(k2, (3,))},
        "scale": [jax.random.normal(k3, ())],
    }


CASES = {
    "sgd": (lambda: sgd(0.05), lambda: optax.sgd(0.05)),
    "heavy_ball": (lambda: sgd(0.05, momentum=0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    "nesterov": (
        lambda: sgd(0.05, momentum=0.9, nesterov=True),
        lambda: optax.sgd(0.05, momentum=0.9, nesterov=True),
    ),
    "adam": (lambda: adam(1e-2), lambda: optax.adam(1e-2)),
    "adamw": (lambda: adamw(1e-2, weight_decay=0.1), lambda: optax.adamw(1e-2, weight_decay=0.1)),
    "adam_schedule": (
        lambda: adam(optax.cosine_decay_schedule(1e-2, 100)),
        lambda: optax.adam(optax.cosine_decay_schedule(1e-2, 100)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_optax_for_100_steps(name, key, float64):
    """In float64, so only a difference in the math (not in rounding order) can fail it."""
    ours, theirs = (make() for make in CASES[name])
    params_key, grads_key = jax.random.split(key)
    ours_params = theirs_params = random_tree(params_key)
    ours_state, theirs_state = ours.init(ours_params), theirs.init(theirs_params)
    for step in range(100):
        # gradients of a fixed quadratic plus noise: depends on params, so errors would compound
        noise = random_tree(jax.random.fold_in(grads_key, step))
        grads = jax.tree.map(lambda p, n: p + 0.1 * n, ours_params, noise)
        updates, ours_state = ours.update(grads, ours_state, ours_params)
        ours_params = apply_updates(ours_params, updates)
        updates, theirs_state = theirs.update(grads, theirs_state, theirs_params)
        theirs_params = optax.apply_updates(theirs_params, updates)
    for a, b in zip(jax.tree.leaves(ours_params), jax.tree.leaves(theirs_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_adam_without_bias_correction_takes_smaller_first_steps():
    params = {"x": jnp.array(1.0)}
    grads = {"x": jnp.array(1.0)}
    corrected, uncorrected = adam(0.1), adam(0.1, bias_correction=False)
    step_c, _ = corrected.update(grads, corrected.init(params), params)
    step_u, _ = uncorrected.update(grads, uncorrected.init(params), params)
    # corrected: m_hat = v_hat = 1 -> step ~ lr; uncorrected: 0.1 / sqrt(0.001) ~ 3.16 lr
    np.testing.assert_allclose(step_c["x"], -0.1, rtol=1e-5)
    np.testing.assert_allclose(step_u["x"], -0.1 * 0.1 / np.sqrt(0.001), rtol=1e-4)


def test_chain_of_sgds_composes_like_optax(key):
    params = random_tree(key)
    grads = jax.tree.map(jnp.ones_like, params)
    ours = chain(sgd(1.0), sgd(0.5))
    theirs = optax.chain(optax.sgd(1.0), optax.sgd(0.5))
    ours_updates, _ = ours.update(grads, ours.init(params), params)
    theirs_updates, _ = theirs.update(grads, theirs.init(params), params)
    for a, b in zip(jax.tree.leaves(ours_updates), jax.tree.leaves(theirs_updates), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
