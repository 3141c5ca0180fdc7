"""Lesson 01's checks: every topic has an exercise, in the stub file's order; each plausible
wrong answer fails with its own hint; right answers written by hand (no jlr) pass, however
they are routed (forward or reverse mode, one sign or the other).

That every reference solution passes and every stub fails is proved for all lessons at once
by tests/course/test_checker_can_fail_and_pass.py.
"""

from __future__ import annotations

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from exercise_helpers import (
    assert_exercises_cover_the_section,
    assert_mistake_fails,
    mistake_cases,
)

from jlr.calculus.chain_rule import compose
from jlr.course.checker import grade
from jlr.course.checks.calculus import EXERCISES

SECTION = "01"
BY_NAME = {exercise.name: exercise for exercise in EXERCISES}


def unit(v):
    return v / jnp.linalg.norm(v)


def newton(f, g, x0, lam0, n_steps=20, *, sign=-1.0, curvature=True, lam_sign=1.0, lam=True):
    """Newton on (grad_x L, g) = 0, L = f + lam_sign lam . g, with the slips a learner makes:
    sign=+1 (z + J^{-1} F), curvature=False (H_f for the top-left block), lam=False (lam
    never updated)."""
    n = x0.shape[0]

    def residual(z):
        x, multipliers = z[:n], z[n:]
        grad_l = jax.grad(lambda y: f(y) + lam_sign * multipliers @ g(y))(x)
        return jnp.concatenate([grad_l, g(x)])

    z = jnp.concatenate([x0, lam0])
    for _ in range(n_steps):
        jacobian = jax.jacfwd(residual)(z)
        if not curvature:
            jacobian = jacobian.at[:n, :n].set(jax.hessian(f)(z[:n]))
        z = z + sign * jnp.linalg.solve(jacobian, residual(z))
        if not lam:
            z = z.at[n:].set(lam0)
    return z[:n], z[n:]


def slsqp(f, g, x0, lam0, n_steps=20):  # scipy's SQP, not Newton written by hand
    result = scipy.optimize.minimize(
        lambda x: float(f(jnp.asarray(x, jnp.float32))),
        np.asarray(x0),
        method="SLSQP",
        constraints={"type": "eq", "fun": lambda x: np.asarray(g(jnp.asarray(x, jnp.float32)))},
    )
    return jnp.asarray(result.x), lam0


def gradient_descent_on_lagrangian(f, g, x0, lam0, n_steps=20):  # a first-order method
    n = x0.shape[0]
    z = jnp.concatenate([x0, lam0])
    for _ in range(n_steps):
        grad = jax.grad(lambda z: f(z[:n]) + z[n:] @ g(z[:n]))(z)
        z = z - 0.1 * grad.at[n:].multiply(-1.0)  # descent in x, ascent in lam
    return z[:n], z[n:]


def hvp_columns(f, x, v):  # the Hessian built from n HVPs, then multiplied by v
    column = lambda e: jax.jvp(jax.grad(f), (x,), (e,))[1]
    return jax.vmap(column)(jnp.eye(x.shape[0])) @ v


def diagonal_rule(hessian, tol=1e-6):
    d = np.diag(hessian)
    if d.max() > tol and d.min() < -tol:
        return "saddle"
    if np.any(np.abs(d) <= tol):
        return "degenerate"
    return "minimum" if d.min() > 0 else "maximum"


def eigen_rule(hessian, tol=1e-6, *, zero_first=False, ignore_tol=False):
    ev = np.linalg.eigvalsh(np.asarray(hessian))
    tol = 1e-6 if ignore_tol else tol
    if zero_first and np.any(np.abs(ev) <= tol):
        return "degenerate"
    if ev.max() > tol and ev.min() < -tol:
        return "saddle"
    if np.any(np.abs(ev) <= tol):
        return "degenerate"
    return "minimum" if ev.min() > 0 else "maximum"


def strict_sign_rule(hessian, tol=1e-6):  # tol ignored: only an exact 0 counts as zero
    ev = np.linalg.eigvalsh(np.asarray(hessian))
    if ev.max() > 0 and ev.min() < 0:
        return "saddle"
    if np.any(ev == 0):
        return "degenerate"
    return "minimum" if ev.min() > 0 else "maximum"


def first_order_taylor(f, x, h):
    return f(x) + jax.grad(f)(x) @ h


MISTAKES = {
    "polar_to_cartesian": [
        # sin and cos swapped
        (
            r"components are swapped",
            lambda rt: jnp.stack([rt[0] * jnp.sin(rt[1]), rt[0] * jnp.cos(rt[1])]),
        ),
        # (theta, r) read in the wrong order
        (
            r"r is r_theta\[0\]",
            lambda rt: jnp.stack([rt[1] * jnp.cos(rt[0]), rt[1] * jnp.sin(rt[0])]),
        ),
        # numpy instead of jax.numpy: right values, but no jacfwd/vmap
        (
            r"jax\.jacfwd and jax\.vmap",
            lambda rt: np.array([rt[0] * np.cos(rt[1]), rt[0] * np.sin(rt[1])]),
        ),
    ],
    "level_set_tangent": [
        # the unit normal (the gradient direction) instead of the tangent
        (r"along the gradient", lambda f, x: unit(jax.grad(f)(x))),
        # turned by 90 degrees but not normalized
        (r"normalize", lambda f, x: jnp.stack([-jax.grad(f)(x)[1], jax.grad(f)(x)[0]])),
        # components swapped without the sign: a reflection
        (r"reflects the gradient", lambda f, x: unit(jax.grad(f)(x)[::-1])),
    ],
    "central_difference": [
        # forward difference
        (
            r"one-sided \(f\(x \+ h e_i\) - f\(x\)\) / h",
            lambda f, x, i, h: (f(x.at[i].add(h)) - f(x)) / h,
        ),
        # divided by h instead of 2 h
        (r"divide by 2 h", lambda f, x, i, h: (f(x.at[i].add(h)) - f(x.at[i].add(-h))) / h),
        # the exact derivative by autodiff
        (r"jax\.grad is off limits.*values of f", lambda f, x, i, h: jax.grad(f)(x)[i]),
        (r"jax\.jvp is off limits", lambda f, x, i, h: jax.jvp(f, (x,), (jnp.eye(3)[i],))[1]),
    ],
    "directional_derivative": [
        # the gradient, the shortcut the exercise avoids
        (r"jax\.grad is off limits.*one forward-mode jax\.jvp", lambda f, x, v: jax.grad(f)(x) @ v),
        (r"jax\.jacrev is off limits", lambda f, x, v: jax.jacrev(f)(x) @ v),
        (r"jax\.vjp is off limits", lambda f, x, v: jax.vjp(f, x)[1](jnp.ones(()))[0] @ v),
        # v normalized first
        (r"do not normalize v", lambda f, x, v: jax.jvp(f, (x,), (unit(v),))[1]),
        # the primal output of jax.jvp
        (r"you returned f\(x\)", lambda f, x, v: jax.jvp(f, (x,), (v,))[0]),
    ],
    "steepest_ascent_direction": [
        # descent instead of ascent
        (r"steepest descent", lambda f, x: -unit(jax.grad(f)(x))),
        # the gradient, not normalized
        (r"normalize", lambda f, x: jax.grad(f)(x)),
    ],
    "composition_jacobian": [
        # the shortcut: differentiate the composition as one function
        (r"in one go", lambda f, g, x: jax.jacfwd(lambda y: f(g(y)))(x)),
        (r"in one go", lambda f, g, x: jax.jacrev(compose(f, g))(x)),
        (r"in one go", lambda f, g, x: jax.jacobian(lambda y: f(g(y)))(x)),
        # the product in the wrong order
        (r"wrong order", lambda f, g, x: jax.jacfwd(g)(x) @ jax.jacfwd(f)(g(x))),
        # J_f evaluated at x instead of g(x)
        (r"at the point g\(x\), not at x", lambda f, g, x: jax.jacfwd(f)(x) @ jax.jacfwd(g)(x)),
    ],
    "linear_approximation": [
        # J h without f(x)
        (r"add f\(x\)", lambda f, x, h: jax.jvp(f, (x,), (h,))[1]),
        # the function itself at x + h
        (r"f\(x \+ h\) itself", lambda f, x, h: f(x + h)),
    ],
    "jacobian_from_vjps": [
        # the shortcut and the other mode
        (r"jax\.jacrev is off limits", lambda f, x: jax.jacrev(f)(x)),
        (r"jax\.jacfwd is off limits", lambda f, x: jax.jacfwd(f)(x)),
        (
            r"jax\.jvp is off limits.*forward mode",
            lambda f, x: jax.vmap(lambda e: jax.jvp(f, (x,), (e,))[1], out_axes=1)(
                jnp.eye(x.shape[0])
            ),
        ),
        # the rows stacked as columns
        (
            r"transposed",
            lambda f, x: jax.vmap(jax.vjp(f, x)[1])(jnp.eye(f(x).shape[0]))[0].T,
        ),
    ],
    "jacobian_from_jvps": [
        (r"jax\.jacfwd is off limits", lambda f, x: jax.jacfwd(f)(x)),
        (
            r"jax\.vjp is off limits.*reverse mode",
            lambda f, x: jax.vmap(jax.vjp(f, x)[1])(jnp.eye(f(x).shape[0]))[0],
        ),
        (
            r"jax\.grad is off limits.*reverse mode",
            lambda f, x: jnp.stack(
                [jax.grad(lambda y, i=i: f(y)[i])(x) for i in range(f(x).shape[0])]
            ),
        ),
        # the vmapped JVPs are the columns, as rows: .T forgotten
        (
            r"transposed",
            lambda f, x: jax.vmap(lambda e: jax.jvp(f, (x,), (e,))[1])(jnp.eye(x.shape[0])),
        ),
    ],
    "hvp": [
        # the Hessian, the shortcut the exercise avoids, however it is built
        (r"jax\.hessian is off limits", lambda f, x, v: jax.hessian(f)(x) @ v),
        (r"jax\.jacfwd is off limits", lambda f, x, v: jax.jacfwd(jax.grad(f))(x) @ v),
        (r"\(7, 7\) array.*no \(n, n\) matrix", hvp_columns),
        # the primal output of jax.jvp: grad f(x)
        (r"returns \(grad f\(x\), H v\)", lambda f, x, v: jax.jvp(jax.grad(f), (x,), (v,))[0]),
        # the JVP of f, not of its gradient
        (r"H v is a vector", lambda f, x, v: jax.jvp(f, (x,), (v,))[1]),
    ],
    "classify_critical_point": [
        (r"eigenvalues of H.*not from the signs of its diagonal", diagonal_rule),
        # the zero test before the saddle test
        (r"both signs make a saddle", lambda h, tol=1e-6: eigen_rule(h, tol, zero_first=True)),
        # tol ignored: only an exact 0 is zero
        (r"1e-8.*counts as zero", strict_sign_rule),
        # the tol argument ignored, 1e-6 hard-coded
        (r"tol=0\.01.*counts as zero", lambda h, tol=1e-6: eigen_rule(h, tol, ignore_tol=True)),
    ],
    "taylor_second_order": [
        # no 1/2 on the quadratic term
        (
            r"left out the 1/2",
            lambda f, x, h: first_order_taylor(f, x, h) + h @ jax.hessian(f)(x) @ h,
        ),
        # first order only
        (r"add the second-order term", first_order_taylor),
        # the function itself
        (r"f\(x \+ h\) itself", lambda f, x, h: f(x + h)),
    ],
    "lagrange_newton": [
        (r"scipy\.optimize\.minimize is off limits", slsqp),
        # H_f for the top-left block of the Newton matrix
        (r"Hessian of the Lagrangian", lambda *a, **k: newton(*a, **k, curvature=False)),
        # L = f - lam . g
        (r"opposite sign", lambda *a, **k: newton(*a, **k, lam_sign=-1.0)),
        # z + J^{-1} F
        (r"a minus sign", lambda *a, **k: newton(*a, **k, sign=1.0)),
        # lam never updated
        (r"update lam too", lambda *a, **k: newton(*a, **k, lam=False)),
        # run to convergence whatever n_steps says
        (r"converged point", lambda f, g, x0, lam0, n_steps=20: newton(f, g, x0, lam0, 40)),
        # one step too many
        (
            r"you took 2 steps",
            lambda f, g, x0, lam0, n_steps=20: newton(f, g, x0, lam0, n_steps + 1),
        ),
        # a first-order method
        (r"after n_steps=1 Newton steps", gradient_descent_on_lagrangian),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


def test_every_topic_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section(SECTION)


# -- Right answers pass, by any route ----------------------------------------------------------


def jf_at_gx_times_jg(f, g, x):
    return jax.jacfwd(f)(g(x)) @ jax.jacfwd(g)(x)  # (m, n) @ (n, k)


def from_vjp_of_g(f, g, x):
    y, pullback = jax.vjp(g, x)  # y = g(x), from the VJP's forward pass
    jg = jax.vmap(pullback)(jnp.eye(y.shape[0]))[0]  # (n, k)
    return jax.jacrev(f)(y) @ jg


def columns_pushed_through_f(f, g, x):
    y = g(x)
    jg = jax.jacfwd(g)(x)  # (n, k)
    return jax.vmap(lambda col: jax.jvp(f, (y,), (col,))[1], in_axes=1, out_axes=1)(jg)


def jitted_chain_rule(f, g, x):
    return jax.jit(jf_at_gx_times_jg, static_argnums=(0, 1))(f, g, x)


@pytest.mark.parametrize(
    "route", [jf_at_gx_times_jg, from_vjp_of_g, columns_pushed_through_f, jitted_chain_rule]
)
def test_every_chain_rule_route_passes(route):
    BY_NAME["composition_jacobian"].check(route)


def test_a_hand_written_newton_passes():
    BY_NAME["lagrange_newton"].check(newton)


HAND_WRITTEN = textwrap.dedent(
    """
    import jax
    import jax.numpy as jnp
    import numpy as np


    def polar_to_cartesian(r_theta):
        r, theta = r_theta[0], r_theta[1]
        return jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)])


    def level_set_tangent(f, x):
        g = jax.grad(f)(x)
        t = jnp.stack([g[1], -g[0]])  # the other of the two unit tangents
        return t / jnp.linalg.norm(t)


    def central_difference(f, x, i, h):
        step = jnp.zeros_like(x).at[i].set(h)
        return (f(x + step) - f(x - step)) / (2.0 * h)


    def directional_derivative(f, x, v):
        return jax.jvp(f, (x,), (v,))[1]


    def steepest_ascent_direction(f, x):
        g = jax.grad(f)(x)
        return g / jnp.linalg.norm(g)


    def composition_jacobian(f, g, x):
        y = g(x)
        return jax.jacrev(f)(y) @ jax.jacfwd(g)(x)


    def linear_approximation(f, x, h):
        return f(x) + jax.jacfwd(f)(x) @ h


    def jacobian_from_vjps(f, x):
        y, pullback = jax.vjp(f, x)
        return jnp.stack([pullback(e)[0] for e in jnp.eye(y.shape[0])])


    def jacobian_from_jvps(f, x):
        return jnp.stack([jax.jvp(f, (x,), (e,))[1] for e in jnp.eye(x.shape[0])], axis=1)


    def hvp(f, x, v):  # reverse over reverse: the gradient of grad f . v
        return jax.grad(lambda y: jnp.vdot(jax.grad(f)(y), v))(x)


    def classify_critical_point(hessian, tol=1e-6):
        ev = np.linalg.eigvalsh(np.asarray(hessian))
        positive, negative = ev > tol, ev < -tol
        if positive.any() and negative.any():
            return "saddle"
        if not (positive | negative).all():
            return "degenerate"
        return "minimum" if positive.all() else "maximum"


    def taylor_second_order(f, x, h):
        return f(x) + jax.grad(f)(x) @ h + 0.5 * h @ jax.hessian(f)(x) @ h


    def lagrange_newton(f, g, x0, lam0, n_steps=20):
        n = x0.shape[0]

        def residual(z):
            x, lam = z[:n], z[n:]
            return jnp.concatenate([jax.grad(lambda y: f(y) + lam @ g(y))(x), g(x)])

        z = jnp.concatenate([x0, lam0])
        for _ in range(n_steps):
            z = z - jnp.linalg.solve(jax.jacfwd(residual)(z), residual(z))
        return z[:n], z[n:]
    """
)


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("calculus") / "01_calculus.py"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return grade(SECTION, path)


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_right_hand_written_answer_passes(hand_written_report, name):
    result = {r.name: r for r in hand_written_report.results}[name]
    assert result.outcome == "PASS", result.line
