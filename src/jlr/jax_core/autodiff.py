"""Reverse-mode automatic differentiation with `jax.grad`, and custom derivative rules.

grad(f, argnums=i) differentiates f w.r.t. argument i (a pytree: the gradient has its
structure); has_aux=True lets f return (loss, extras); value_and_grad returns both;
stop_gradient(x) is x forward but a constant backward. `jax.custom_vjp` replaces the
backward pass of a function with one you write:

    softplus(x) = log(1 + e^x),   softplus'(x) = sigmoid(x)
    clip_gradient(x) = x forward;  backward: g -> g * min(1, max_norm / ||g||)

Source: JAX docs, "The Autodiff Cookbook" and "Custom derivative rules".
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np


def naive_softplus(x: jax.Array) -> jax.Array:
    """log(1 + e^x) as written: overflows to inf for x > ~88 in float32, and its
    autodiff gradient e^x / (1 + e^x) becomes inf/inf = nan there."""
    return jnp.log(1.0 + jnp.exp(x))


@jax.custom_vjp
def stable_softplus(x: jax.Array) -> jax.Array:
    """log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}), finite for all finite x.  x: (...) -> (...)."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def _softplus_fwd(x):
    return stable_softplus(x), x  # residual: the input


def _softplus_bwd(x, g):
    return (g * jax.nn.sigmoid(x),)  # d/dx softplus = sigmoid(x), stable for all x


stable_softplus.defvjp(_softplus_fwd, _softplus_bwd)


@jax.custom_vjp
def clip_gradient(x: jax.Array, max_norm: float) -> jax.Array:
    """Identity forward; backward rescales the incoming gradient to norm <= max_norm."""
    return x


def _clip_fwd(x, max_norm):
    return x, max_norm


def _clip_bwd(max_norm, g):
    scale = jnp.minimum(1.0, max_norm / (jnp.linalg.norm(g) + 1e-12))
    return g * scale, None  # no gradient for max_norm


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def finite_difference_grad(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), in float64 numpy.

    f: (n,) -> () evaluated on float64 numpy arrays; x: (n,) -> (n,)
    """
    x = np.asarray(x, dtype=np.float64)
    basis = np.eye(x.size).reshape(x.size, *x.shape)
    return np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in basis]).reshape(x.shape)


def mse_with_aux(params: dict[str, jax.Array], x: jax.Array, y: jax.Array):
    """Mean squared error of a linear model, with predictions as aux.

    pred = x w + b;  loss = mean((pred - y)^2).  x: (batch, d), y: (batch,) -> ((), aux)
    """
    pred = x @ params["w"] + params["b"]  # (batch,)
    return jnp.mean((pred - y) ** 2), {"pred": pred}


def grad_wrt_inputs(params, x, y) -> jax.Array:
    """d loss / d x with argnums=1: the saliency of each input.  -> (batch, d)."""
    return jax.grad(lambda p, xs: mse_with_aux(p, xs, y)[0], argnums=1)(params, x)


def straight_through_round(x: jax.Array) -> jax.Array:
    """round(x) forward, identity backward: x + stop_gradient(round(x) - x)."""
    return x + jax.lax.stop_gradient(jnp.round(x) - x)
