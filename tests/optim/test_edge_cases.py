"""Edge cases of the optimizers and schedules, against optax: degenerate schedule arguments,
and `vmap` over every numeric hyperparameter (momentum, weight decay, betas, eps)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jlr.optim import (
    adam,
    adamw,
    cosine_decay,
    exponential_decay,
    one_cycle,
    rmsprop,
    sgd,
    step_decay,
    warmup_cosine_decay,
)

STEPS = np.arange(0, 30)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (warmup_cosine_decay(0.0, 1.0, 0, 10), optax.warmup_cosine_decay_schedule(0.0, 1.0, 0, 10)),
        (one_cycle(1, 1.0), optax.cosine_onecycle_schedule(1, 1.0)),
        (one_cycle(2, 1.0), optax.cosine_onecycle_schedule(2, 1.0)),
        (one_cycle(3, 0.5), optax.cosine_onecycle_schedule(3, 0.5)),
        (exponential_decay(1.0, 0, 0.5), optax.exponential_decay(1.0, 0, 0.5)),
        (cosine_decay(1.0, 1), optax.cosine_decay_schedule(1.0, 1)),
    ],
    ids=["no_warmup", "cycle_1", "cycle_2", "cycle_3", "no_transition", "cosine_1"],
)
def test_degenerate_schedules_follow_optax(ours, theirs):
    expected = np.array([float(theirs(step)) for step in STEPS])
    got = [float(ours(int(step))) for step in STEPS]  # Python ints: ZeroDivisionError shows
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(jax.jit(ours)(STEPS), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: cosine_decay(1.0, 0), "decay_steps >= 1"),
        (lambda: warmup_cosine_decay(0.0, 1.0, 10, 10), "warmup_steps < decay_steps"),
        (lambda: warmup_cosine_decay(0.0, 1.0, -1, 10), "0 <= warmup_steps"),
        (lambda: one_cycle(0, 1.0), "total_steps >= 1"),
        (lambda: step_decay(1.0, 0, 0.5), "every >= 1"),
    ],
)
def test_meaningless_schedules_raise_one_line(build, words):
    with pytest.raises(ValueError) as error:
        build()
    assert words in str(error.value) and "\n" not in str(error.value)


def quadratic_run(optimizer, n_steps=20):
    """Parameters after n_steps on f(x) = sum(c x^2) / 2 from x = 1: (3,)."""
    curvature = jnp.array([1.0, 3.0, 10.0])
    params = {"x": jnp.ones(3)}
    state = optimizer.init(params)
    for _ in range(n_steps):
        grads = {"x": curvature * params["x"]}
        updates, state = optimizer.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params["x"]


SWEEPS = {
    "sgd momentum": (
        lambda m: sgd(0.05, momentum=m),
        lambda m: optax.sgd(0.05, momentum=m),
        [0.0, 0.5, 0.9],
    ),
    "nesterov momentum": (
        lambda m: sgd(0.05, momentum=m, nesterov=True),
        lambda m: optax.sgd(0.05, momentum=m, nesterov=True),
        [0.0, 0.5, 0.9],
    ),
    "adamw weight_decay": (
        lambda wd: adamw(0.05, weight_decay=wd),
        lambda wd: optax.adamw(0.05, weight_decay=wd),
        [0.0, 0.1, 1.0],
    ),
    "adam b1": (lambda b1: adam(0.05, b1=b1), lambda b1: optax.adam(0.05, b1=b1), [0.0, 0.5, 0.9]),
    "adam eps": (lambda e: adam(0.05, eps=e), lambda e: optax.adam(0.05, eps=e), [1e-8, 1e-2, 1.0]),
    "rmsprop momentum": (
        lambda m: rmsprop(0.01, momentum=m),
        lambda m: optax.rmsprop(0.01, momentum=m),
        [0.0, 0.5, 0.9],
    ),
    "rmsprop decay": (
        lambda d: rmsprop(0.01, decay=d),
        lambda d: optax.rmsprop(0.01, decay=d),
        [0.5, 0.9, 0.99],
    ),
}


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_vmap_over_a_hyperparameter_matches_optax_one_value_at_a_time(name):
    ours, theirs, values = SWEEPS[name]
    swept = jax.jit(jax.vmap(lambda value: quadratic_run(ours(value))))(jnp.array(values))
    expected = np.stack([quadratic_run(theirs(value)) for value in values])
    np.testing.assert_allclose(swept, expected, rtol=2e-5, atol=1e-6)
