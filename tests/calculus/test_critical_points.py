import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from jlr.calculus import critical_points as C
from jlr.calculus import functions as F
from jlr.calculus.hessian import hessian_fwd_over_rev

# Himmelblau's maximum, from the literature (its minima are F.HIMMELBLAU_MINIMA, checked
# against f = 0 and grad f = 0 in test_functions.py).
HIMMELBLAU_MAXIMUM = np.array([-0.270845, -0.923039])


@pytest.mark.parametrize(
    ("eigenvalues", "kind"),
    [
        ([1.0, 2.0], "minimum"),
        ([-1.0, -3.0], "maximum"),
        ([1.0, -1.0], "saddle"),
        ([1.0, -1.0, 0.0], "saddle"),
        ([0.0, 2.0], "degenerate"),
        ([0.0, 0.0], "degenerate"),
    ],
)
def test_classification_by_eigenvalues(eigenvalues, kind):
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(len(eigenvalues),) * 2))
    assert C.classify_critical_point(q @ np.diag(eigenvalues) @ q.T) == kind


def test_himmelblau_critical_points_and_kinds(float64):
    grid = jnp.linspace(-5.0, 5.0, 9)
    starts = jnp.array(list(itertools.product(grid.tolist(), repeat=2)))
    points = C.find_critical_points(F.himmelblau, starts, grad_tol=1e-8)
    kinds = [C.classify_critical_point(hessian_fwd_over_rev(F.himmelblau, p)) for p in points]
    assert sorted(kinds) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    minima = np.array([p for p, k in zip(points, kinds, strict=True) if k == "minimum"])
    for known in np.asarray(F.HIMMELBLAU_MINIMA):
        assert np.min(np.linalg.norm(minima - known, axis=1)) < 1e-5
    maximum = points[kinds.index("maximum")]
    np.testing.assert_allclose(maximum, HIMMELBLAU_MAXIMUM, atol=1e-5)
    # an independent oracle: scipy's root finder on the same gradient, from our saddles
    for p, kind in zip(points, kinds, strict=True):
        if kind == "saddle":
            root = scipy.optimize.root(
                jax.grad(F.himmelblau), np.asarray(p) + 0.05, jac=jax.hessian(F.himmelblau)
            )
            np.testing.assert_allclose(root.x, p, atol=1e-6)


def test_monkey_saddle_is_degenerate_and_newton_is_only_linear(float64):
    result = C.newton_critical_point(F.monkey_saddle, jnp.array([0.7, 0.3]), tol=1e-12)
    np.testing.assert_allclose(result.x, 0.0, atol=1e-5)
    kind = C.classify_critical_point(hessian_fwd_over_rev(F.monkey_saddle, result.x), tol=1e-3)
    assert kind == "degenerate"
    # grad is homogeneous of degree 2, so each Newton step halves x: about 20 steps, not 5
    assert int(result.n_steps) >= 15


def test_rosenbrock_minimum(float64):
    result = C.newton_critical_point(F.rosenbrock, jnp.array([-1.2, 1.0, 0.5]))
    np.testing.assert_allclose(result.x, 1.0, atol=1e-8)
    assert C.classify_critical_point(hessian_fwd_over_rev(F.rosenbrock, result.x)) == "minimum"
