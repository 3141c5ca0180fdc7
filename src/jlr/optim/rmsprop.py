"""RMSProp (Hinton's Coursera lecture 6e, 2012; centered form: Graves 2013).

nu_t = decay nu_{t-1} + (1 - decay) g_t^2                   (mean square of gradients)
mu_t = decay mu_{t-1} + (1 - decay) g_t                      (centered only: mean gradient)
s_t  = g_t / sqrt(nu_t - mu_t^2 + eps)   (eps_in_sqrt)  or  g_t / (sqrt(nu_t - mu_t^2) + eps)
u_t  = -lr_t s_t;   with momentum: tr_t = momentum tr_{t-1} + u_t, update = tr_t
                    (Nesterov: update = u_t + momentum tr_t)

Each coordinate is divided by a running RMS of its own gradient, so steep and flat directions
take steps of similar size. Adam is RMSProp plus a first moment and bias correction. The
options and their defaults follow `optax.rmsprop` (eps inside the square root, nu_0 =
initial_scale), so optax is the oracle; `eps_in_sqrt=False` is PyTorch's form.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jlr.optim.base import GradientTransformation, PyTree, Schedule, learning_rate_at


class RMSPropState(NamedTuple):
    step: jax.Array  # int32, shape ()
    nu: PyTree  # running mean of g^2
    mu: PyTree  # running mean of g (centered), else ()
    trace: PyTree  # momentum buffer of updates, else ()


def rmsprop(
    lr: float | Schedule,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: float | jax.Array | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> GradientTransformation:
    """RMSProp as optax.rmsprop, same arguments and defaults. lr may be a schedule.

    The numbers (lr, decay, eps, initial_scale, momentum) may be traced arrays; the booleans
    and `momentum is None` decide the program's structure.
    """

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        nu = jax.tree.map(lambda p: jnp.full_like(p, initial_scale), params)
        return RMSPropState(
            jnp.zeros((), jnp.int32),
            nu,
            zeros if centered else (),
            () if momentum is None else zeros,
        )

    def update(grads, state, params=None):
        step = state.step + 1
        nu = jax.tree.map(lambda n, g: decay * n + (1 - decay) * g**2, state.nu, grads)
        mu = (
            jax.tree.map(lambda m, g: decay * m + (1 - decay) * g, state.mu, grads)
            if centered
            else jax.tree.map(jnp.zeros_like, grads)
        )
        correction = 1 - decay**step if bias_correction else 1.0

        def scaled(g, n, m):
            variance = n / correction - (m / correction) ** 2
            if eps_in_sqrt:
                return g / jnp.sqrt(variance + eps)
            return g / (jnp.sqrt(variance) + eps)

        rate = learning_rate_at(lr, state.step)
        updates = jax.tree.map(lambda g, n, m: -rate * scaled(g, n, m), grads, nu, mu)
        trace = ()
        if momentum is not None:
            trace = jax.tree.map(lambda t, u: u + momentum * t, state.trace, updates)
            if nesterov:
                updates = jax.tree.map(lambda t, u: u + momentum * t, trace, updates)
            else:
                updates = trace
        return updates, RMSPropState(step, nu, mu if centered else (), trace)

    return GradientTransformation(init, update)
