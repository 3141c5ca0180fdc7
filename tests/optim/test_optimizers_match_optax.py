"""The from-scratch optimizers follow optax step by step on the same trajectory."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.optim import adam, adamw, apply_updates, chain, rmsprop, sgd, warmup_cosine_decay


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
    "rmsprop": (lambda: rmsprop(1e-2), lambda: optax.rmsprop(1e-2)),
    "rmsprop_torch_eps": (
        lambda: rmsprop(1e-2, decay=0.99, eps_in_sqrt=False, initial_scale=0.5),
        lambda: optax.rmsprop(1e-2, decay=0.99, eps_in_sqrt=False, initial_scale=0.5),
    ),
    "rmsprop_centered_momentum": (
        lambda: rmsprop(1e-2, centered=True, momentum=0.9),
        lambda: optax.rmsprop(1e-2, centered=True, momentum=0.9),
    ),
    "rmsprop_nesterov_bias_corrected": (
        lambda: rmsprop(1e-2, momentum=0.9, nesterov=True, bias_correction=True),
        lambda: optax.rmsprop(1e-2, momentum=0.9, nesterov=True, bias_correction=True),
    ),
    "rmsprop_schedule": (
        lambda: rmsprop(warmup_cosine_decay(0.0, 1e-2, 10, 100), momentum=0.5),
        lambda: optax.rmsprop(optax.warmup_cosine_decay_schedule(0.0, 1e-2, 10, 100), momentum=0.5),
    ),
    "sgd_nesterov_schedule": (
        lambda: sgd(warmup_cosine_decay(0.0, 0.05, 10, 100), momentum=0.9, nesterov=True),
        lambda: optax.sgd(
            optax.warmup_cosine_decay_schedule(0.0, 0.05, 10, 100), momentum=0.9, nesterov=True
        ),
    ),
}


def noisy_gradient_offsets(seed: int, params, n_steps: int = 100):
    """Per-step noise for every leaf, (n_steps, *leaf.shape), drawn with numpy (no compile)."""
    rng = np.random.default_rng(seed)
    return jax.tree.map(lambda p: 0.1 * rng.normal(size=(n_steps, *p.shape)), params)


def run_100_steps(optimizer, apply, params, noise):
    """100 steps on noisy quadratic gradients, scanned in one jitted call."""

    def body(carry, step_noise):
        params, state = carry
        # gradients of a fixed quadratic plus noise: depend on params, so errors would compound
        grads = jax.tree.map(lambda p, n: p + n, params, step_noise)
        updates, state = optimizer.update(grads, state, params)
        return (apply(params, updates), state), None

    (params, _), _ = jax.lax.scan(body, (params, optimizer.init(params)), noise)
    return params


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_optax_for_100_steps(name, key, float64):
    """In float64, so only a difference in the math (not in rounding order) can fail it."""
    ours, theirs = (make() for make in CASES[name])
    params = random_tree(key)
    noise = noisy_gradient_offsets(0, params)
    ours_params = jax.jit(lambda p, n: run_100_steps(ours, apply_updates, p, n))(params, noise)
    theirs_params = jax.jit(lambda p, n: run_100_steps(theirs, optax.apply_updates, p, n))(
        params, noise
    )
    for a, b in zip(jax.tree.leaves(ours_params), jax.tree.leaves(theirs_params), strict=True):
        assert a.dtype == jnp.float64
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
