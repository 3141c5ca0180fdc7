"""Reference solutions to exercises/01_calculus.py (lesson 01, multivariable calculus).

Every exercise asks for a concept that `jlr.calculus` already defines, so each solution is the
library's function itself: the concept is written once, in the module named for it, and
tested there against `jax.grad`, `jax.jacfwd`, finite differences and closed forms. Read the
solution in that module (`composition_jacobian` is `chain_rule.chain_rule_jacobian`).
"""

from __future__ import annotations

from jlr.calculus.chain_rule import chain_rule_jacobian as composition_jacobian
from jlr.calculus.critical_points import classify_critical_point
from jlr.calculus.directional import directional_derivative, steepest_ascent_direction
from jlr.calculus.functions import polar_to_cartesian
from jlr.calculus.hessian import hvp
from jlr.calculus.jacobians import jacobian_from_jvps, jacobian_from_vjps
from jlr.calculus.lagrange import lagrange_newton
from jlr.calculus.level_sets import level_set_tangent
from jlr.calculus.linearization import linear_approximation
from jlr.calculus.partials import central_difference
from jlr.calculus.taylor import taylor_second_order

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
