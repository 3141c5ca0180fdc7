"""Momentum on ill-conditioned quadratics: iterations to converge vs the condition number.

f(x) = x^T A x / 2 with A = diag(mu .. L), condition number kappa = L / mu, minimum x* = 0.
Each method with its best constant hyperparameters contracts the error like rho^t:

  gradient descent  lr = 2 / (L + mu)                     rho = (kappa - 1) / (kappa + 1)
  heavy ball        lr = 4 / (sqrt L + sqrt mu)^2,         rho = (sqrt kappa - 1) / (sqrt kappa + 1)
                    momentum = rho^2
  Nesterov          lr = 1 / L,                            rho = 1 - 1 / sqrt kappa
                    momentum = (sqrt kappa - 1) / (sqrt kappa + 1)
(Polyak 1964; Nesterov 1983; see Goh, "Why momentum really works", Distill 2017). Reaching
|x_t| <= tol |x_0| takes about log(1 / tol) / log(1 / rho) steps: ~kappa for GD, ~sqrt(kappa)
with momentum. The optimizers are `jlr.optim.sgd`, whose heavy-ball and Nesterov forms are
these methods with the same lr and momentum.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, apply_updates
from jlr.optim.sgd import sgd


def quadratic_eigenvalues(condition_number: float, dim: int) -> jax.Array:
    """Eigenvalues of A spread evenly in log scale from mu = 1 to L = kappa: (dim,)."""
    return jnp.logspace(0.0, math.log10(condition_number), dim)


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
    raise ValueError(f"unknown method {method!r}; expected 'gd', 'heavy_ball' or 'nesterov'")


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


def iterations_to_converge(
    optimizer: GradientTransformation,
    eigenvalues: jax.Array,
    x0: jax.Array,
    tol: float,
    max_steps: int = 100_000,
) -> jax.Array:
    """First t with |x_t| <= tol |x_0| on f(x) = sum_i eigenvalues_i x_i^2 / 2 (max_steps if
    never). eigenvalues, x0: (dim,) -> int32 ()."""
    threshold = tol * jnp.linalg.norm(x0)

    def not_done(carry):
        x, _, t = carry
        return (jnp.linalg.norm(x) > threshold) & (t < max_steps)

    def step(carry):
        x, state, t = carry
        updates, state = optimizer.update(eigenvalues * x, state, x)  # grad f = A x
        return apply_updates(x, updates), state, t + 1

    _, _, t = jax.lax.while_loop(not_done, step, (x0, optimizer.init(x0), jnp.int32(0)))
    return t
