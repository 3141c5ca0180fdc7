"""Exercises for lesson 01, multivariable calculus. Fill in each function, then run

    jlr check 01

Each function is graded on random inputs against an independent answer (a JAX transform, a
closed form or scipy). Use `jax` and `jax.numpy` freely, but where a docstring asks for a
particular tool (`jax.jvp`, `jax.vjp`, Newton's method), use that tool: it is the point.
"""

import jax
import jax.numpy as jnp
import numpy as np


def polar_to_cartesian(r_theta):
    """The map R^2 -> R^2, (r, theta) -> (r cos theta, r sin theta).

    r_theta: (2,) -> (2,). It should work under jax.vmap and jax.jacfwd.
    """
    raise NotImplementedError


def level_set_tangent(f, x):
    """A unit vector tangent to the level curve {f = f(x)} of f: R^2 -> R at x.

    Hint: the gradient is orthogonal to level sets; turn it by 90 degrees.
    x: (2,) -> (2,) with norm 1.
    """
    raise NotImplementedError


def central_difference(f, x, i, h):
    """The central difference (f(x + h e_i) - f(x - h e_i)) / (2 h), an estimate of d_i f(x).

    From values of f only: no autodiff (jax.grad, jax.jvp, jax.vjp, the Jacobian builders).
    f: R^n -> R, x: (n,), i: an axis index, h: the step -> scalar.
    """
    raise NotImplementedError


def directional_derivative(f, x, v):
    """D_v f(x) = d/dt f(x + t v) at t = 0, with one call to jax.jvp.

    No jax.grad, jax.value_and_grad, jax.vjp, jax.jacfwd/jacrev/jacobian or jax.hessian, and
    v is used as given (not normalized). x, v: (n,) -> the shape of f(x).
    """
    raise NotImplementedError


def steepest_ascent_direction(f, x):
    """The unit vector v that maximizes the directional derivative D_v f(x).

    f: R^n -> R, x: (n,) -> (n,) with norm 1.
    """
    raise NotImplementedError


def composition_jacobian(f, g, x):
    """The Jacobian of f o g at x as the product of the Jacobians of f (at g(x)) and of g (at x).

    Differentiate f and g separately and multiply: differentiating x -> f(g(x)) in one go
    (jax.jacfwd of the composition) is JAX doing the chain rule for you, and is refused.
    g: R^k -> R^n, f: R^n -> R^m, x: (k,) -> (m, k).
    """
    raise NotImplementedError


def linear_approximation(f, x, h):
    """The linear approximation f(x) + J_f(x) h of f(x + h).

    f: R^n -> R^m, x, h: (n,) -> (m,).
    """
    raise NotImplementedError


def jacobian_from_vjps(f, x):
    """The Jacobian of f: R^n -> R^m at x, built row by row from vector-Jacobian products.

    Use jax.vjp once and its pullback on each basis vector e_i of R^m: no forward mode
    (jax.jvp, jax.linearize) and no jax.jacrev/jacfwd/jacobian/hessian. x: (n,) -> (m, n).
    """
    raise NotImplementedError


def jacobian_from_jvps(f, x):
    """The Jacobian of f: R^n -> R^m at x, built column by column from Jacobian-vector products.

    Use jax.jvp on each basis vector e_j of R^n: no reverse mode (jax.vjp, jax.grad,
    jax.linear_transpose) and no jax.jacrev/jacfwd/jacobian/hessian. x: (n,) -> (m, n).
    """
    raise NotImplementedError


def hvp(f, x, v):
    """The Hessian-vector product H_f(x) v, without forming the Hessian matrix.

    Hint: H v is the directional derivative of the gradient along v. No jax.hessian,
    jax.jacfwd/jacrev/jacobian, and no (n, n) array at all (the check traces your function
    with jax.make_jaxpr, so keep to jax and jax.numpy). x, v: (n,) -> (n,).
    """
    raise NotImplementedError


def classify_critical_point(hessian, tol=1e-6):
    """Classify a critical point from its symmetric Hessian (n, n).

    Return "minimum", "maximum", "saddle" or "degenerate", from the signs of its eigenvalues.
    Treat an eigenvalue with |lambda| <= tol as zero; eigenvalues of both signs make a saddle
    even if one is zero.
    """
    raise NotImplementedError


def taylor_second_order(f, x, h):
    """The second-order Taylor polynomial f(x) + grad f(x) . h + 1/2 h^T H_f(x) h.

    f: R^n -> R, x, h: (n,) -> scalar.
    """
    raise NotImplementedError


def lagrange_newton(f, g, x0, lam0, n_steps=20):
    """A stationary point of the Lagrangian L(x, lam) = f(x) + lam . g(x) by Newton's method.

    Solve grad_x L(x, lam) = 0 and g(x) = 0 for z = (x, lam), starting from (x0, lam0):
    z <- z - J_F(z)^{-1} F(z), exactly n_steps full steps (no convergence test: with
    n_steps=1 the answer is one Newton step), written yourself: no scipy.optimize.
    f: R^n -> R, g: R^n -> R^k, x0: (n,), lam0: (k,) -> (x: (n,), lam: (k,)).
    """
    raise NotImplementedError
