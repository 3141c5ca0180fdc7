"""Constrained optimization: Lagrange multipliers and the KKT conditions.

Equality constraints. To optimize f(x) subject to g(x) = 0 (g: R^n -> R^k), look for
stationary points of the Lagrangian L(x, lam) = f(x) + lam . g(x):
    grad_x L = grad f(x) + J_g(x)^T lam = 0,    g(x) = 0,
n + k equations in n + k unknowns, solved here by Newton's method. The first equation says
grad f is a combination of the constraint gradients: for one constraint, grad f is
parallel to grad g at the optimum (the level set of f touches the constraint curve).

Inequality constraints c(x) <= 0 (c: R^n -> R^p) add multipliers mu >= 0 with
complementary slackness mu_i c_i(x) = 0 (Karush 1939, Kuhn & Tucker 1951). For a small p,
enumerate the 2^p active sets: constraints in the set are equalities, the others have
mu_i = 0; keep the solutions that are feasible with mu >= 0, and return the best one.
(That is exact for convex problems; in general it returns the best KKT point found.)
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp


def no_constraints(x: jax.Array) -> jax.Array:
    """The empty constraint function R^n -> R^0."""
    return jnp.zeros((0,), dtype=x.dtype)


def lagrangian(f, g, x: jax.Array, lam: jax.Array) -> jax.Array:
    """L(x, lam) = f(x) + lam . g(x). x: (n,), lam: (k,) -> scalar."""
    return f(x) + lam @ g(x)


def newton_solve(residual, z0: jax.Array, n_steps: int) -> jax.Array:
    """Newton's method z <- z - J_F(z)^{-1} F(z), n_steps times, for F: R^d -> R^d. z0: (d,)."""

    def step(z, _):
        return z - jnp.linalg.solve(jax.jacfwd(residual)(z), residual(z)), None

    z, _ = jax.lax.scan(step, z0, None, length=n_steps)
    return z


def multiplier_estimate(f, g, x: jax.Array) -> jax.Array:
    """The lam minimizing |grad f(x) + J_g(x)^T lam| (least squares). x: (n,) -> (k,).

    Exact at a constrained stationary point; elsewhere a good start for Newton (lam = 0 can
    make the Newton matrix singular, e.g. for a linear f, whose Hessian is 0).
    """
    return jnp.linalg.lstsq(jax.jacfwd(g)(x).T, -jax.grad(f)(x))[0]


def lagrange_newton(f, g, x0: jax.Array, lam0: jax.Array | None = None, n_steps: int = 30):
    """Solve grad_x L = 0, g(x) = 0 by Newton on z = (x, lam). (n,), (k,) -> x (n,), lam (k,).

    Converges to the stationary point near (x0, lam0), a minimum or a maximum (or a saddle)
    of f on the constraint set. lam0 defaults to `multiplier_estimate(f, g, x0)`.
    """
    n = x0.shape[0]
    lam0 = multiplier_estimate(f, g, x0) if lam0 is None else lam0

    def residual(z):  # (n + k,) -> (n + k,)
        x, lam = z[:n], z[n:]
        return jnp.concatenate([jax.grad(lagrangian, argnums=2)(f, g, x, lam), g(x)])

    z = newton_solve(residual, jnp.concatenate([x0, lam0]), n_steps)
    return z[:n], z[n:]


class KKTResult(NamedTuple):
    x: jax.Array  # (n,) the solution
    lam: jax.Array  # (k,) multipliers of the equalities g(x) = 0
    mu: jax.Array  # (p,) multipliers of the inequalities c(x) <= 0, all >= 0
    active: jax.Array  # (p,) bool, c_i(x) = 0 was imposed
    objective: jax.Array  # () f(x)


def kkt_residual(f, g, c, x, lam, mu, active) -> jax.Array:
    """Stationarity grad f + J_g^T lam + J_c^T mu, g(x), and c_i(x) (active) or mu_i (inactive)."""
    stationarity = jax.grad(lambda y: f(y) + lam @ g(y) + mu @ c(y))(x)
    return jnp.concatenate([stationarity, g(x), jnp.where(active, c(x), mu)])


def solve_kkt(f, c, x0: jax.Array, g=no_constraints, n_steps: int = 30, tol: float = 1e-5):
    """min f(x) s.t. c(x) <= 0 and g(x) = 0, for a few inequalities, by active-set enumeration.

    x0: (n,) starting point for each Newton solve -> KKTResult. Raises ValueError if no
    active set gives a feasible KKT point.
    """
    n, k, p = x0.shape[0], g(x0).shape[0], c(x0).shape[0]
    masks = jnp.array(list(itertools.product([False, True], repeat=p)), dtype=bool)  # (2^p, p)

    def solve_for(active):
        def residual(z):
            return kkt_residual(f, g, c, z[:n], z[n : n + k], z[n + k :], active)

        z = newton_solve(residual, jnp.concatenate([x0, jnp.zeros(k + p, x0.dtype)]), n_steps)
        x, lam, mu = z[:n], z[n : n + k], z[n + k :]
        ok = (
            (jnp.linalg.norm(residual(z)) <= tol)
            & jnp.all(c(x) <= tol)
            & jnp.all(mu >= -tol)
            & jnp.all(jnp.isfinite(z))
        )
        return KKTResult(x, lam, mu, active, jnp.where(ok, f(x), jnp.inf))

    candidates = jax.vmap(solve_for)(masks)
    best = int(jnp.argmin(candidates.objective))
    if not jnp.isfinite(candidates.objective[best]):
        raise ValueError("no active set gives a feasible KKT point; try another x0")
    return jax.tree.map(lambda leaf: leaf[best], candidates)
