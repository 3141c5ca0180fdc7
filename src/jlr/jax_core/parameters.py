"""Manual parameter management: parameters are a pytree (nested dicts/lists of arrays).

An init function returns the pytree; `jax.tree.map` applies per-leaf math; flatten turns
it into (leaves, treedef) and unflatten back; ravel concatenates the leaves into one vector
(for second-order methods or for counting); saving writes each leaf under its key path.
Source: JAX docs, "Pytrees"; `jax.flatten_util.ravel_pytree` (the oracle for `ravel`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

PyTree = Any


def count_params(params: PyTree) -> int:
    """Total number of scalars: sum over leaves of prod(shape)."""
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(params))


def param_shapes(params: PyTree) -> dict[str, tuple[int, ...]]:
    """{key path: shape}, e.g. {"[0]['w']": (64, 256), ...}."""
    flat, _ = jax.tree_util.tree_flatten_with_path(params)
    return {jax.tree_util.keystr(path): tuple(leaf.shape) for path, leaf in flat}


def global_norm(params: PyTree) -> jax.Array:
    """sqrt(sum of squares of every element of every leaf)."""
    return jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(params)))


def sgd_update(params: PyTree, grads: PyTree, lr: float) -> PyTree:
    """p - lr * g for every leaf, with jax.tree.map over two trees of the same structure."""
    return jax.tree.map(lambda p, g: p - lr * g, params, grads)


def ravel(params: PyTree) -> tuple[jax.Array, Callable[[jax.Array], PyTree]]:
    """(vector of all leaves concatenated, unravel: vector -> pytree), from scratch."""
    leaves, treedef = jax.tree.flatten(params)
    shapes = [leaf.shape for leaf in leaves]
    sizes = [int(np.prod(shape)) for shape in shapes]
    vector = jnp.concatenate([jnp.ravel(leaf) for leaf in leaves])  # (n_params,)

    def unravel(flat: jax.Array) -> PyTree:
        pieces = jnp.split(flat, np.cumsum(sizes)[:-1])
        return jax.tree.unflatten(
            treedef, [p.reshape(s) for p, s in zip(pieces, shapes, strict=True)]
        )

    return vector, unravel


def save_params(path: Path, params: PyTree) -> None:
    """Write every leaf to an .npz under its key path (readable with plain numpy)."""
    flat, _ = jax.tree_util.tree_flatten_with_path(params)
    np.savez(path, **{jax.tree_util.keystr(p): np.asarray(leaf) for p, leaf in flat})


def load_params(path: Path, template: PyTree) -> PyTree:
    """Read an .npz written by save_params into the structure of `template`.

    Raises ValueError naming the first leaf whose key or shape does not match.
    """
    flat, treedef = jax.tree_util.tree_flatten_with_path(template)
    with np.load(path) as stored:
        leaves = []
        for key_path, like in flat:
            name = jax.tree_util.keystr(key_path)
            if name not in stored or stored[name].shape != like.shape:
                raise ValueError(f"{path}: leaf {name} missing or not of shape {like.shape}")
            leaves.append(jnp.asarray(stored[name], dtype=like.dtype))
    return jax.tree.unflatten(treedef, leaves)
