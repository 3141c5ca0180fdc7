"""Test functions: their stated minima are critical points with the stated values; the
saddle is strict; trajectories follow closed forms; the saddle-escape times match theory."""

import jax
import jax.numpy as jnp
import numpy as np

from jlr.optim import adam, sgd
from jlr.optimization.saddle_escape import escape_step, gd_escape_estimate, saddle_escape_steps
from jlr.optimization.test_functions import LANDSCAPES, saddle
from jlr.optimization.trajectories import trajectory


def test_stated_minima_are_critical_points_and_global_values(float64):
    for name, (f, minima) in LANDSCAPES.items():
        points = jnp.asarray(minima, jnp.float64)
        grads, hessians = jax.jit(jax.vmap(lambda p, f=f: (jax.grad(f)(p), jax.hessian(f)(p))))(
            points
        )
        np.testing.assert_allclose(grads, 0.0, atol=2e-4, err_msg=name)
        assert np.linalg.eigvalsh(np.asarray(hessians)).min() > 0, name  # strict minima
    np.testing.assert_allclose(LANDSCAPES["saddle"][0](jnp.array([0.0, 1.0])), -0.25, rtol=1e-12)


def test_origin_of_the_saddle_is_a_strict_saddle():
    grad, hessian = jax.jit(lambda p: (jax.grad(saddle)(p), jax.hessian(saddle)(p)))(jnp.zeros(2))
    np.testing.assert_allclose(grad, 0.0, atol=0)
    np.testing.assert_allclose(hessian, jnp.diag(jnp.array([1.0, -1.0])), atol=1e-6)


def test_gd_trajectory_on_a_quadratic_is_geometric():
    curvatures = jnp.array([1.0, 4.0])
    points = trajectory(sgd(0.1), lambda p: 0.5 * jnp.sum(curvatures * p**2), jnp.ones(2), 20)
    expected = (1 - 0.1 * curvatures)[None, :] ** jnp.arange(21)[:, None]
    np.testing.assert_allclose(points, expected, rtol=1e-5, atol=1e-7)


def test_noisy_trajectory_is_reproducible_from_its_key(key):
    run = lambda k: trajectory(sgd(0.1), saddle, jnp.ones(2), 10, noise_std=0.1, key=k)  # noqa: E731
    np.testing.assert_array_equal(run(key), run(key))
    assert not np.allclose(run(key), run(jax.random.fold_in(key, 1)))


def test_saddle_escape_times():
    starts = jnp.array([[1.0, 1e-2], [1.0, 1e-5], [1.0, 0.0]])
    gd = jax.vmap(lambda s: saddle_escape_steps(sgd(0.1), s, 300))(starts)
    for steps, y0 in zip(gd[:2], (1e-2, 1e-5), strict=True):
        assert abs(int(steps) - gd_escape_estimate(y0, 0.1)) <= 4
    assert int(gd[2]) == 301  # on the stable manifold GD never escapes
    adam_steps = jax.vmap(lambda s: saddle_escape_steps(adam(0.05), s, 300))(starts[:2])
    assert np.all(np.asarray(adam_steps) < 20)
    noisy = saddle_escape_steps(sgd(0.1), starts[2], 300, noise_std=0.1, key=jax.random.key(1))
    assert int(noisy) < 100


def test_escape_step_counts_from_zero():
    points = jnp.array([[0.0, 0.0], [0.0, 0.4], [0.0, 0.6], [0.0, 0.9]])
    assert int(escape_step(points)) == 2
    assert int(escape_step(points[:2])) == 2  # never: the number of points
