r"""Gradient descent and momentum on quadratics: iterations to converge vs the condition number.

f(x) = x^T A x / 2 with A symmetric positive definite, eigenvalues in [mu, L], condition
number kappa = L / mu, minimum x* = 0 and gradient grad f(x) = A x: an optimizer sees A only
through the matvec x -> A x. Gradient descent with step lr moves each eigen-coordinate by
x_i <- (1 - lr lambda_i) x_i, so the error contracts like rho^t with

  gradient descent  lr = 1 / L                            rho = 1 - 1 / kappa
  gradient descent  lr = 2 / (L + mu)                     rho = (kappa - 1) / (kappa + 1)
  heavy ball        lr = 4 / (sqrt L + sqrt mu)^2,         rho = (sqrt kappa - 1) / (sqrt kappa + 1)
                    momentum = rho^2
  Nesterov          lr = 1 / L,                            rho = 1 - 1 / sqrt kappa
                    momentum = (sqrt kappa - 1) / (sqrt kappa + 1)

(the last three are each method's best constant hyperparameters). Reaching
|x_t| <= tol |x_0| takes about log(1 / tol) / log(1 / rho) steps: ~kappa log(1 / tol) for
gradient descent, linear in the condition number, and ~sqrt(kappa) with momentum. The
optimizers are `jlr.optim.sgd`, whose heavy-ball and Nesterov forms are these methods with
the same lr and momentum; `iterations_to_converge` counts the steps of any of them.
Sources: Polyak 1964; Nesterov 1983, and Lectures on Convex Optimization, section 2.1.5;
Goh, "Why momentum really works", Distill 2017.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, apply_updates
from jlr.optim.sgd import sgd

METHODS = ("gd", "heavy_ball", "nesterov")


def quadratic_eigenvalues(condition_number: float, dim: int) -> jax.Array:
    """Eigenvalues of A spread evenly in log scale from mu = 1 to L = kappa: (dim,)."""
    return jnp.logspace(0.0, math.log10(condition_number), dim)


def iterations_to_converge(
    optimizer: GradientTransformation,
    matvec: Callable[[jax.Array], jax.Array],
    x0: jax.Array,
    tol: float,
    max_steps: int = 100_000,
) -> jax.Array:
    """First t with |x_t| <= tol |x_0| when `optimizer` minimizes f(x) = x^T A x / 2.

    matvec: x -> A x, the gradient of f (`lambda x: h @ x`, or `lambda x: eigenvalues * x`
    for a diagonal A); x0: (dim,) -> int32 (), max_steps if never. Plain gradient descent
    with step lr is `optimizer = sgd(lr)`.
    """
    threshold = tol * jnp.linalg.norm(x0)

    def not_done(carry):
        x, _, t = carry
        return (jnp.linalg.norm(x) > threshold) & (t < max_steps)

    def step(carry):
        x, state, t = carry
        updates, state = optimizer.update(matvec(x), state, x)  # grad f = A x
        return apply_updates(x, updates), state, t + 1

    _, _, t = jax.lax.while_loop(not_done, step, (x0, optimizer.init(x0), jnp.int32(0)))
    return t


def gd_iteration_bound(kappa: float, tol: float) -> int:
    """ceil(log(1/tol) / -log(1 - 1/kappa)) <= ceil(kappa log(1/tol)): the step-1/L bound."""
    if kappa == 1.0:
        return 1
    return math.ceil(math.log(1.0 / tol) / -math.log1p(-1.0 / kappa))


def tuned_optimizer(method: str, mu: float, big_l: float) -> GradientTransformation:
    """The optimally tuned 'gd', 'heavy_ball' or 'nesterov' for eigenvalues in [mu, L]."""
    sqrt_kappa = math.sqrt(big_l / mu)
    if method == "gd":
        return sgd(2.0 / (big_l + mu))
    if method == "heavy_ball":
        lr = 4.0 / (math.sqrt(big_l) + math.sqrt(mu)) ** 2
        return sgd(lr, momentum=((sqrt_kappa - 1) / (sqrt_kappa + 1)) ** 2)
    if method == "nesterov":
        return sgd(1.0 / big_l, momentum=(sqrt_kappa - 1) / (sqrt_kappa + 1), nesterov=True)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def theoretical_rate(method: str, condition_number: float) -> float:
    """The per-step contraction rho of the tuned method (module docstring)."""
    sqrt_kappa = math.sqrt(condition_number)
    rates = {
        "gd": (condition_number - 1) / (condition_number + 1),
        "heavy_ball": (sqrt_kappa - 1) / (sqrt_kappa + 1),
        "nesterov": 1 - 1 / sqrt_kappa,
    }
    return rates[method]


def theoretical_iterations(method: str, condition_number: float, tol: float) -> float:
    """log(1 / tol) / log(1 / rho): steps for rho^t to fall to tol."""
    return math.log(1.0 / tol) / -math.log(theoretical_rate(method, condition_number))
