"""Critical points: find them with Newton's method, classify them by Hessian eigenvalues.

A critical point has grad f(x*) = 0. Newton's method on the gradient,
    x <- x - H(x)^{-1} grad f(x),
converges quadratically to a nondegenerate one (det H != 0), whatever its kind: it is a
root finder, not a minimizer. The second-derivative test reads the kind from the
eigenvalues of the symmetric H(x*): all positive, a strict local minimum; all negative,
a strict local maximum; both signs, a saddle; otherwise (some eigenvalue 0 and the rest of
one sign) the test is inconclusive and the point is degenerate, like the monkey saddle's
origin where H = 0.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jlr.calculus.hessian import hessian_fwd_over_rev


class NewtonResult(NamedTuple):
    x: jax.Array  # (n,) the last iterate
    grad_norm: jax.Array  # () |grad f(x)| there
    n_steps: jax.Array  # () int32, Newton steps taken


def newton_critical_point(f, x0: jax.Array, max_steps: int = 50, tol: float = 1e-8):
    """Newton's method x <- x - H^{-1} g, frozen once |g| <= tol; max_steps. (n,) -> NewtonResult.

    A fixed number of iterations (`lax.scan`) with a done flag rather than a `while_loop`,
    so that it vmaps over many starts with no data-dependent loop (a vmapped float32
    `while_loop` version of this was seen to hang on XLA:CPU). A singular H gives no step.
    """
    grad_f = jax.grad(f)

    def newton_step(state, _):
        x, n_steps = state
        grad = grad_f(x)
        newton = jnp.linalg.solve(hessian_fwd_over_rev(f, x), grad)
        moving = (jnp.linalg.norm(grad) > tol) & jnp.all(jnp.isfinite(newton))
        return (jnp.where(moving, x - newton, x), n_steps + moving.astype(jnp.int32)), None

    (x, n_steps), _ = jax.lax.scan(newton_step, (x0, jnp.int32(0)), None, length=max_steps)
    return NewtonResult(x, jnp.linalg.norm(grad_f(x)), n_steps)


def classify_critical_point(hessian: jax.Array, tol: float = 1e-6) -> str:
    """'minimum', 'maximum', 'saddle' or 'degenerate' from the eigenvalues of a symmetric H.

    hessian: (n, n). An eigenvalue with |lambda| <= tol counts as zero.
    """
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian))
    if eigenvalues.max() > tol and eigenvalues.min() < -tol:
        return "saddle"
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    return "minimum" if eigenvalues.min() > 0 else "maximum"


def find_critical_points(f, starts: jax.Array, grad_tol: float = 1e-4, merge_dist: float = 1e-3):
    """Run Newton from every start and keep the distinct converged points.

    starts: (k, n) -> (p, n), p <= k, sorted lexicographically, no two closer than merge_dist.
    """
    results = jax.jit(jax.vmap(lambda x0: newton_critical_point(f, x0)))(starts)
    found: list[np.ndarray] = []
    for x, grad_norm in zip(np.asarray(results.x), np.asarray(results.grad_norm), strict=True):
        if grad_norm <= grad_tol and all(np.linalg.norm(x - y) > merge_dist for y in found):
            found.append(x)
    found.sort(key=tuple)
    return jnp.asarray(np.stack(found)) if found else jnp.zeros((0, starts.shape[1]))
