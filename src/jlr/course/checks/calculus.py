"""Checks for exercises/01_calculus.py: each grades one function on fixed-seed random inputs.

Oracles are independent of the learner's method: closed forms, `jax.grad`, `jax.hessian`,
`jax.jacfwd`/`jax.jacrev` of the whole function, eigenvalues set by construction, and the
textbook solution of a constrained problem.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus.chain_rule import compose
from jlr.calculus.functions import himmelblau, init_tanh_layer, rosenbrock, tanh_layer
from jlr.course.exercise import Exercise, assert_close, assert_equal


def random_points(seed: int, n_points: int, dim: int, scale: float = 2.0) -> jax.Array:
    return scale * jax.random.normal(jax.random.key(seed), (n_points, dim))


def random_smooth_map(seed: int, d_in: int, d_out: int):
    params = init_tanh_layer(jax.random.key(seed), d_in, d_out)
    return lambda x: jnp.sin(tanh_layer(params, x)) + 0.1 * x.sum()


def check_polar_to_cartesian(fn) -> None:
    r_theta = jnp.abs(random_points(1, 5, 2))
    for point in r_theta:
        r, theta = np.asarray(point)
        assert_close(fn(point), [r * np.cos(theta), r * np.sin(theta)], rtol=1e-5, atol=1e-6)
    det = jnp.linalg.det(jax.jacfwd(fn)(r_theta[0]))
    assert_close(det, r_theta[0, 0], rtol=1e-4, what="det of the Jacobian (should be r)")
    assert_equal(jax.vmap(fn)(r_theta).shape, (5, 2), what="shape under vmap")


def check_level_set_tangent(fn) -> None:
    bowl = lambda x: x[0] ** 2 + 3.0 * x[1] ** 2
    for f in (himmelblau, bowl):
        for x in random_points(2, 4, 2):
            tangent = fn(f, x)
            grad = jax.grad(f)(x)
            assert_close(jnp.linalg.norm(tangent), 1.0, rtol=1e-4, what="|tangent|")
            cosine = tangent @ grad / jnp.linalg.norm(grad)
            assert_close(cosine, 0.0, atol=1e-4, what="cos(angle to grad f), should be 0")


def check_central_difference(fn) -> None:
    f = lambda x: jnp.sin(3.0 * x[0]) * jnp.exp(x[1]) + x[2] ** 3
    for x in random_points(3, 3, 3, scale=0.5):
        for i in range(3):
            x64, h = np.asarray(x, dtype=np.float64), 0.05
            e_i = np.eye(3)[i]
            f64 = lambda y: np.sin(3.0 * y[0]) * np.exp(y[1]) + y[2] ** 3
            expected = (f64(x64 + h * e_i) - f64(x64 - h * e_i)) / (2 * h)
            assert_close(fn(f, x, i, h), expected, rtol=1e-3, atol=1e-4, what=f"d_{i} estimate")


def check_directional_derivative(fn) -> None:
    for x, v in zip(random_points(4, 3, 3, 0.7), random_points(5, 3, 3, 1.0), strict=True):
        expected = jax.grad(rosenbrock)(x) @ v
        assert_close(fn(rosenbrock, x, v), expected, rtol=1e-4, atol=1e-3, what="D_v f(x)")
    f = random_smooth_map(6, 3, 2)  # R^3 -> R^2: the answer is a vector, J v
    x, v = random_points(7, 2, 3)
    assert_close(fn(f, x, v), jax.jacrev(f)(x) @ v, rtol=1e-5, atol=1e-6, what="J v")


def check_steepest_ascent_direction(fn) -> None:
    for x in random_points(8, 4, 2):
        direction = fn(himmelblau, x)
        grad = jax.grad(himmelblau)(x)
        assert_close(jnp.linalg.norm(direction), 1.0, rtol=1e-4, what="|v|")
        assert_close(direction @ grad, jnp.linalg.norm(grad), rtol=1e-4, what="D_v f at your v")


def check_composition_jacobian(fn) -> None:
    for seed, (d_in, d_mid, d_out) in enumerate([(3, 4, 2), (1, 3, 1)]):
        g, f = random_smooth_map(10 + seed, d_in, d_mid), random_smooth_map(20 + seed, d_mid, d_out)
        x = random_points(30 + seed, 1, d_in)[0]
        expected = jax.jacrev(compose(f, g))(x)
        assert_close(fn(f, g, x), expected, rtol=1e-5, atol=1e-6, what="J_{f o g}")


def check_linear_approximation(fn) -> None:
    f = random_smooth_map(40, 3, 2)
    for x, h in zip(random_points(41, 3, 3), random_points(42, 3, 3, 0.1), strict=True):
        expected = f(x) + jax.jacrev(f)(x) @ h
        assert_close(fn(f, x, h), expected, rtol=1e-5, atol=1e-6, what="f(x) + J h")


def jacobian_check(oracle):
    def check(fn) -> None:
        for seed, (d_in, d_out) in enumerate([(3, 2), (1, 4), (4, 1)]):
            f = random_smooth_map(50 + seed, d_in, d_out)
            x = random_points(60 + seed, 1, d_in)[0]
            assert_close(fn(f, x), oracle(f)(x), rtol=1e-5, atol=1e-6, what="Jacobian")

    return check


def check_hvp(fn) -> None:
    for x, v in zip(random_points(70, 3, 4, 0.7), random_points(71, 3, 4, 1.0), strict=True):
        expected = jax.hessian(rosenbrock)(x) @ v
        scale = float(jnp.abs(expected).max())
        assert_close(fn(rosenbrock, x, v), expected, rtol=1e-4, atol=1e-4 * scale, what="H v")


def check_classify_critical_point(fn) -> None:
    cases = [
        ([2.0, 0.5, 1.0], "minimum"),
        ([-1.0, -0.3], "maximum"),
        ([3.0, -2.0, 1.0], "saddle"),
        ([1.0, -1.0, 0.0], "saddle"),
        ([0.0, 4.0], "degenerate"),
        ([-2.0, 0.0, -1.0], "degenerate"),
    ]
    rng = np.random.default_rng(80)
    for eigenvalues, kind in cases:
        q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))  # a random rotation
        hessian = q @ np.diag(eigenvalues) @ q.T
        assert_equal(fn(hessian), kind, what=f"kind for eigenvalues {eigenvalues}")


def check_taylor_second_order(fn) -> None:
    for x, h in zip(random_points(90, 3, 3, 0.7), random_points(91, 3, 3, 0.2), strict=True):
        g, hess = jax.grad(rosenbrock)(x), jax.hessian(rosenbrock)(x)
        expected = rosenbrock(x) + g @ h + 0.5 * h @ hess @ h
        assert_close(fn(rosenbrock, x, h), expected, rtol=1e-4, atol=1e-3, what="T2(h)")


def check_lagrange_newton(fn) -> None:
    circle = lambda x: jnp.stack([x @ x - 1.0])
    for c in random_points(100, 3, 2, 1.0):
        f = lambda x, c=c: c @ x  # min c . x on the unit circle: x = -c/|c|, lam = |c|/2
        x0 = -c / jnp.linalg.norm(c) + 0.2
        x, lam = fn(f, circle, x0, jnp.ones(1))
        assert_close(x, -c / jnp.linalg.norm(c), rtol=1e-4, atol=1e-5, what="x*")
        assert_close(lam, [jnp.linalg.norm(c) / 2.0], rtol=1e-4, atol=1e-5, what="lambda*")
    f = lambda x: jnp.sum((x - jnp.array([1.0, 2.0, 3.0])) ** 2)  # nearest point of a plane
    plane = lambda x: jnp.stack([x.sum() - 3.0])
    x, lam = fn(f, plane, jnp.zeros(3), jnp.zeros(1))
    assert_close(x, [0.0, 1.0, 2.0], rtol=1e-4, atol=1e-5, what="projection onto sum(x) = 3")
    assert_close(lam, [2.0], rtol=1e-4, atol=1e-5, what="lambda for the plane")


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "polar_to_cartesian",
        "Functions of multiple variables (ℝⁿ → ℝ, ℝⁿ → ℝᵐ)",
        check_polar_to_cartesian,
    ),
    Exercise(
        "level_set_tangent",
        "Domains, codomains, level sets, contour plots",
        check_level_set_tangent,
    ),
    Exercise(
        "central_difference",
        "Partial derivatives and geometric interpretation",
        check_central_difference,
    ),
    Exercise(
        "directional_derivative",
        "Directional derivatives and gradient vector",
        check_directional_derivative,
    ),
    Exercise(
        "steepest_ascent_direction",
        "Directional derivatives and gradient vector",
        check_steepest_ascent_direction,
    ),
    Exercise(
        "composition_jacobian",
        "Total derivative and multivariable chain rule",
        check_composition_jacobian,
    ),
    Exercise(
        "linear_approximation",
        "Jacobian matrix and linear approximation",
        check_linear_approximation,
    ),
    Exercise(
        "jacobian_from_vjps",
        "Jacobian–vector and vector–Jacobian products",
        jacobian_check(jax.jacrev),
    ),
    Exercise(
        "jacobian_from_jvps",
        "Jacobian–vector and vector–Jacobian products",
        jacobian_check(jax.jacfwd),
    ),
    Exercise("hvp", "Second-order derivatives and Hessian matrix", check_hvp),
    Exercise(
        "classify_critical_point",
        "Curvature, saddle points, local minima",
        check_classify_critical_point,
    ),
    Exercise(
        "taylor_second_order",
        "Multivariable Taylor expansion (1st and 2nd order)",
        check_taylor_second_order,
    ),
    Exercise(
        "lagrange_newton",
        "Constrained optimization and Lagrange multipliers",
        check_lagrange_newton,
    ),
)
