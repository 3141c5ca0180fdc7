"""The lesson 05 checker can fail and can pass: stubs fail every check, solutions pass every one."""

import pytest
from exercise_helpers import assert_exercises_cover_the_section

from jlr.course.checks.jax_core import EXERCISES
from jlr.course.exercise import CheckFailed


def test_every_topic_has_an_exercise():
    assert_exercises_cover_the_section("05")
    assert len({exercise.name for exercise in EXERCISES}) == len(EXERCISES)


def test_common_mistakes_are_caught():
    import jax

    from jlr.course.checks import jax_core as checks

    def reused_key_masks(key, n_layers, shape, keep_prob):
        return jax.numpy.stack([jax.random.bernoulli(key, keep_prob, shape)] * n_layers)

    with pytest.raises(CheckFailed, match="same mask"):
        checks.check_dropout_masks(reused_key_masks)
    with pytest.raises(CheckFailed, match="NaN"):
        checks.check_gather_or_nan(lambda x, i: x[i])
    with pytest.raises(CheckFailed, match="static"):
        checks.check_static_power(jax.jit(lambda x, n: x**n))
    no_allreduce = lambda loss, p, x, y, lr: jax.tree.map(
        lambda a, g: a - lr * g, p, jax.grad(loss)(p, x, y)
    )
    with pytest.raises(CheckFailed, match="pmean"):
        checks.check_data_parallel_sgd_step(no_allreduce)


def test_a_running_mean_with_hidden_state_fails():
    """Right on a fresh run from (0, 0), wrong from any other state: it keeps its own list."""
    import jax.numpy as jnp

    from jlr.course.checks.jax_core import check_running_mean_update

    seen = []

    def impure_update(state, x):
        seen.append(x)
        return state[0] + 1, jnp.mean(jnp.stack(seen))

    with pytest.raises(CheckFailed, match="no counter or list kept between calls"):
        check_running_mean_update(impure_update)


def test_masks_from_a_key_also_split_fail():
    """Distinct, reproducible masks, but the parent key is drawn from AND split."""
    import jax
    import jax.numpy as jnp

    from jlr.course.checks.jax_core import check_dropout_masks

    def parent_and_children(key, n_layers, shape, keep_prob):
        first = jax.random.bernoulli(key, keep_prob, shape)
        children = jax.random.split(key, n_layers - 1)
        return jnp.stack([first, *(jax.random.bernoulli(k, keep_prob, shape) for k in children)])

    with pytest.raises(CheckFailed, match="consumed twice"):
        check_dropout_masks(parent_and_children)


def test_softplus_without_custom_vjp_fails():
    """jax.nn.softplus has the right values and gradients, but no rule of the learner's own."""
    import jax

    from jlr.course.checks.jax_core import check_softplus

    with pytest.raises(CheckFailed, match="custom_vjp"):
        check_softplus(lambda x: jax.nn.softplus(x))


# Every reference solution passing (and every stub failing) is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.
