"""Reference solutions to exercises/01_calculus.py (lesson 01, multivariable calculus).

Every exercise asks for a concept that `jlr.calculus` already defines, so each solution is the
library's function itself: the concept is written once, in the module named for it, and
tested there against `jax.grad`, `jax.jacfwd`, finite differences and closed forms. Read the
solution in that module (`composition_jacobian` is `chain_rule.chain_rule_jacobian`).
`lagrange_newton` is the library's function asked for no convergence test (tol=inf), since
the exercise takes exactly n_steps steps.
"""

from __future__ import annotations

import functools
import math

from jlr.calculus import lagrange
from jlr.calculus.chain_rule import chain_rule_jacobian as composition_jacobian
from jlr.calculus.critical_points import classify_critical_point
from jlr.calculus.directional import directional_derivative, steepest_ascent_direction
from jlr.calculus.functions import polar_to_cartesian
from jlr.calculus.hessian import hvp
from jlr.calculus.jacobians import jacobian_from_jvps, jacobian_from_vjps
from jlr.calculus.level_sets import level_set_tangent
from jlr.calculus.linearization import linear_approximation
from jlr.calculus.partials import central_difference
from jlr.calculus.taylor import taylor_second_order


@functools.wraps(lagrange.lagrange_newton)  # `jlr solution` shows the library's function
def lagrange_newton(f, g, x0, lam0, n_steps=20):
    # n_steps Newton steps, converged or not: the library's damped Newton takes full steps
    # near a solution, as in the check, and tol=inf turns off its convergence test.
    return lagrange.lagrange_newton(f, g, x0, lam0, n_steps, tol=math.inf)


__all__ = [
    "central_difference",
    "classify_critical_point",
    "composition_jacobian",
    "directional_derivative",
    "hvp",
    "jacobian_from_jvps",
    "jacobian_from_vjps",
    "lagrange_newton",
    "level_set_tangent",
    "linear_approximation",
    "polar_to_cartesian",
    "steepest_ascent_direction",
    "taylor_second_order",
]
