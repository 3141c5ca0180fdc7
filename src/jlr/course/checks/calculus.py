"""Checks for exercises/01_calculus.py: each grades one function on fixed-seed random inputs.

Oracles are independent of the learner's method: closed forms and float64 numpy, `jax.grad`,
`jax.hessian`, `jax.jacfwd`/`jax.jacrev` of the whole function, eigenvalues set by
construction, Newton steps on the KKT system solved in float64, and the textbook solution of
a constrained problem. Where an exercise is about one tool (a JVP, VJPs, an HVP, Newton's
method, the chain rule, a finite difference), the shortcut that skips it is refused however
it is spelled (`jlr.course.guard`), and a known wrong formula is named by its own hint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus.chain_rule import compose
from jlr.calculus.functions import himmelblau, init_tanh_layer, rosenbrock, tanh_layer
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64
from jlr.course.guard import (
    HESSIAN_BUILDERS,
    SCIPY_SOLVERS,
    assert_close_or_mistake,
    assert_no_square_intermediate,
    raise_if_mistake,
    without,
)


def random_points(seed: int, n_points: int, dim: int, scale: float = 2.0) -> jax.Array:
    return scale * jax.random.normal(jax.random.key(seed), (n_points, dim))


def random_smooth_map(seed: int, d_in: int, d_out: int):
    params = init_tanh_layer(jax.random.key(seed), d_in, d_out)
    return lambda x: jnp.sin(tanh_layer(params, x)) + 0.1 * x.sum()


def _refuse(paths: tuple[str, ...], why: str) -> dict[str, str]:
    return dict.fromkeys(paths, why)


AUTODIFF = (
    "jax.grad",
    "jax.value_and_grad",
    "jax.jvp",
    "jax.vjp",
    "jax.linearize",
    *HESSIAN_BUILDERS,
)
REVERSE_MODE = ("jax.grad", "jax.value_and_grad", "jax.vjp", "jax.linear_transpose")
FORWARD_MODE = ("jax.jvp", "jax.linearize")


# -- Functions of several variables, level sets, partials ------------------------------------


def check_polar_to_cartesian(fn) -> None:
    r_theta = jnp.abs(random_points(1, 5, 2))
    r, theta = f64(r_theta).T
    got = np.stack([f64(fn(point)) for point in r_theta])  # (5, 2)
    mistakes = {
        "the components are swapped: x = r cos(theta) comes first, then y = r sin(theta)": (
            np.stack([r * np.sin(theta), r * np.cos(theta)], axis=-1)
        ),
        "r_theta is (r, theta): r is r_theta[0] and theta is r_theta[1]": (
            np.stack([theta * np.cos(r), theta * np.sin(r)], axis=-1)
        ),
    }
    expected = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)
    assert_close_or_mistake(got, expected, mistakes, rtol=1e-5, atol=1e-6, what="(x, y)")
    try:
        jacobian = jax.jacfwd(fn)(r_theta[0])
        batched = jax.vmap(fn)(r_theta)
    except CheckFailed:
        raise
    except Exception as error:
        raise CheckFailed(
            "your function must work under jax.jacfwd and jax.vmap: compute with jax.numpy "
            f"(jnp.cos, jnp.stack), not numpy or math ({type(error).__name__})"
        ) from None
    assert_close(
        jnp.linalg.det(jacobian), r_theta[0, 0], rtol=1e-4, what="det of the Jacobian (should be r)"
    )
    assert_equal(batched.shape, (5, 2), what="shape under vmap")


def check_level_set_tangent(fn) -> None:
    bowl = lambda x: x[0] ** 2 + 3.0 * x[1] ** 2
    for f in (himmelblau, bowl):
        points = random_points(2, 4, 2)
        grads = f64(jax.vmap(jax.grad(f))(points))  # (4, 2)
        unit = grads / np.linalg.norm(grads, axis=-1, keepdims=True)
        got = np.stack([f64(fn(f, x)) for x in points])  # (4, 2)
        mistakes = {
            "that is along the gradient, which is normal to the level set: turn it by "
            "90 degrees, (g0, g1) -> (-g1, g0)": unit,
            "swapping the components, (g1, g0), reflects the gradient instead of turning it: "
            "use (-g1, g0)": unit[:, ::-1],
        }
        for hint, wrong in mistakes.items():
            for sign in (1.0, -1.0):  # either sign is the same mistake
                raise_if_mistake(got, {hint: sign * wrong}, rtol=1e-4, atol=1e-6)
        for tangent, grad in zip(got, grads, strict=True):
            cosine = tangent @ grad / (np.linalg.norm(tangent) * np.linalg.norm(grad))
            assert_close(cosine, 0.0, atol=1e-4, what="cos(angle to grad f), should be 0")
            if not np.isclose(np.linalg.norm(tangent), 1.0, rtol=1e-4):
                raise CheckFailed(
                    f"|tangent| = {np.linalg.norm(tangent):.4g}: normalize it to length 1"
                )


def check_central_difference(fn) -> None:
    fn = without(fn, _refuse(AUTODIFF, "a finite difference uses values of f only"))
    f = lambda x: jnp.sin(3.0 * x[0]) * jnp.exp(x[1]) + x[2] ** 3
    f_numpy = lambda y: np.sin(3.0 * y[0]) * np.exp(y[1]) + y[2] ** 3
    got, central, forward, backward, exact = [], [], [], [], []
    for h in (0.05, 0.3):  # at h = 0.3 the estimate is far from the exact derivative
        for x in random_points(3, 3, 3, scale=0.5):
            x64 = f64(x)
            for i in range(3):
                step = h * np.eye(3)[i]
                got.append(f64(fn(f, x, i, h)))
                central.append((f_numpy(x64 + step) - f_numpy(x64 - step)) / (2 * h))
                forward.append((f_numpy(x64 + step) - f_numpy(x64)) / h)
                backward.append((f_numpy(x64) - f_numpy(x64 - step)) / h)
                exact.append(f64(jax.grad(f)(x))[i])
    mistakes = {
        "divide by 2 h, the distance between x - h e_i and x + h e_i (yours is twice the "
        "estimate)": 2.0 * np.array(central),
        "that is the one-sided (f(x + h e_i) - f(x)) / h; the central difference is "
        "(f(x + h e_i) - f(x - h e_i)) / (2 h)": forward,
        "that is the one-sided (f(x) - f(x - h e_i)) / h; the central difference is "
        "(f(x + h e_i) - f(x - h e_i)) / (2 h)": backward,
        "that is the exact derivative; return the finite-difference estimate with the step h "
        "you are given": exact,
    }
    assert_close_or_mistake(got, central, mistakes, rtol=1e-3, atol=1e-4, what="d_i estimates")


# -- Directional derivatives, the gradient, the chain rule -----------------------------------


def check_directional_derivative(fn) -> None:
    fn = without(
        fn,
        _refuse(
            ("jax.grad", "jax.value_and_grad", "jax.vjp", *HESSIAN_BUILDERS),
            "the exercise is one forward-mode jax.jvp, without the gradient or the Jacobian",
        ),
    )
    points, directions = random_points(4, 3, 3, 0.7), random_points(5, 3, 3, 2.0)
    got = np.stack([f64(fn(rosenbrock, x, v)) for x, v in zip(points, directions, strict=True)])
    grads = f64(jax.vmap(jax.grad(rosenbrock))(points))  # (3, 3)
    v64 = f64(directions)
    expected = np.sum(grads * v64, axis=-1)  # (3,)
    mistakes = {
        "do not normalize v: D_v f(x) = J_f(x) v for the v you are given": (
            expected / np.linalg.norm(v64, axis=-1)
        ),
        "jax.jvp returns (f(x), J v): you returned f(x), return the second output": (
            f64(jax.vmap(rosenbrock)(points))
        ),
    }
    scale = np.abs(expected).max()
    assert_close_or_mistake(got, expected, mistakes, rtol=1e-4, atol=1e-5 * scale, what="D_v f(x)")
    f = random_smooth_map(6, 3, 2)  # R^3 -> R^2: the answer is a vector, J v
    x, v = random_points(7, 2, 3)
    assert_close(fn(f, x, v), jax.jacrev(f)(x) @ v, rtol=1e-5, atol=1e-6, what="J v")


def check_steepest_ascent_direction(fn) -> None:
    points = random_points(8, 4, 2)
    grads = f64(jax.vmap(jax.grad(himmelblau))(points))  # (4, 2)
    unit = grads / np.linalg.norm(grads, axis=-1, keepdims=True)
    got = np.stack([f64(fn(himmelblau, x)) for x in points])
    mistakes = {
        "that is steepest descent, -grad f / |grad f|; ascent goes along +grad f": -unit,
        "normalize: return grad f / |grad f|, a unit vector": grads,
    }
    raise_if_mistake(got, mistakes)
    for direction, grad in zip(got, grads, strict=True):
        assert_close(np.linalg.norm(direction), 1.0, rtol=1e-4, what="|v|")
        assert_close(direction @ grad, np.linalg.norm(grad), rtol=1e-4, what="D_v f at your v")


COMPOSED = (
    "you differentiated x -> f(g(x)) in one go, which is JAX applying the chain rule for you: "
    "take J_f at the point g(x) and J_g at x separately, then multiply J_f @ J_g"
)


def separately_differentiated(f, g):
    """f and g that refuse to be differentiated as one composition.

    The wrapped g remembers each traced value it returns; the wrapped f raises
    CheckFailed(COMPOSED) when it receives one of them, which is what f(g(x)) inside
    jax.jacfwd/jacrev/jvp/vjp does. The chain rule's own route differentiates f at a
    point (a fresh tracer of f's own transform, or a plain array), so it is never refused.
    """
    traced_outputs: list = []

    def g_checked(x):
        y = g(x)
        if isinstance(y, jax.core.Tracer):
            traced_outputs.append(y)
        return y

    def f_checked(y):
        if any(y is output for output in traced_outputs):
            raise CheckFailed(COMPOSED)
        return f(y)

    return f_checked, g_checked


def check_composition_jacobian(fn) -> None:
    # (k, n, m) = (d_in, d_mid, d_out); the square case first, where J_g @ J_f and J_f(x)
    # can be computed, so those mistakes get their hints.
    for seed, (d_in, d_mid, d_out) in enumerate([(3, 3, 3), (3, 4, 2), (1, 3, 1)]):
        g, f = random_smooth_map(10 + seed, d_in, d_mid), random_smooth_map(20 + seed, d_mid, d_out)
        x = random_points(30 + seed, 1, d_in)[0]
        expected = f64(jax.jacrev(compose(f, g))(x))  # (m, k)
        jf, jg = f64(jax.jacfwd(f)(g(x))), f64(jax.jacfwd(g)(x))  # (m, n), (n, k)
        mistakes = {}
        if d_in == d_mid == d_out:
            mistakes = {
                "wrong order: J_{f o g} = J_f(g(x)) @ J_g(x), (m, n) @ (n, k)": jg @ jf,
                "evaluate J_f at the point g(x), not at x": f64(jax.jacfwd(f)(x)) @ jg,
            }
        got = fn(*separately_differentiated(f, g), x)
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-5, atol=1e-6, what="J_{f o g}")


def check_linear_approximation(fn) -> None:
    f = random_smooth_map(40, 3, 2)
    for x, h in zip(random_points(41, 3, 3), random_points(42, 3, 3, 0.5), strict=True):
        f_x, j_h = f64(f(x)), f64(jax.jacrev(f)(x) @ h)
        mistakes = {
            "add f(x): the linear approximation is f(x) + J_f(x) h, not J_f(x) h alone": j_h,
            "that is f(x + h) itself; return its linear approximation f(x) + J_f(x) h": f64(
                f(x + h)
            ),
        }
        got = fn(f, x, h)
        assert_close_or_mistake(got, f_x + j_h, mistakes, rtol=1e-5, atol=1e-6, what="f(x) + J h")


# -- Jacobians from JVPs and VJPs ----------------------------------------------------------


def jacobian_check(oracle, refused: dict[str, str], transposed_hint: str):
    def check(fn) -> None:
        fn = without(fn, refused)
        for seed, (d_in, d_out) in enumerate([(3, 2), (1, 4), (4, 1), (3, 3)]):
            f = random_smooth_map(50 + seed, d_in, d_out)
            x = random_points(60 + seed, 1, d_in)[0]
            expected = f64(oracle(f)(x))  # (m, n)
            mistakes = {transposed_hint: expected.T}
            assert_close_or_mistake(
                fn(f, x), expected, mistakes, rtol=1e-5, atol=1e-6, what="Jacobian"
            )

    return check


check_jacobian_from_vjps = jacobian_check(
    jax.jacrev,
    HESSIAN_BUILDERS
    | _refuse(FORWARD_MODE, "it is forward mode; build J from VJPs (jax.vjp), row by row"),
    "transposed: row i of J (m, n) is e_i^T J, the pullback of e_i; stack the rows, no .T",
)
check_jacobian_from_jvps = jacobian_check(
    jax.jacfwd,
    HESSIAN_BUILDERS
    | _refuse(REVERSE_MODE, "it is reverse mode; build J from JVPs (jax.jvp), column by column"),
    "transposed: J e_j is column j of J (m, n); vmapped JVPs give the columns as rows, so .T",
)


# -- Second order: HVP, critical points, Taylor --------------------------------------------

HVP_N = 7  # no other axis of the test problem has this length


def check_hvp(fn) -> None:
    fn = without(fn, HESSIAN_BUILDERS)
    for n, seed in ((4, 70), (HVP_N, 72)):
        for x, v in zip(
            random_points(seed, 3, n, 0.7), random_points(seed + 1, 3, n, 1.0), strict=True
        ):
            expected = f64(jax.hessian(rosenbrock)(x) @ v)
            got = f64(fn(rosenbrock, x, v))
            if got.shape == ():
                raise CheckFailed(
                    "H v is a vector (n,); a scalar is D_v f = grad f . v: take the JVP of "
                    "jax.grad(f), not of f"
                )
            mistakes = {
                "jax.jvp(jax.grad(f), ...) returns (grad f(x), H v): return the second output": (
                    f64(jax.grad(rosenbrock)(x))
                ),
            }
            scale = float(np.abs(expected).max())
            assert_close_or_mistake(
                got, expected, mistakes, rtol=1e-4, atol=1e-4 * scale, what="H v"
            )
    x, v = random_points(74, 2, HVP_N, 0.7)
    assert_no_square_intermediate(
        lambda x, v: fn(rosenbrock, x, v),
        (x, v),
        HVP_N,
        "that is a Hessian; H v is one JVP of jax.grad(f), no (n, n) matrix",
    )


def _diagonal_rule(hessian: np.ndarray, tol: float) -> str:
    """The kind read, wrongly, from the signs of the diagonal entries."""
    diagonal = np.diag(hessian)
    if diagonal.max() > tol and diagonal.min() < -tol:
        return "saddle"
    if np.any(np.abs(diagonal) <= tol):
        return "degenerate"
    return "minimum" if diagonal.min() > 0 else "maximum"


def check_classify_critical_point(fn) -> None:
    # First a saddle whose diagonal is all positive: [[1, 2], [2, 1]] has eigenvalues 3, -1.
    saddle = np.array([[1.0, 2.0], [2.0, 1.0]])
    got = fn(saddle)
    if got != "saddle" and got == _diagonal_rule(saddle, 1e-6):
        raise CheckFailed(
            "the kind comes from the eigenvalues of H (np.linalg.eigvalsh), not from the signs "
            "of its diagonal entries"
        )
    assert_equal(got, "saddle", what="kind for [[1, 2], [2, 1]] (eigenvalues 3 and -1)")
    zero = "|lambda| <= tol counts as zero, so the point is degenerate (use the tol argument)"
    cases = [  # eigenvalues, tol, kind, the hint when the answer is wrong; hinted ones first
        (
            [1.0, -1.0, 0.0],
            None,
            "saddle",
            "eigenvalues of both signs make a saddle even when one is zero: test for both "
            "signs before testing for a zero",
        ),
        ([2.0, 1e-8, 1.0], None, "degenerate", f"eigenvalues [2, 1e-8, 1], tol=1e-6: {zero}"),
        ([1.0, 3e-3, 2.0], 1e-2, "degenerate", f"eigenvalues [1, 3e-3, 2], tol=0.01: {zero}"),
        ([2.0, 0.5, 1.0], None, "minimum", None),
        ([-1.0, -0.3], None, "maximum", None),
        ([3.0, -2.0, 1.0], None, "saddle", None),
        ([0.0, 4.0], None, "degenerate", None),
        ([-2.0, 0.0, -1.0], None, "degenerate", None),
    ]
    rng = np.random.default_rng(80)
    for eigenvalues, tol, kind, hint in cases:
        q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))  # a random rotation
        hessian = q @ np.diag(eigenvalues) @ q.T
        got = fn(hessian) if tol is None else fn(hessian, tol)
        if got != kind and hint:
            raise CheckFailed(hint)
        assert_equal(got, kind, what=f"kind for eigenvalues {eigenvalues}")


def check_taylor_second_order(fn) -> None:
    for x, h in zip(random_points(90, 3, 3, 0.7), random_points(91, 3, 3, 0.3), strict=True):
        value, g, hess = rosenbrock(x), jax.grad(rosenbrock)(x), jax.hessian(rosenbrock)(x)
        first, second = f64(value + g @ h), f64(h @ hess @ h)
        mistakes = {
            "the quadratic term is 1/2 h^T H h: you left out the 1/2": first + second,
            "add the second-order term 1/2 h^T H_f(x) h": first,
            "that is f(x + h) itself; return its Taylor polynomial": f64(rosenbrock(x + h)),
        }
        got = fn(rosenbrock, x, h)
        assert_close_or_mistake(
            got, first + 0.5 * second, mistakes, rtol=1e-4, atol=1e-3, what="T2(h)"
        )


# -- Lagrange multipliers by Newton's method ------------------------------------------------


def lagrangian_derivatives(f, g, n: int):
    """z -> (grad_z L, H_L, H_f) for L(z) = f(x) + lam . g(x), z = (x, lam), x = z[:n], by
    jax.grad and jax.hessian (jitted): grad_z L = (grad_x L, g(x)) is the F of Newton's
    method and H_L its Jacobian J_F."""
    lagrangian = lambda z: f(z[:n]) + z[n:] @ g(z[:n])
    return jax.jit(
        lambda z: (jax.grad(lagrangian)(z), jax.hessian(lagrangian)(z), jax.hessian(f)(z[:n]))
    )


def newton_kkt_path(derivatives, z0: np.ndarray, n: int, n_steps: int, mistake: str = ""):
    """z_0 .. z_{n_steps} of full Newton steps z <- z - J_F(z)^{-1} F(z), F and J_F from
    `derivatives` (see lagrangian_derivatives), solved in float64. -> (n_steps + 1, n + k).

    mistake, for its hint: "hessian of f", H_f in the top-left block of J_F instead of
    H_f + sum_i lam_i H_{g_i}; "plus", the step z + J_F^{-1} F; "minus g", Newton on
    L = f - lam . g, whose derivatives at (x, lam) are those of L at (x, -lam) with the
    lam rows and columns negated."""
    flip = np.where(np.arange(z0.shape[0]) < n, 1.0, -1.0)  # (n + k,)
    path = [np.asarray(z0, dtype=np.float64)]
    for _ in range(n_steps):
        z = path[-1] * flip if mistake == "minus g" else path[-1]
        grad, kkt, hessian_f = map(f64, derivatives(jnp.asarray(z, dtype=jnp.float32)))
        if mistake == "minus g":
            grad, kkt = flip * grad, flip[:, None] * kkt * flip[None, :]
        if mistake == "hessian of f":
            kkt[:n, :n] = hessian_f
        step = np.linalg.solve(kkt, grad)  # (n + k,)
        path.append(path[-1] + step if mistake == "plus" else path[-1] - step)
    return np.stack(path)


KKT_A = jnp.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]])


def kkt_objective(x):  # R^3 -> R, curved so that Newton's step depends on its Hessian
    return 0.5 * x @ KKT_A @ x + jnp.array([1.0, -1.0, 0.5]) @ x + 0.1 * jnp.sum(x**4)


def kkt_constraints(x):  # R^3 -> R^2, both curved
    return jnp.stack([x @ x - 2.0, x[0] + x[1] * x[2] - 0.3])


@functools.cache
def kkt_derivatives():
    """lagrangian_derivatives of the test problem, compiled once."""
    return lagrangian_derivatives(kkt_objective, kkt_constraints, 3)


def check_lagrange_newton_steps(fn: Callable) -> None:
    """With n_steps = 1 and 2, the answer is exactly that many Newton steps from (x0, lam0)."""
    f, g = kkt_objective, kkt_constraints
    x0, lam0 = jnp.array([-0.2, 1.2, 0.6]), jnp.array([0.2, -0.8])  # near a solution
    n, derivatives, z0 = x0.shape[0], kkt_derivatives(), np.concatenate([f64(x0), f64(lam0)])
    right = newton_kkt_path(derivatives, z0, n, 8)  # converged (|F| ~ 1e-7) by step 4
    wrong = {
        "L = f + lam . g (a plus sign): your multipliers have the opposite sign": "minus g",
        "the top-left block of J_F is the Hessian of the Lagrangian, H_f + sum_i lam_i "
        "H_{g_i}, not H_f alone": "hessian of f",
        "the Newton step is z - J_F^{-1} F (a minus sign)": "plus",
    }
    wrong = {hint: newton_kkt_path(derivatives, z0, n, 2, m) for hint, m in wrong.items()}
    count = "take exactly n_steps full Newton steps, with no convergence test"
    for n_steps in (1, 2):
        x, lam = fn(f, g, x0, lam0, n_steps)
        got = np.concatenate([f64(x).ravel(), f64(lam).ravel()])
        mistakes = {
            **{hint: path[n_steps] for hint, path in wrong.items()},
            f"with n_steps={n_steps} you return the converged point: {count}": right[-1],
            **{
                f"with n_steps={n_steps} you took {k} steps: {count}": right[k]
                for k in (n_steps - 1, n_steps + 1)
            },
        }
        moved = not np.allclose(got[:n], z0[:n], atol=1e-6)
        if got.shape == z0.shape and moved and np.allclose(got[n:], z0[n:], atol=1e-6):
            raise CheckFailed("update lam too: Newton runs on z = (x, lam) jointly")
        assert_close_or_mistake(
            got,
            right[n_steps],
            mistakes,
            rtol=1e-4,
            atol=1e-5,
            what=f"(x, lam) after n_steps={n_steps} Newton steps on (grad_x L, g) = 0",
        )


def check_lagrange_newton(fn) -> None:
    fn = without(fn, SCIPY_SOLVERS)
    check_lagrange_newton_steps(fn)
    circle = lambda x: jnp.stack([x @ x - 1.0])
    for c in random_points(100, 2, 2, 1.0):
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
        check_jacobian_from_vjps,
    ),
    Exercise(
        "jacobian_from_jvps",
        "Jacobian–vector and vector–Jacobian products",
        check_jacobian_from_jvps,
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
