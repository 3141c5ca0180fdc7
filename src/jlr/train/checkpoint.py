"""Checkpoints: a pytree and its metadata in one .npz, written atomically.

The file is written to a temporary name in the same folder, flushed to disk, and renamed
over the old one (`os.replace` is atomic on POSIX), so a kill at any instant leaves either
the previous checkpoint or the new one, never a torn file. Typed PRNG keys are stored as
their raw key data and re-wrapped on load.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jlr.atomic_file import write_atomically
from jlr.errors import RunFolderError

_META = "__metadata__"


def _is_key(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _leaf_name(path) -> str:
    return jax.tree_util.keystr(path)


def save_checkpoint(path: Path, tree: Any, metadata: dict[str, Any]) -> None:
    """Save every leaf of `tree` (by its pytree path) and a JSON metadata dict."""
    arrays = {}
    for leaf_path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        value = jax.random.key_data(leaf) if _is_key(leaf) else leaf
        arrays[_leaf_name(leaf_path)] = np.asarray(value)
    arrays[_META] = np.asarray(json.dumps(metadata))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def read_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The stored arrays by leaf name, and the metadata; one-line RunFolderError if the file
    is not a readable JLR checkpoint (missing, empty, torn, another program's .npz)."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(f"no checkpoint at {path}; start without --resume")
    if path.stat().st_size == 0:
        raise RunFolderError(f"checkpoint {path} is empty (0 bytes); delete it to start over")
    try:
        with open(path, "rb") as handle:
            stored = np.load(handle, allow_pickle=False)  # an .npy renamed .npz: an array
            if not isinstance(stored, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise RunFolderError(
            f"checkpoint {path} is unreadable ({reason}); delete it to start over"
        ) from None
    if _META not in arrays:
        raise RunFolderError(
            f"{path} is not a JLR checkpoint (it has no {_META} entry); "
            "delete it or choose another --out"
        )
    try:
        metadata = json.loads(str(arrays.pop(_META)))
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict):
        raise RunFolderError(f"{path}: its metadata is not a JSON object; delete it to start over")
    return arrays, metadata


def load_checkpoint(path: Path, template: Any) -> tuple[Any, dict[str, Any]]:
    """Read a checkpoint into the structure of `template` (e.g. a freshly initialized state).

    Raises RunFolderError in one line when the file is missing, empty, unreadable, not a JLR
    checkpoint, or was written for a differently shaped model.
    """
    arrays, metadata = read_checkpoint(path)
    leaves_with_paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    leaves = []
    for leaf_path, leaf in leaves_with_paths:
        name = _leaf_name(leaf_path)
        if name not in arrays:
            raise RunFolderError(
                f"checkpoint {path} has no entry {name}: it was written by a different model config"
            )
        stored = arrays[name]
        expected_shape = jax.random.key_data(leaf).shape if _is_key(leaf) else np.shape(leaf)
        if stored.shape != expected_shape:
            raise RunFolderError(
                f"checkpoint {path}: {name} has shape {stored.shape}, this config expects "
                f"{expected_shape}; resume with the config the run started with"
            )
        if _is_key(leaf):
            leaves.append(jax.random.wrap_key_data(stored, impl=jax.random.key_impl(leaf)))
        else:
            leaves.append(jnp.asarray(stored, dtype=np.asarray(leaf).dtype))
    return jax.tree_util.tree_unflatten(treedef, leaves), metadata


def load_params(path: Path, template: Any) -> Any:
    """The parameters of a training checkpoint (the `.params` of its `TrainState`), shaped like
    `template` (e.g. freshly initialized params of the same model).

    One-line RunFolderError when the file is not a readable JLR checkpoint, or has no entry or
    another shape for one of template's leaves (a checkpoint of another model).
    """
    arrays, _ = read_checkpoint(path)
    leaves_with_paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    leaves = []
    for leaf_path, leaf in leaves_with_paths:
        name = ".params" + _leaf_name(leaf_path)
        stored = arrays.get(name)
        if stored is None or stored.shape != np.shape(leaf):
            found = "no such entry" if stored is None else f"shape {stored.shape}"
            raise RunFolderError(
                f"checkpoint {path}: {name} has {found}, the model expects {np.shape(leaf)}; "
                "load it with the config of the run that wrote it"
            )
        leaves.append(jnp.asarray(stored, dtype=np.asarray(leaf).dtype))
    return jax.tree_util.tree_unflatten(treedef, leaves)
