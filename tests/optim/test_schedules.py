"""Each schedule equals its optax twin at every step, in and out of jit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.optim import (
    constant_schedule,
    cosine_decay,
    exponential_decay,
    one_cycle,
    step_decay,
    warmup_cosine_decay,
)

STEPS = np.arange(0, 260)

PAIRS = {
    "constant": (constant_schedule(0.3), optax.constant_schedule(0.3)),
    "step": (step_decay(0.1, 50, 0.5), optax.exponential_decay(0.1, 50, 0.5, staircase=True)),
    "step_piecewise": (
        step_decay(0.1, 50, 0.5),
        optax.piecewise_constant_schedule(0.1, {50 * k: 0.5 for k in range(1, 7)}),
    ),
    "exponential": (
        exponential_decay(0.1, 40, 0.3, transition_begin=20),
        optax.exponential_decay(0.1, 40, 0.3, transition_begin=20),
    ),
    "cosine": (cosine_decay(0.1, 200, alpha=0.1), optax.cosine_decay_schedule(0.1, 200, 0.1)),
    "warmup_cosine": (
        warmup_cosine_decay(0.0, 0.1, 30, 200, end_value=1e-3),
        optax.warmup_cosine_decay_schedule(0.0, 0.1, 30, 200, end_value=1e-3),
    ),
    "one_cycle": (one_cycle(200, 0.1), optax.cosine_onecycle_schedule(200, 0.1)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_schedule_matches_optax_at_every_step(name):
    ours, theirs = PAIRS[name]
    ours_values = jax.jit(jax.vmap(ours))(jnp.asarray(STEPS))
    theirs_values = jax.jit(jax.vmap(theirs))(jnp.asarray(STEPS))
    np.testing.assert_allclose(ours_values, theirs_values, rtol=1e-5, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    peak=st.floats(1e-4, 1.0),
    warmup=st.integers(1, 50),
    extra=st.integers(1, 200),
    step=st.integers(0, 400),
)
def test_warmup_cosine_stays_between_its_ends_and_peaks_at_warmup(peak, warmup, extra, step):
    schedule = warmup_cosine_decay(0.0, peak, warmup, warmup + extra)
    value = float(schedule(step))
    assert -1e-9 <= value <= peak * (1 + 1e-6)
    np.testing.assert_allclose(float(schedule(warmup)), peak, rtol=1e-6)


def test_one_cycle_rises_then_falls_to_nearly_zero():
    schedule = one_cycle(100, 1.0)
    values = np.array([float(schedule(t)) for t in range(101)])
    assert np.argmax(values) == 30
    assert np.all(np.diff(values[:31]) > 0) and np.all(np.diff(values[30:]) < 0)
    np.testing.assert_allclose(values[0], 1.0 / 25, rtol=1e-6)
    np.testing.assert_allclose(values[-1], 1.0 / 25 / 1e4, rtol=1e-4)
