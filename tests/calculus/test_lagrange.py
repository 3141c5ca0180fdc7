import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jlr.calculus import lagrange as L


def slsqp(f, x0, ineq=None, eq=None):
    """scipy's SLSQP; its 'ineq' means fun(x) >= 0, ours c(x) <= 0. It gets exact gradients
    (jax.grad, jax.jacobian): with its default finite differences and tol 1e-12 its line
    search can stall next to the optimum and report failure ("Positive directional
    derivative for linesearch", found by hypothesis with seed 6767672 below)."""

    def numpy_fn(fn):
        return lambda x: np.asarray(fn(jnp.asarray(x)))

    constraints = []
    if ineq is not None:
        slack = lambda x: -ineq(x)  # noqa: E731
        constraints.append(
            {"type": "ineq", "fun": numpy_fn(slack), "jac": numpy_fn(jax.jacobian(slack))}
        )
    if eq is not None:
        constraints.append({"type": "eq", "fun": numpy_fn(eq), "jac": numpy_fn(jax.jacobian(eq))})
    result = scipy.optimize.minimize(
        lambda x: float(f(jnp.asarray(x))),
        x0,
        jac=numpy_fn(jax.grad(f)),
        method="SLSQP",
        constraints=constraints,
        tol=1e-12,
    )
    assert result.success, result.message
    return result.x


def circle(x):
    return jnp.stack([x @ x - 1.0])


def test_linear_objective_on_circle_closed_form(float64):
    f = lambda x: x[0] + 2.0 * x[1]
    x, lam = L.lagrange_newton(f, circle, jnp.array([-0.5, -0.5]))
    expected = -jnp.array([1.0, 2.0]) / jnp.sqrt(5.0)
    np.testing.assert_allclose(x, expected, rtol=1e-10)
    np.testing.assert_allclose(lam, jnp.sqrt(5.0) / 2.0, rtol=1e-10)  # grad f = -lam grad g
    np.testing.assert_allclose(x, slsqp(f, np.array([-0.5, -0.5]), eq=circle), atol=1e-6)


def test_multiplier_is_sensitivity_of_optimal_value(float64):
    """d f*/d b = -lam for the constraint g(x) = b: the multiplier prices the constraint."""
    f = lambda x: (x[0] - 2.0) ** 2 + 2.0 * (x[1] - 1.0) ** 2

    def optimum(b):
        x, lam = L.lagrange_newton(f, lambda x: jnp.stack([x @ x - b]), jnp.array([0.9, 0.4]))
        return f(x), lam[0]

    lam, eps = optimum(1.0)[1], 1e-5
    sensitivity = (optimum(1.0 + eps)[0] - optimum(1.0 - eps)[0]) / (2 * eps)
    np.testing.assert_allclose(sensitivity, -lam, rtol=1e-6)


def test_gradients_parallel_at_optimum(float64):
    f = lambda x: (x[0] - 2.0) ** 2 + 2.0 * (x[1] - 1.0) ** 2
    x, lam = L.lagrange_newton(f, circle, jnp.array([0.9, 0.4]))
    grad_f, grad_g = jax.grad(f)(x), jax.jacfwd(circle)(x)[0]
    np.testing.assert_allclose(grad_f[0] * grad_g[1] - grad_f[1] * grad_g[0], 0.0, atol=1e-10)
    np.testing.assert_allclose(x, slsqp(f, np.array([0.9, 0.4]), eq=circle), atol=1e-6)


def test_kkt_textbook_problem(float64):
    """min (x-2)^2 + (y-1)^2 s.t. x + y <= 2, x^2 <= y: both active at (1, 1), mu = (2/3, 2/3)."""
    f = lambda x: (x[0] - 2.0) ** 2 + (x[1] - 1.0) ** 2
    c = lambda x: jnp.stack([x[0] + x[1] - 2.0, x[0] ** 2 - x[1]])
    result = L.solve_kkt(f, c, jnp.array([0.5, 0.5]))
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(result.mu, [2.0 / 3.0, 2.0 / 3.0], atol=1e-10)
    np.testing.assert_allclose(result.x, slsqp(f, np.array([0.5, 0.5]), ineq=c), atol=1e-6)


def test_kkt_with_an_inactive_constraint_and_an_equality(float64):
    f = lambda x: jnp.sum((x - jnp.array([1.0, 2.0, 3.0])) ** 2)
    c = lambda x: jnp.stack([x[0] - 5.0, x[2] - 1.0])  # the first is slack at the optimum
    g = lambda x: jnp.stack([jnp.sum(x) - 3.0])
    result = L.solve_kkt(f, c, jnp.zeros(3), g=g)
    assert result.active.tolist() == [False, True]
    np.testing.assert_allclose(result.mu[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(result.x, slsqp(f, np.zeros(3), ineq=c, eq=g), atol=1e-6)


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**31 - 1))
@example(6767672)  # SLSQP with finite-difference gradients failed here (see slsqp)
def test_random_convex_qp_agrees_with_slsqp(seed):
    with jax.enable_x64(True):
        a_key, b_key, c_key, d_key = jax.random.split(jax.random.key(seed), 4)
        m = jax.random.normal(a_key, (3, 3))
        a = m @ m.T + 0.5 * jnp.eye(3)  # positive definite: a convex objective
        b = jax.random.normal(b_key, (3,))
        rows, offsets = jax.random.normal(c_key, (3, 3)), jax.random.uniform(d_key, (3,))
        f = lambda x: 0.5 * x @ a @ x - b @ x
        c = lambda x: rows @ x - offsets  # x = 0 is feasible
        result = L.solve_kkt(f, c, jnp.zeros(3))
        np.testing.assert_allclose(result.x, slsqp(f, np.zeros(3), ineq=c), atol=1e-5)


def test_infeasible_problem_raises():
    c = lambda x: jnp.stack([x[0] - 1.0, 2.0 - x[0]])  # x <= 1 and x >= 2
    with pytest.raises(ValueError, match="no active set"):
        L.solve_kkt(lambda x: x @ x, c, jnp.zeros(1))


@pytest.mark.parametrize("a", [[1.0, 2.0], [-3.0, 0.5, 1.0], [0.0, 0.0, 2.0]])
def test_kkt_linear_objective_on_the_unit_sphere(float64, a):
    """The hardening case: Newton that starts at lam = 0 meets a singular matrix (a linear f
    has Hessian 0). Oracle: the closed form x* = -a / |a| and SLSQP."""
    a = jnp.asarray(a)
    f, sphere = (lambda x: a @ x), (lambda x: jnp.stack([x @ x - 1.0]))
    x0 = jnp.full(a.shape, 0.3)
    result = L.solve_kkt(f, L.no_constraints, x0, g=sphere)
    np.testing.assert_allclose(result.x, -a / jnp.linalg.norm(a), atol=1e-10)
    np.testing.assert_allclose(result.lam, [jnp.linalg.norm(a) / 2.0], rtol=1e-10)
    np.testing.assert_allclose(result.x, slsqp(f, np.asarray(x0), eq=sphere), atol=1e-5)


def test_lagrange_newton_converges_or_says_so_never_nan(float64):
    """From 40 random starts: a stationary point to tolerance, or a one-line NotConverged;
    never NaN or an unconverged answer returned as if it were one. (The undamped Newton of
    before returned non-finite or infeasible points from 9 of these starts.)"""
    f = lambda x: (x[0] - 2.0) ** 2 + 2.0 * (x[1] - 1.0) ** 2
    starts = np.random.default_rng(0).normal(size=(40, 2)) * 2.0
    converged = 0
    for x0 in starts:
        try:
            x, lam = L.lagrange_newton(f, circle, jnp.asarray(x0))
        except L.NotConverged as error:
            assert "\n" not in str(error) and "residual" in str(error)
            continue
        converged += 1
        assert np.linalg.norm(L.lagrange_residual(f, circle, x, lam)) <= 1e-8
    assert converged >= 30


def test_lagrange_newton_raises_on_a_problem_with_no_solution(float64):
    """x . x = -1 has no real point: Newton cannot converge, and says so in one line."""
    with pytest.raises(L.NotConverged, match="residual"):
        L.lagrange_newton(lambda x: x @ x, lambda x: jnp.stack([x @ x + 1.0]), jnp.ones(2))


def test_lagrange_newton_under_jit_returns_the_iterate(float64):
    solve = jax.jit(lambda x0: L.lagrange_newton(lambda x: x[0] + 2.0 * x[1], circle, x0))
    x, _ = solve(jnp.array([-0.5, -0.5]))
    np.testing.assert_allclose(x, -jnp.array([1.0, 2.0]) / jnp.sqrt(5.0), rtol=1e-10)
