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
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


def no_constraints(x: jax.Array) -> jax.Array:
    """The empty constraint function R^n -> R^0."""
    return jnp.zeros((0,), dtype=x.dtype)


def lagrangian(f, g, x: jax.Array, lam: jax.Array) -> jax.Array:
    """L(x, lam) = f(x) + lam . g(x). x: (n,), lam: (k,) -> scalar."""
    return f(x) + lam @ g(x)


class NotConverged(ArithmeticError):
    """An iterative solve did not reach its tolerance; the message says by how much."""


def default_tolerance(z: jax.Array) -> float:
    """sqrt(eps) (1 + |z|) for z's dtype: the residual norm below which a Newton solve counts
    as converged (about 3e-4 in float32, 1.5e-8 in float64, for |z| ~ 1). z must be concrete."""
    return math.sqrt(float(np.finfo(z.dtype).eps)) * (1.0 + float(np.linalg.norm(z)))


def newton_solve(residual, z0: jax.Array, n_steps: int) -> tuple[jax.Array, jax.Array]:
    """Damped Newton for F(z) = 0, F: R^d -> R^d. z0: (d,) -> z (d,), |F(z)| ().

    Each step solves J_F(z) dz = -F(z) in the least-squares sense (so a singular J, e.g. a
    linear f at lam = 0, still gives a step) and halves the step until |F| decreases
    (backtracking on the merit |F|^2; near a root the full step is taken and convergence is
    quadratic). All n_steps are taken (at a root the steps are zero), so the answer is as
    accurate as the dtype allows. The caller judges the returned |F(z)|: Newton can stall
    where |F|^2 has a minimum that is not a root.
    """
    step_sizes = 0.5 ** jnp.arange(12, dtype=z0.dtype)  # 1, 1/2, ..., 1/2048

    def norm_at(z):
        value = jnp.linalg.norm(residual(z))
        return jnp.where(jnp.isfinite(value), value, jnp.inf)

    def step(z, _):
        value = residual(z)
        direction = jnp.linalg.lstsq(jax.jacfwd(residual)(z), -value)[0]  # (d,)
        trials = jax.vmap(lambda t: norm_at(z + t * direction))(step_sizes)  # (12,)
        better = trials < jnp.linalg.norm(value)
        t = jnp.where(jnp.any(better), step_sizes[jnp.argmax(better)], 0.0)
        return z + t * direction, None

    z, _ = jax.lax.scan(step, z0, None, length=n_steps)
    return z, norm_at(z)


def multiplier_estimate(f, g, x: jax.Array) -> jax.Array:
    """The lam minimizing |grad f(x) + J_g(x)^T lam| (least squares). x: (n,) -> (k,).

    Exact at a constrained stationary point; elsewhere a good start for Newton (lam = 0 can
    make the Newton matrix singular, e.g. for a linear f, whose Hessian is 0).
    """
    return jnp.linalg.lstsq(jax.jacfwd(g)(x).T, -jax.grad(f)(x))[0]


def lagrange_newton(
    f,
    g,
    x0: jax.Array,
    lam0: jax.Array | None = None,
    n_steps: int = 50,
    tol: float | None = None,
):
    """Solve grad_x L = 0, g(x) = 0 by damped Newton on z = (x, lam). -> x (n,), lam (k,).

    x0: (n,), lam0: (k,) (default `multiplier_estimate(f, g, x0)`). Converges to a
    stationary point of f on the constraint set near the start: a minimum, a maximum or a
    saddle. Raises NotConverged (one line) when the Lagrange conditions still have residual
    norm > tol (default `default_tolerance` of the solution) after n_steps; under `jax.jit`
    the values are abstract and that check is skipped: check `lagrange_residual` there.
    """
    n = x0.shape[0]
    lam0 = multiplier_estimate(f, g, x0) if lam0 is None else lam0

    def residual(z):  # (n + k,) -> (n + k,)
        return lagrange_residual(f, g, z[:n], z[n:])

    z, norm = newton_solve(residual, jnp.concatenate([x0, lam0]), n_steps)
    _raise_unless_converged("lagrange_newton", z, norm, tol, n_steps)
    return z[:n], z[n:]


def lagrange_residual(f, g, x: jax.Array, lam: jax.Array) -> jax.Array:
    """(grad_x L(x, lam), g(x)): zero exactly at a stationary point. -> (n + k,)."""
    return jnp.concatenate([jax.grad(lagrangian, argnums=2)(f, g, x, lam), g(x)])


def _raise_unless_converged(name: str, z, norm, tol: float | None, n_steps: int) -> None:
    try:
        value = float(norm)
        tol = default_tolerance(np.asarray(z)) if tol is None else tol
    except jax.errors.ConcretizationTypeError:  # under jit: nothing concrete to check
        return
    if not value <= tol:
        raise NotConverged(
            f"{name}: residual {value:.3g} > tol {tol:.3g} after {n_steps} Newton steps; "
            "start nearer a solution or allow more n_steps"
        )


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


def penalty_descent(f, violation, x0: jax.Array, rho: float = 100.0, n_steps: int = 200):
    """Descend P(x) = f(x) + rho/2 |v(x)|^2 from x0 (v = violation: R^n -> R^m) by gradient
    steps with Armijo backtracking. -> x (n,), multiplier estimate rho v(x) (m,).

    Every step lowers P, so x heads for a *minimum* of f near the constraint set, never a
    maximum; at a minimizer of P, grad f + J_v^T (rho v) = 0, so rho v estimates the
    multipliers (the quadratic-penalty method; Nocedal & Wright, section 17.1).
    """

    def penalty(x):
        v = violation(x)
        return f(x) + 0.5 * rho * v @ v

    trials = 2.0 ** (1 - jnp.arange(30, dtype=x0.dtype))  # 2, 1, 1/2, ...: relative to lr

    def step(carry, _):
        x, lr = carry
        value, grad = jax.value_and_grad(penalty)(x)
        values = jax.vmap(lambda t: penalty(x - lr * t * grad))(trials)  # (30,)
        ok = values <= value - 1e-4 * lr * trials * (grad @ grad)  # sufficient decrease
        t = jnp.where(jnp.any(ok), lr * trials[jnp.argmax(ok)], 0.0)
        return (x - t * grad, jnp.where(t > 0, t, lr)), None

    (x, _), _ = jax.lax.scan(step, (x0, jnp.ones((), x0.dtype)), None, length=n_steps)
    return x, rho * violation(x)


def solve_kkt(f, c, x0: jax.Array, g=no_constraints, n_steps: int = 50, tol: float | None = None):
    """min f(x) s.t. c(x) <= 0 and g(x) = 0, for a few inequalities, by active-set enumeration.

    x0: (n,) -> KKTResult. For each active set (its constraints imposed as equalities) a
    `penalty_descent` from x0 finds a start near a constrained minimum, with its multiplier
    estimate (Newton from x0 with multipliers 0 meets a singular matrix for a linear f, and
    from the least-squares multipliers it can run to a maximum); damped Newton on the KKT
    system then converges to it. A candidate counts when its KKT residual is <= tol (default
    sqrt(eps) (1 + |z|), as `default_tolerance`), it is feasible and mu >= 0, both to tol.
    Raises ValueError if no active set gives one.
    """
    n, k, p = x0.shape[0], g(x0).shape[0], c(x0).shape[0]
    masks = np.array(list(itertools.product([False, True], repeat=p)), bool).reshape(2**p, p)

    def start(active):  # (x, lam, mu) near a minimum with this active set; mu = 0 off it
        x, multipliers = penalty_descent(
            f, lambda x: jnp.concatenate([g(x), jnp.where(active, c(x), 0.0)]), x0
        )
        return jnp.concatenate([x, multipliers])

    def solve_for(active):
        def residual(z):
            return kkt_residual(f, g, c, z[:n], z[n : n + k], z[n + k :], active)

        z, norm = newton_solve(residual, start(active), n_steps)
        x, lam, mu = z[:n], z[n : n + k], z[n + k :]
        eps = jnp.finfo(z.dtype).eps
        limit = jnp.sqrt(eps) * (1.0 + jnp.linalg.norm(z)) if tol is None else tol
        ok = (norm <= limit) & jnp.all(c(x) <= limit) & jnp.all(mu >= -limit)
        return KKTResult(x, lam, mu, active, jnp.where(ok, f(x), jnp.inf))

    candidates = jax.vmap(solve_for)(masks)
    best = int(jnp.argmin(candidates.objective))
    if not jnp.isfinite(candidates.objective[best]):
        raise ValueError("no active set gives a feasible KKT point; try another x0")
    return jax.tree.map(lambda leaf: leaf[best], candidates)
