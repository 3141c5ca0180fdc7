"""Escape times from the strict saddle against the linearized estimate; Adam and noise escape
where gradient descent, on the stable manifold, never does."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus.functions import strict_saddle
from jlr.experiments.saddle_escape import escape_step, gd_escape_estimate, saddle_escape_steps
from jlr.optim import adam, sgd


def test_the_origin_is_a_strict_saddle():
    grad, hessian = jax.grad(strict_saddle)(jnp.zeros(2)), jax.hessian(strict_saddle)(jnp.zeros(2))
    np.testing.assert_allclose(grad, 0.0, atol=0)
    np.testing.assert_allclose(hessian, np.diag([1.0, -1.0]), atol=1e-6)


def test_gd_escape_time_follows_the_linearized_estimate():
    starts = jnp.array([[1.0, 1e-2], [1.0, 1e-5], [1.0, 0.0]])
    gd = jax.vmap(lambda s: saddle_escape_steps(sgd(0.1), s, 300))(starts)
    for steps, y0 in zip(gd[:2], (1e-2, 1e-5), strict=True):
        assert abs(int(steps) - gd_escape_estimate(y0, 0.1)) <= 4
    assert int(gd[2]) == 301  # on the stable manifold GD never escapes


def test_adam_and_noise_escape_fast():
    starts = jnp.array([[1.0, 1e-2], [1.0, 1e-5]])
    adam_steps = jax.vmap(lambda s: saddle_escape_steps(adam(0.05), s, 300))(starts)
    assert np.all(np.asarray(adam_steps) < 20)
    on_manifold = jnp.array([1.0, 0.0])
    noisy = saddle_escape_steps(sgd(0.1), on_manifold, 300, noise_std=0.1, key=jax.random.key(1))
    assert int(noisy) < 100


def test_escape_step_counts_from_zero():
    points = jnp.array([[0.0, 0.0], [0.0, 0.4], [0.0, -0.6], [0.0, 0.9]])
    assert int(escape_step(points)) == 2  # |y| > 0.5 first at index 2, either sign
    assert int(escape_step(points[:2])) == 2  # never: the number of points
