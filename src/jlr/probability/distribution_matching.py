r"""Fitting one Gaussian q = N(mu, sigma^2) to a bimodal mixture p: forward vs reverse KL.

  forward  min_q KL(p || q) = -H(p) - E_p[log q]: q must put mass wherever p does
           ("mode covering", "mean seeking"). For a Gaussian q the optimum matches the moments
           of p, mu = E_p[x], sigma^2 = Var_p[x] -- it is maximum likelihood on draws from p.
  reverse  min_q KL(q || p) = -H(q) - E_q[log p]: q is punished for mass where p has none, so it
           settles on one mode ("mode seeking"), as in variational inference.
E_q[.] is computed by Gauss-Hermite quadrature, int N(x; mu, sigma^2) f(x) dx
~ sum_i w_i f(mu + sqrt(2) sigma t_i) / sqrt(pi), which is deterministic and differentiable.
(Bishop, *PRML*, 2006, fig. 10.3; Murphy, *PML*, 2022, sec. 6.2.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.special import logsumexp
from jax.scipy.stats import norm


@jax.jit
def mixture_log_density(
    x: jax.Array, weights: jax.Array, means: jax.Array, stds: jax.Array
) -> jax.Array:
    r"""log sum_k w_k N(x; m_k, s_k^2) for scalar x. weights, means, stds: (k,) -> scalar."""
    return logsumexp(jnp.log(weights) + norm.logpdf(x, means, stds))


@partial(jax.jit, static_argnames=("n",))
def mixture_sample(
    key: jax.Array, weights: jax.Array, means: jax.Array, stds: jax.Array, n: int
) -> jax.Array:
    """n draws: pick a component k ~ Categorical(weights), then x ~ N(m_k, s_k^2). -> (n,)."""
    component_key, noise_key = jax.random.split(key)
    k = jax.random.choice(component_key, weights.shape[0], (n,), p=weights)
    return means[k] + stds[k] * jax.random.normal(noise_key, (n,))


@jax.jit
def mixture_moments(
    weights: jax.Array, means: jax.Array, stds: jax.Array
) -> tuple[jax.Array, jax.Array]:
    r"""E[x] = sum w_k m_k,  Var[x] = sum w_k (s_k^2 + m_k^2) - E[x]^2: the forward-KL optimum."""
    mean = weights @ means
    return mean, weights @ (stds**2 + means**2) - mean**2


@partial(jax.jit, static_argnames=("f", "n_nodes"))
def gauss_hermite_expectation(
    f: Callable[[jax.Array], jax.Array], mu: jax.Array, sigma: jax.Array, n_nodes: int = 64
) -> jax.Array:
    r"""E_{x ~ N(mu, sigma^2)}[f(x)] ~ sum_i w_i f(mu + sqrt(2) sigma t_i) / sqrt(pi)."""
    nodes, node_weights = np.polynomial.hermite.hermgauss(n_nodes)
    x = mu + jnp.sqrt(2.0) * sigma * jnp.asarray(nodes, dtype=jnp.result_type(float))
    return jnp.asarray(node_weights, dtype=x.dtype) @ jax.vmap(f)(x) / jnp.sqrt(jnp.pi)


@partial(jax.jit, static_argnames=("log_p",))
def reverse_kl(params: dict[str, jax.Array], log_p: Callable[[jax.Array], jax.Array]) -> jax.Array:
    r"""KL(q || p) = -H(q) - E_q[log p], q = N(mu, exp(log_sigma)^2), H(q) = 1/2 log(2 pi e s^2)."""
    sigma = jnp.exp(params["log_sigma"])
    entropy_q = 0.5 * jnp.log(2.0 * jnp.pi * jnp.e) + params["log_sigma"]
    return -entropy_q - gauss_hermite_expectation(log_p, params["mu"], sigma)


@jax.jit
def forward_kl_up_to_constant(params: dict[str, jax.Array], samples: jax.Array) -> jax.Array:
    r"""-E_p[log q] from draws of p, i.e. KL(p || q) + H(p): the Gaussian NLL."""
    return -jnp.mean(norm.logpdf(samples, params["mu"], jnp.exp(params["log_sigma"])))


@partial(jax.jit, static_argnames=("objective", "n_steps"))
def fit_gaussian(
    objective: Callable[[dict[str, jax.Array]], jax.Array],
    mu_init: float,
    sigma_init: float,
    lr: float = 0.05,
    n_steps: int = 500,
) -> tuple[dict[str, jax.Array], jax.Array]:
    """Minimize objective({"mu", "log_sigma"}) with Adam; returns (params, objective per step)."""
    params = {"mu": jnp.asarray(mu_init), "log_sigma": jnp.log(jnp.asarray(sigma_init))}
    optimizer = optax.adam(lr)

    def step(carry, _):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(objective)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), length=n_steps)
    return params, losses
