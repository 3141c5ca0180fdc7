r"""InfoNCE: a lower bound on mutual information learned with a critic f(x, y).

For a batch of N pairs (x_i, y_i) ~ p(x, y), scores S_ij = f(x_i, y_j) and
  I(X; Y) >= I_NCE = (1/N) sum_i [S_ii - log (1/N) sum_j exp(S_ij)]   (<= log N always)
(van den Oord et al., 2018, "Representation Learning with Contrastive Predictive Coding";
Poole et al., 2019, "On Variational Bounds of Mutual Information"). The bound is tight for the
critic f*(x, y) = log p(y | x) / p(y) + c(x) and N -> infinity. Maximizing it is contrastive
learning: score the true pair above the N - 1 shuffled ones -- the bridge to CLIP and SimCLR.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import optax

from jlr.probability.cross_entropy import softmax_cross_entropy

Params = list[dict[str, jax.Array]]


@jax.jit
def infonce_lower_bound(scores: jax.Array) -> jax.Array:
    r"""mean_i [S_ii - logsumexp_j S_ij] + log N = log N - (cross-entropy of row i at label i).

    scores: (N, N), row i = x_i against all y_j -> (). Picking the true y_i out of the N
    candidates is an N-way classification, so the bound is log N minus its mean loss.
    """
    n = scores.shape[0]
    return jnp.log(n) - jnp.mean(softmax_cross_entropy(scores, jnp.arange(n)))


@partial(jax.jit, static_argnames=("n", "d"))
def sample_correlated_gaussians(
    key: jax.Array, rho: float, n: int, d: int
) -> tuple[jax.Array, jax.Array]:
    r"""x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) eps: each coordinate pair has correlation rho.

    I(X; Y) = -d/2 log(1 - rho^2). Returns x, y: (n, d).
    """
    x_key, noise_key = jax.random.split(key)
    x = jax.random.normal(x_key, (n, d))
    return x, rho * x + jnp.sqrt(1.0 - rho**2) * jax.random.normal(noise_key, (n, d))


@jax.jit
def optimal_gaussian_critic(x: jax.Array, y: jax.Array, rho: float) -> jax.Array:
    r"""f*(x, y) = log p(y | x) - log p(y) = sum_k [-(y_k - rho x_k)^2 / (2(1 - rho^2))
    + y_k^2 / 2] - d/2 log(1 - rho^2). x, y: (d,) -> scalar."""
    log_conditional = -((y - rho * x) ** 2) / (2.0 * (1.0 - rho**2)) - 0.5 * jnp.log1p(-(rho**2))
    return jnp.sum(log_conditional + 0.5 * y**2)


@partial(jax.jit, static_argnames=("d_x", "d_y", "d_hidden"))
def init_critic(key: jax.Array, d_x: int, d_y: int, d_hidden: int) -> Params:
    """A 2-hidden-layer MLP on [x, y]: a list of {"w", "b"} layers, LeCun-normal weights."""
    sizes = (d_x + d_y, d_hidden, d_hidden, 1)
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        {"w": jax.random.normal(k, (d_in, d_out)) / jnp.sqrt(d_in), "b": jnp.zeros((d_out,))}
        for k, d_in, d_out in zip(keys, sizes[:-1], sizes[1:], strict=True)
    ]


@jax.jit
def critic(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """f(x, y) for one pair: x: (d_x,), y: (d_y,) -> scalar."""
    h = jnp.concatenate([x, y])  # (d_x + d_y,)
    for layer in params[:-1]:
        h = jax.nn.gelu(h @ layer["w"] + layer["b"])  # (d_hidden,)
    return (h @ params[-1]["w"] + params[-1]["b"])[0]


@jax.jit
def critic_scores(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """S_ij = f(x_i, y_j) for every pair of the batch. x: (N, d_x), y: (N, d_y) -> (N, N)."""
    against_all_y = jax.vmap(critic, in_axes=(None, None, 0))  # one x, every y
    return jax.vmap(against_all_y, in_axes=(None, 0, None))(params, x, y)


@partial(jax.jit, static_argnames=("d", "batch_size", "n_steps", "d_hidden"))
def train_infonce_critic(
    key: jax.Array,
    rho: float,
    d: int,
    batch_size: int,
    n_steps: int,
    d_hidden: int = 32,
    lr: float = 3e-3,
) -> tuple[Params, jax.Array]:
    r"""Maximize I_NCE with Adam on fresh batches of correlated Gaussians (one lax.scan).

    Batch t is drawn with fold_in(data_key, t). Returns (critic params, I_NCE per step: (n_steps,)).
    """
    init_key, data_key = jax.random.split(key)
    params = init_critic(init_key, d, d, d_hidden)
    optimizer = optax.adam(lr)

    def negative_bound(params, x, y):
        return -infonce_lower_bound(critic_scores(params, x, y))

    def step(carry, t):
        params, opt_state = carry
        x, y = sample_correlated_gaussians(jax.random.fold_in(data_key, t), rho, batch_size, d)
        loss, grads = jax.value_and_grad(negative_bound)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), -loss

    (params, _), bounds = jax.lax.scan(step, (params, optimizer.init(params)), jnp.arange(n_steps))
    return params, bounds
