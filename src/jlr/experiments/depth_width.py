"""Depth vs width at a fixed parameter budget: what does a plain MLP gain from more layers?

Fix the number of parameters P and trade depth for width: an MLP with L hidden layers of
width w on d_in inputs and n_classes outputs has

    P(L, w) = (d_in + 1) w + (L - 1)(w + 1) w + (w + 1) n_classes

parameters, so for each depth `width_for_budget` picks the widest w with P <= budget. Every
network is He-initialised (hidden kernels Var(w) = 2 / d_in, the readout 1 / d_in, zero
biases, by `jlr.nn.init.init_variance`), trained with Adam on minibatches of the same size
for the same steps, and `n_seeds` copies train at once with `jax.vmap` (each seed its own
init and batch order). What the study records per depth, every leaf with a leading
(n_seeds,) axis:

    train_loss   (n_seeds, n_steps)           the minibatch loss at every step (training speed)
    test_acc     (n_seeds, n_evals)           test accuracy every n_steps / n_evals steps
    train_acc    (n_seeds,)                   accuracy on the whole training set at the end
    grad_norms   (n_seeds, L + 1)             ||dL/dW_l||_F per layer at init, whole train set
    mean_grad_norms (n_seeds, L + 1)          ||dL/dW_l||_F per layer, averaged over the steps
    params       [{"w": (n_seeds, d_l, d_l+1), "b": (n_seeds, d_l+1)}, ...]   the trained MLPs

Run by lesson 06 (`lessons/06_architectures.py`, section 2) on MNIST-1D and 8x8 digits at a
size that fits its minute; `depth_width_study`'s defaults are the full study (more depths,
seeds and steps), a few minutes on two CPU cores per data set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jlr.experiments.noise_scale import mlp_loss  # mean cross-entropy of jlr.models.mlp
from jlr.models.mlp import mlp
from jlr.nn.init import init_variance
from jlr.nn.losses import accuracy
from jlr.optim import adam, apply_updates

Params = list[dict[str, jax.Array]]


def mlp_param_count(d_in: int, d_hidden: int, n_hidden: int, n_classes: int) -> int:
    """P(L, w) of the module docstring: weights and biases of an MLP with n_hidden = L hidden
    layers of width d_hidden = w (n_hidden = 0: a linear classifier, (d_in + 1) n_classes)."""
    sizes = [d_in, *[d_hidden] * n_hidden, n_classes]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def width_for_budget(d_in: int, n_classes: int, n_hidden: int, budget: int) -> int:
    """The largest width w with mlp_param_count(d_in, w, n_hidden, n_classes) <= budget.

    Solves (L - 1) w^2 + (d_in + L + n_classes) w + n_classes <= budget for w (the count
    grows with w, so the root of the quadratic, rounded down, then a step to be exact).
    ValueError if not even w = 1 fits.
    """
    a, b, c = n_hidden - 1, d_in + n_hidden + n_classes, n_classes - budget
    root = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    width = max(int(root), 1)
    while mlp_param_count(d_in, width + 1, n_hidden, n_classes) <= budget:
        width += 1
    while width > 1 and mlp_param_count(d_in, width, n_hidden, n_classes) > budget:
        width -= 1
    if mlp_param_count(d_in, width, n_hidden, n_classes) > budget:
        raise ValueError(f"budget={budget} is below the smallest {n_hidden}-layer MLP")
    return width


def n_weights(layer_sizes: Sequence[int]) -> int:
    """Kernel entries of an MLP (biases not counted): sum_l d_l d_{l+1}."""
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True))


def he_mlp_from_normals(normals: jax.Array, layer_sizes: Sequence[int]) -> Params:
    """An MLP in `jlr.models.mlp`'s layout, He-initialised for its ReLUs, from standard normals.

    Hidden kernels w = z sqrt(2 / d_in) (`init_variance("he", ...)`), the readout
    w = z sqrt(1 / d_in) ("lecun": no ReLU after it), zero biases; the z are consecutive
    slices of normals: (>= n_weights(layer_sizes),). Drawing all weights as ONE normal
    vector and slicing it is the same distribution as one draw per layer, and XLA compiles
    one random draw far faster than one per layer's shape (the study compiles per depth).
    layer_sizes (d_in, d_hidden..., n_classes) -> [{"w": (d_l, d_{l+1}), "b": (d_{l+1},)}, ...]
    """
    params, offset = [], 0
    n_layers = len(layer_sizes) - 1
    for i, (d_in, d_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:], strict=True)):
        scheme = "lecun" if i == n_layers - 1 else "he"
        z = normals[offset : offset + d_in * d_out].reshape(d_in, d_out)  # (d_in, d_out)
        params.append(
            {"w": z * math.sqrt(init_variance(scheme, (d_in, d_out))), "b": jnp.zeros((d_out,))}
        )
        offset += d_in * d_out
    return params


def init_he_mlp(key: jax.Array, layer_sizes: Sequence[int]) -> Params:
    """`he_mlp_from_normals` of one fresh normal vector: -> the MLP's params."""
    return he_mlp_from_normals(jax.random.normal(key, (n_weights(layer_sizes),)), layer_sizes)


def layer_grad_norms(grads: Params) -> jax.Array:
    """||dL/dW_l||_F of every layer's kernel (biases left out): -> (n_layers,)."""
    return jnp.stack([jnp.linalg.norm(layer["w"]) for layer in grads])


def train_mlp(
    params: Params,
    rows: jax.Array,
    data: dict[str, jax.Array],
    *,
    lr: float,
    n_evals: int,
) -> dict[str, jax.Array]:
    """Train one MLP with Adam on the minibatches rows: (n_steps, batch) of training indices;
    returns the records of the module docstring for this one run (no seed axis).

    data: {"x_train": (n, d_in), "y_train": (n,), "x_test", "y_test"}; n_steps must be a
    multiple of n_evals. Pure and traceable: `train_seeds` vmaps it over seeds and jits it.
    """
    optimizer = adam(lr)
    x, y = data["x_train"], data["y_train"]
    n_steps, batch_size = rows.shape
    init_grads = jax.grad(mlp_loss)(params, x, y)

    def step(carry, batch_rows):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(mlp_loss)(params, x[batch_rows], y[batch_rows])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (apply_updates(params, updates), opt_state), (loss, layer_grad_norms(grads))

    def chunk(carry, chunk_rows):  # n_steps / n_evals steps, then one test evaluation
        carry, (losses, norms) = jax.lax.scan(step, carry, chunk_rows)
        test_acc = accuracy(mlp(carry[0], data["x_test"]), data["y_test"])
        return carry, (losses, norms, test_acc)

    chunks = rows.reshape(n_evals, n_steps // n_evals, batch_size)  # (n_evals, steps, batch)
    (params, _), (losses, norms, test_acc) = jax.lax.scan(
        chunk, (params, optimizer.init(params)), chunks
    )
    return {
        "train_loss": losses.reshape(n_steps),  # (n_evals, steps, ...) -> (n_steps,)
        "test_acc": test_acc,
        "train_acc": accuracy(mlp(params, x), y),
        "grad_norms": layer_grad_norms(init_grads),
        "mean_grad_norms": norms.reshape(n_steps, -1).mean(axis=0),  # (n_layers,)
        "params": params,
    }


@partial(jax.jit, static_argnames=("layer_sizes", "n_evals"))
def train_seeds(
    normals: jax.Array,
    rows: jax.Array,
    data: dict[str, jax.Array],
    layer_sizes: tuple[int, ...],
    *,
    lr: float,
    n_evals: int,
) -> dict[str, jax.Array]:
    """n_seeds runs at once: normals (n_seeds, >= n_weights) seed each init
    (`he_mlp_from_normals`), rows (n_seeds, n_steps, batch) their minibatches; `train_mlp`
    vmapped over them, so every record gains a leading (n_seeds,) axis."""

    def run(z, run_rows):
        params = he_mlp_from_normals(z, layer_sizes)
        return train_mlp(params, run_rows, data, lr=lr, n_evals=n_evals)

    return jax.vmap(run)(normals, rows)


@partial(jax.jit, static_argnames=("n_normals", "n_steps", "batch_size"))
def draw_seeds(
    seed_keys: jax.Array, n_train: int, *, n_normals: int, n_steps: int, batch_size: int
) -> tuple[jax.Array, jax.Array]:
    """Per seed, the init's standard normals (n_seeds, n_normals) and the minibatch rows
    (n_seeds, n_steps, batch_size), drawn with replacement from range(n_train)."""

    def one(key):
        init_key, data_key = jax.random.split(key)
        normals = jax.random.normal(init_key, (n_normals,))
        return normals, jax.random.randint(data_key, (n_steps, batch_size), 0, n_train)

    return jax.vmap(one)(seed_keys)


def depth_width_study(
    key: jax.Array,
    data: dict[str, jax.Array],
    *,
    depths: Sequence[int] = (1, 2, 3, 4, 6, 8),
    budget: int = 20_000,
    n_seeds: int = 8,
    n_steps: int = 3000,
    batch_size: int = 128,
    lr: float = 1e-3,
    n_evals: int = 30,
) -> dict[int, dict]:
    """Train n_seeds MLPs of every depth (number of hidden layers) at the same budget.

    data: {"x_train": (n, d_in), "y_train": (n,) int, "x_test", "y_test"}, classes 0..y.max().
    -> {depth: {"width": w, "n_params": P, "layer_sizes": (...), and the records of the
    module docstring as numpy arrays}}. Seed s uses the same normals and minibatches at every
    depth (paired seeds), so differences between depths are compared seed by seed.
    """
    if n_steps % n_evals:
        raise ValueError(f"n_steps={n_steps} must be a multiple of n_evals={n_evals}")
    data = {name: jnp.asarray(value) for name, value in data.items()}
    n_train, d_in = data["x_train"].shape
    n_classes = int(np.max(np.asarray(data["y_train"]))) + 1
    normals, rows = draw_seeds(
        jax.random.split(key, n_seeds), n_train, n_normals=budget, n_steps=n_steps,
        batch_size=batch_size,
    )  # fmt: skip
    results = {}
    for depth in depths:
        width = width_for_budget(d_in, n_classes, depth, budget)
        sizes = (d_in, *[width] * depth, n_classes)
        runs = train_seeds(normals, rows, data, sizes, lr=lr, n_evals=n_evals)
        results[depth] = {
            "width": width,
            "n_params": mlp_param_count(d_in, width, depth, n_classes),
            "layer_sizes": sizes,
            **jax.tree.map(np.asarray, runs),
        }
    return results


def steps_to_loss(train_loss: np.ndarray, threshold: float, window: int = 50) -> np.ndarray:
    """Training speed: the first step at which the running mean of the last `window`
    minibatch losses is <= threshold (n_steps if never). train_loss: (..., n_steps) -> (...)."""
    loss = np.asarray(train_loss, np.float64)
    kernel = np.ones(window) / window
    smooth = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="valid"), -1, loss)
    below = smooth <= threshold  # (..., n_steps - window + 1); entry t covers steps t..t+w-1
    first = np.where(below.any(axis=-1), below.argmax(axis=-1) + window - 1, loss.shape[-1])
    return first
