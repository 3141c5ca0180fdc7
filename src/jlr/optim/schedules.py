"""Learning-rate schedules: functions `step -> learning rate`, optax's shape.

Every schedule here has an optax twin with the same arguments (named in its docstring), so
optax is the oracle. `step` may be a Python int or a traced int32 scalar; schedules are
evaluated inside jitted optimizer updates. Arguments that make a schedule meaningless
(a decay over 0 steps, a step every 0 steps) raise a one-line ValueError when the schedule is
built, as optax does; edge cases optax accepts (no warmup, a one-step cycle) follow optax.

constant          lr(t) = v
step_decay        lr(t) = v gamma^floor(t / every)                 (staircase)
exponential_decay lr(t) = v r^((t - t0) / T) for t > t0
cosine_decay      lr(t) = v ((1 - alpha)(1 + cos(pi min(t, T)/T))/2 + alpha)
warmup_cosine     linear 0..W from v0 to peak, then cosine from peak to end over T - W
one_cycle         cosine up from peak/div to peak over pct T, cosine down to peak/(div final)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.optim.base import Schedule


def constant_schedule(value: float) -> Schedule:
    """lr(t) = value (optax.constant_schedule)."""

    def schedule(step: jax.Array) -> jax.Array:
        return jnp.full(jnp.shape(step), value, dtype=jnp.result_type(float))

    return schedule


def step_decay(init_value: float, every: int, gamma: float) -> Schedule:
    """lr(t) = init * gamma^floor(t / every): drop by gamma every `every` steps.

    optax: exponential_decay(init, every, gamma, staircase=True), or the same drops as a
    piecewise_constant_schedule(init, {every k: gamma for k = 1, 2, ...}).
    """

    if every < 1:
        raise ValueError(f"step_decay needs every >= 1 steps between drops, got every={every}")

    def schedule(step: jax.Array) -> jax.Array:
        return init_value * gamma ** jnp.floor(step / every)

    return schedule


def exponential_decay(
    init_value: float, transition_steps: int, decay_rate: float, transition_begin: int = 0
) -> Schedule:
    """lr(t) = init for t <= t0, init * rate^((t - t0) / T) after (optax.exponential_decay).

    T <= 0 means no decay at all: lr(t) = init (optax's convention).
    """
    if transition_steps <= 0:
        return constant_schedule(init_value)

    def schedule(step: jax.Array) -> jax.Array:
        elapsed = step - transition_begin
        decayed = init_value * decay_rate ** (elapsed / transition_steps)
        return jnp.where(elapsed <= 0, init_value, decayed)

    return schedule


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """lr(t) = init * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha).

    optax.cosine_decay_schedule(init, T, alpha); T must be at least 1.
    """
    if decay_steps < 1:
        raise ValueError(f"cosine_decay needs decay_steps >= 1, got decay_steps={decay_steps}")

    def schedule(step: jax.Array) -> jax.Array:
        progress = jnp.minimum(step, decay_steps) / decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(jnp.pi * progress))
        return init_value * ((1.0 - alpha) * cosine + alpha)

    return schedule


def _cosine_between(start: float, end: float, fraction: jax.Array) -> jax.Array:
    """Half a cosine from start (fraction 0) to end (fraction 1)."""
    return end + (start - end) * 0.5 * (1.0 + jnp.cos(jnp.pi * fraction))


def warmup_cosine_decay(
    init_value: float, peak_value: float, warmup_steps: int, decay_steps: int, end_value=0.0
) -> Schedule:
    """Linear warmup init -> peak over W steps, then cosine peak -> end until step T.

    lr(t) = init + (peak - init) t / W                                      for t < W
    lr(t) = end + (peak - end)(1 + cos(pi min(t - W, T - W) / (T - W))) / 2  for t >= W
    optax.warmup_cosine_decay_schedule(init, peak, W, T, end). W = 0 starts at the peak;
    T must exceed W.
    """
    if warmup_steps < 0 or decay_steps <= warmup_steps:
        raise ValueError(
            f"warmup_cosine_decay needs 0 <= warmup_steps < decay_steps, got "
            f"warmup_steps={warmup_steps}, decay_steps={decay_steps}"
        )

    def schedule(step: jax.Array) -> jax.Array:
        warm = init_value + (peak_value - init_value) * step / max(warmup_steps, 1)
        fraction = jnp.clip((step - warmup_steps) / (decay_steps - warmup_steps), 0.0, 1.0)
        return jnp.where(
            step < warmup_steps, warm, _cosine_between(peak_value, end_value, fraction)
        )

    return schedule


def one_cycle(
    total_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """One-cycle (Smith & Topin 2017): cosine up to the peak, then cosine down to ~0.

    start = peak / div, up over the first P = int(pct_start T) steps; then down to
    start / final_div at step T; constant after. optax.cosine_onecycle_schedule.
    """
    if total_steps < 1 or not 0.0 <= pct_start < 1.0:
        raise ValueError(
            f"one_cycle needs total_steps >= 1 and 0 <= pct_start < 1, got "
            f"total_steps={total_steps}, pct_start={pct_start}"
        )
    start = peak_value / div_factor
    end = start / final_div_factor
    rise = int(pct_start * total_steps)  # 0 for a very short cycle: start at the peak

    def schedule(step: jax.Array) -> jax.Array:
        up = _cosine_between(start, peak_value, jnp.clip(step / max(rise, 1), 0.0, 1.0))
        down_fraction = jnp.clip((step - rise) / (total_steps - rise), 0.0, 1.0)
        return jnp.where(step < rise, up, _cosine_between(peak_value, end, down_fraction))

    return schedule
