"""Reference solutions to exercises/01_calculus.py (lesson 01, multivariable calculus)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def polar_to_cartesian(r_theta):
    """(r, theta) -> (r cos theta, r sin theta): a map R^2 -> R^2. (2,) -> (2,)."""
    r, theta = r_theta
    return jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)])


def level_set_tangent(f, x):
    """Unit tangent of the level curve of f: R^2 -> R through x. (2,) -> (2,)."""
    grad = jax.grad(f)(x)
    tangent = jnp.stack([-grad[1], grad[0]])
    return tangent / jnp.linalg.norm(tangent)


def central_difference(f, x, i, h):
    """(f(x + h e_i) - f(x - h e_i)) / (2 h). x: (n,) -> scalar."""
    e_i = jnp.zeros_like(x).at[i].set(1.0)
    return (f(x + h * e_i) - f(x - h * e_i)) / (2.0 * h)


def directional_derivative(f, x, v):
    """D_v f(x) = J_f(x) v with one jax.jvp. x, v: (n,) -> shape of f(x)."""
    return jax.jvp(f, (x,), (v,))[1]


def steepest_ascent_direction(f, x):
    """The unit vector v maximizing D_v f(x). x: (n,) -> (n,)."""
    grad = jax.grad(f)(x)
    return grad / jnp.linalg.norm(grad)


def composition_jacobian(f, g, x):
    """J_{f o g}(x) = J_f(g(x)) @ J_g(x). x: (k,) -> (m, k)."""
    return jax.jacfwd(f)(g(x)) @ jax.jacfwd(g)(x)


def linear_approximation(f, x, h):
    """f(x) + J_f(x) h. x, h: (n,) -> (m,)."""
    f_x, j_h = jax.jvp(f, (x,), (h,))
    return f_x + j_h


def jacobian_from_vjps(f, x):
    """The Jacobian (m, n) of f at x, row i = e_i^T J from one VJP each."""
    y, pullback = jax.vjp(f, x)
    return jax.vmap(lambda e_i: pullback(e_i)[0])(jnp.eye(y.shape[0], dtype=y.dtype))


def jacobian_from_jvps(f, x):
    """The Jacobian (m, n) of f at x, column j = J e_j from one JVP each."""
    columns = jax.vmap(lambda e_j: jax.jvp(f, (x,), (e_j,))[1])(jnp.eye(x.shape[0], dtype=x.dtype))
    return columns.T


def hvp(f, x, v):
    """H_f(x) v without forming H: the JVP of grad f. x, v: (n,) -> (n,)."""
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def classify_critical_point(hessian, tol=1e-6):
    """'minimum', 'maximum', 'saddle' or 'degenerate' from the eigenvalues of H."""
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian))
    if eigenvalues.max() > tol and eigenvalues.min() < -tol:
        return "saddle"
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    return "minimum" if eigenvalues.min() > 0 else "maximum"


def taylor_second_order(f, x, h):
    """f(x) + grad f(x) . h + 1/2 h^T H h. x, h: (n,) -> scalar."""
    f_x, slope = jax.jvp(f, (x,), (h,))
    return f_x + slope + 0.5 * h @ hvp(f, x, h)


def lagrange_newton(f, g, x0, lam0, n_steps=20):
    """Stationary point of L = f + lam . g by Newton on (grad_x L, g) = 0. -> (x, lam)."""
    n = x0.shape[0]

    def residual(z):
        x, lam = z[:n], z[n:]
        grad_l = jax.grad(lambda y: f(y) + lam @ g(y))(x)
        return jnp.concatenate([grad_l, g(x)])

    z = jnp.concatenate([x0, lam0])
    for _ in range(n_steps):
        z = z - jnp.linalg.solve(jax.jacfwd(residual)(z), residual(z))
    return z[:n], z[n:]
