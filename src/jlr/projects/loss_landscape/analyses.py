"""The loss-landscape project's measurements, each a function a lesson can call on its own.

interpolation        L along init -> solution and solution -> solution, and the barriers
surface              L(theta + a d1 + b d2) on a grid, d1, d2 filter-normalized
trajectory_surface   the training path's top-2 PCA plane: coordinates and the loss under them
spectrum             Lanczos top-k, Hutchinson trace, SLQ density; the exact Hessian when small
edge_of_stability    full-batch GD at each step size, sharpness tracked, plateau / (2 / lr)
comparisons          residual / batch norm / large batch vs a plain deep MLP: slices, sharpness

Each returns a dict of numpy arrays and floats (what the report draws and results.json keeps).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jlr.calculus.hessian import hvp
from jlr.landscape import (
    barrier_height,
    filter_normalized_direction,
    hessian_slq,
    hessian_trace,
    interpolate,
    smoothed_density,
    surface_2d,
    top_eigenvalues,
)
from jlr.landscape.edge_of_stability import gd_with_sharpness, plateau_ratio
from jlr.landscape.trajectory import trajectory_pca
from jlr.projects.loss_landscape.models import (
    N_CLASSES,
    Data,
    init_mlp_net,
    make_loss,
    make_net,
    mlp_logits,
    train,
)

EXACT_HESSIAN_LIMIT = 3000  # n_params up to which the full Hessian is formed (n HVPs, n^2 floats)
EOS_BAND = (0.9, 1.1)  # asserted: plateau sharpness / (2 / lr); seeds 0..4 gave 0.95-1.03
EOS_OUTPUT_SCALE = 0.1  # the EoS net's last layer starts 10x smaller: sharpness starts low


def _np(tree: Any) -> Any:
    return jax.tree.map(lambda leaf: np.asarray(leaf, np.float64), tree)


def interpolation(loss: Callable, init: Any, solution: Any, other: Any, n_alphas: int) -> dict:
    """L((1 - a) theta_0 + a theta_A) and L((1 - a) theta_A + a theta_B), a in [0, 1]."""
    alphas = jnp.linspace(0.0, 1.0, n_alphas)
    path = jax.jit(lambda a, b: interpolate(loss, a, b, alphas))
    init_path, seeds_path = path(init, solution), path(solution, other)
    return _np(
        {
            "alphas": alphas,
            "init_to_solution": init_path,
            "solution_to_solution": seeds_path,
            "barrier_init": barrier_height(init_path),
            "barrier_seeds": barrier_height(seeds_path),
        }
    )


def surface(
    key: jax.Array, loss: Callable, params: Any, grid: int, extent: float, chunk_size: int
) -> dict:
    """L(theta + a d1 + b d2) on a grid x grid square [-extent, extent]^2, d1 and d2
    filter-normalized (Li et al. 2018), vmapped over chunks of chunk_size points."""
    key_1, key_2 = jax.random.split(key)
    d1 = filter_normalized_direction(key_1, params)
    d2 = filter_normalized_direction(key_2, params)
    axis = jnp.linspace(-extent, extent, grid)
    run = jax.jit(lambda p, d1, d2: surface_2d(loss, p, d1, d2, axis, axis, chunk_size))
    return _np({"axis": axis, "losses": run(params, d1, d2)})


def trajectory_surface(
    loss: Callable, params: Any, snapshots: jax.Array, grid: int, chunk_size: int
) -> dict:
    """The path's coordinates in its top-2 PCA plane around the final params, and the loss
    on a grid x grid square covering the path with a 20% margin."""
    flat, unravel = ravel_pytree(params)
    pca = trajectory_pca(snapshots, flat)
    extent = 1.2 * float(jnp.max(jnp.abs(pca.coords)))
    axis = jnp.linspace(-extent, extent, grid)
    d1, d2 = unravel(pca.directions[0]), unravel(pca.directions[1])
    run = jax.jit(lambda p, d1, d2: surface_2d(loss, p, d1, d2, axis, axis, chunk_size))
    return _np(
        {
            "axis": axis,
            "losses": run(params, d1, d2),
            "coords": pca.coords,
            "explained": pca.explained,
        }
    )


def full_hessian(loss: Callable, params: Any, chunk_size: int = 256) -> jax.Array:
    """The n_params x n_params Hessian, column j = H e_j by an HVP, chunk_size columns a time."""
    flat, unravel = ravel_pytree(params)

    def column(e_j):
        return hvp(lambda v: loss(unravel(v)), flat, e_j)

    eye = jnp.eye(flat.size, dtype=flat.dtype)
    return jax.jit(lambda e: jax.lax.map(column, e, batch_size=chunk_size))(eye)  # (n, n)


def spectrum(
    key: jax.Array,
    loss: Callable,
    params: Any,
    *,
    k: int,
    lanczos_iters: int,
    slq_probes: int,
    slq_iters: int,
    trace_probes: int,
) -> dict:
    """Top-k eigenvalues (Lanczos), tr(H) (Hutchinson, with its standard error), the SLQ
    density; with n_params <= EXACT_HESSIAN_LIMIT also every exact eigenvalue (eigvalsh)."""
    # Full float32 matmuls: the numbers are compared with eigvalsh of the full Hessian, and an
    # NVIDIA GPU's default (TF32) matmuls would put 1e-3 relative errors into every HVP.
    with jax.default_matmul_precision("highest"):
        return _spectrum(
            key, loss, params, k=k, lanczos_iters=lanczos_iters, slq_probes=slq_probes,
            slq_iters=slq_iters, trace_probes=trace_probes,
        )  # fmt: skip


def _spectrum(key, loss, params, *, k, lanczos_iters, slq_probes, slq_iters, trace_probes):
    lanczos_key, slq_key, trace_key = jax.random.split(key, 3)
    n_params = ravel_pytree(params)[0].size
    lanczos_iters, slq_iters = min(lanczos_iters, n_params), min(slq_iters, n_params)
    top, _ = jax.jit(lambda p: top_eigenvalues(lanczos_key, loss, p, k, lanczos_iters))(params)
    nodes, weights = jax.jit(lambda p: hessian_slq(slq_key, loss, p, slq_probes, slq_iters))(params)
    trace, trace_se = jax.jit(lambda p: hessian_trace(trace_key, loss, p, trace_probes))(params)
    result = {
        "n_params": n_params,
        "top": top,
        "slq_nodes": nodes,
        "slq_weights": weights,
        "trace": trace,
        "trace_se": trace_se,
    }
    low, high = float(jnp.min(nodes)), float(jnp.max(nodes))
    if n_params <= EXACT_HESSIAN_LIMIT:
        exact = np.linalg.eigvalsh(np.asarray(full_hessian(loss, params), np.float64))
        result.update(exact=exact, exact_trace=exact.sum())
        low, high = min(low, exact[0]), max(high, exact[-1])
    sigma = 0.01 * (high - low) + 1e-12
    grid = jnp.linspace(low - 5 * sigma, high + 5 * sigma, 600)
    result.update(
        density_grid=grid, sigma=sigma, slq_density=smoothed_density(nodes, weights, grid, sigma)
    )
    if "exact" in result:
        exact = jnp.asarray(result["exact"], jnp.float32)[None]  # (1, n_params)
        result["exact_density"] = smoothed_density(
            exact, jnp.full_like(exact, 1 / n_params), grid, sigma
        )
    return _np(result)


def eos_loss(x: jax.Array, y: jax.Array) -> Callable[[Any], jax.Array]:
    """Cohen et al.'s squared loss: params -> 0.5 mean_i |f(x_i) - onehot(y_i)|^2, tanh MLP."""
    targets = jax.nn.one_hot(y, N_CLASSES)  # (n, n_classes)

    def loss(params):
        outputs = mlp_logits(params, x, residual=False, activation=jnp.tanh)  # (n, n_classes)
        return 0.5 * jnp.mean(jnp.sum((outputs - targets) ** 2, axis=-1))

    return loss


@partial(jax.jit, static_argnames=("steps", "every"))
def _gd_path(key, params, x, y, lr, *, steps, every):
    """`gd_with_sharpness` on `eos_loss(x, y)`; lr traced, so every step size shares a compile."""
    return gd_with_sharpness(key, eos_loss(x, y), params, lr, steps, every)


def edge_of_stability(
    key: jax.Array,
    data: Data,
    *,
    hidden: tuple[int, ...],
    lrs,
    steps: int,
    every: int,
    n_examples: int,
) -> dict:
    """Full-batch GD on a tanh MLP (squared loss, first n_examples examples), one run per lr
    from the same init; sharpness every `every` steps; ratio = plateau / (2 / lr)."""
    init_key, power_key = jax.random.split(key)
    x = data.x.reshape(len(data.x), -1)[:n_examples]  # (n, d_in)
    params = init_mlp_net(init_key, (x.shape[1], *hidden, N_CLASSES), False, EOS_OUTPUT_SCALE)
    result = {}
    for lr in lrs:
        path = _gd_path(power_key, params, x, data.y[:n_examples], lr, steps=steps, every=every)
        ratio = float(plateau_ratio(path, lr))
        result[f"{lr:g}"] = {
            "losses": np.asarray(path.losses),
            "steps": np.asarray(path.steps),
            "sharpness": np.asarray(path.sharpness),
            "ratio": ratio,
            "within_band": EOS_BAND[0] <= ratio <= EOS_BAND[1],
        }
    return result


def sharpness_and_trace(key: jax.Array, loss: Callable, params: Any) -> tuple[float, float]:
    """(lambda_max by 30 Lanczos steps, tr(H) by 32 Hutchinson probes)."""
    top_key, trace_key = jax.random.split(key)
    n_iters = min(30, ravel_pytree(params)[0].size)
    top, _ = jax.jit(lambda p: top_eigenvalues(top_key, loss, p, 1, n_iters))(params)
    trace, _ = jax.jit(lambda p: hessian_trace(trace_key, loss, p, 32))(params)
    return float(top[0]), float(trace)


def comparisons(key: jax.Array, config, data: Data) -> dict:
    """A deep MLP (config.compare_depth hidden layers of compare_width) trained 4 ways from
    one init key: plain, residual, batch norm (small batches) and plain with a large batch.
    For each: final loss, accuracy, sharpness, trace, and the 1-D slice
    L(theta + a d), a in [-1, 1], along a filter-normalized d."""
    init_key, direction_key, hessian_key = jax.random.split(key, 3)
    x = data.x.reshape(len(data.x), -1)  # (n, d_in)
    flat_data = Data(x, data.y, data.source)
    variants = {
        "plain": (False, False, config.batch_size),
        "residual": (True, False, config.batch_size),
        "batch norm": (False, True, config.batch_size),
        "large batch": (False, False, config.large_batch),
    }
    alphas = jnp.linspace(-1.0, 1.0, config.n_alphas)
    result = {}
    for name, (residual, batch_norm_, batch_size) in variants.items():
        depth_width = (config.compare_depth, config.compare_width)
        net = make_net(
            config, x.shape[1:], depth_width=depth_width, residual=residual, batch_norm_=batch_norm_
        )
        params, state = net.init(init_key)
        trained = train(
            net,
            params,
            state,
            flat_data,
            lr=config.compare_lr,
            momentum=config.momentum,
            batch_size=batch_size,
            steps=config.compare_steps,
            every=config.compare_steps,
            seed=config.seed,
        )
        loss = make_loss(net, state, flat_data)
        params = trained.params
        d = filter_normalized_direction(direction_key, params)
        minus = jax.tree.map(lambda p, v: p - v, params, d)
        plus = jax.tree.map(lambda p, v: p + v, params, d)
        slice_ = jax.jit(partial(interpolate, loss, alphas=(alphas + 1) / 2))(minus, plus)
        sharpness, trace = sharpness_and_trace(hessian_key, loss, params)
        predictions = jnp.argmax(net.logits(params, state, x), axis=-1)  # (n,)
        result[name] = {
            "batch_size": min(batch_size, len(x)),
            "residual": residual,
            "batch_norm": batch_norm_,
            "loss": float(loss(params)),
            "accuracy": float(jnp.mean(predictions == data.y)),
            "sharpness": sharpness,
            "trace": trace,
            "slice": np.asarray(slice_, np.float64),
        }
    result["alphas"] = np.asarray(alphas, np.float64)
    return result
