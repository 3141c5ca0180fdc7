"""Data-parallel training: every device holds the parameters, each sees 1/n of the batch.

With n devices and a batch split into shards B_1..B_n of equal size, the gradient of the
mean loss is the mean of the shards' gradients,

    grad L(B) = (1/n) sum_i grad L(B_i),

so one all-reduce (a mean over devices) per step makes every device apply the same update,
and the result equals single-device training on the whole batch (up to float rounding).
Three ways to write it, newest first:

- `make_sharded_step`: plain `jax.jit` with shardings: the batch is split over the mesh axis
  "data", parameters are replicated, and the XLA SPMD partitioner inserts the all-reduce.
- `make_shard_map_step`: `jax.shard_map` runs the step per device on its shard; the
  all-reduce is written out as `lax.pmean(grads, "data")`.
- `make_pmap_step`: `jax.pmap`, the original API the curriculum names; since JAX 0.8 it is
  implemented with `jit` + `shard_map`. Batches get an explicit leading device axis.
Source: JAX docs, "Distributed arrays and automatic parallelization", "Manual parallelism
with shard_map".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jlr.optim.base import GradientTransformation, apply_updates
from jlr.train.state import TrainState
from jlr.train.step import make_train_step

AXIS = "data"


def data_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh named "data" over the given devices (default: every device, all processes)."""
    devices = list(devices) if devices is not None else jax.devices()
    return jax.make_mesh(
        (len(devices),), (AXIS,), axis_types=(jax.sharding.AxisType.Explicit,), devices=devices
    )


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Put a pytree on every device of the mesh (each process supplies the same values).

    Built from host copies with make_array_from_callback, which works when the mesh spans
    devices of other processes (device_put accepts only this process's devices).
    """
    sharding = NamedSharding(mesh, P())

    def put(leaf):
        if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):  # keys travel as their raw bits
            impl = jax.random.key_impl(leaf)
            return jax.random.wrap_key_data(put(jax.random.key_data(leaf)), impl=impl)
        host = np.asarray(leaf)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(put, tree)


def shard_batch(local_batch: Any, mesh: Mesh) -> Any:
    """A global batch split over "data" from this process's rows (all rows, one process).

    local_batch leaves: (batch / n_processes, ...) -> global (batch, ...), sharded on axis 0
    """
    sharding = NamedSharding(mesh, P(AXIS))
    return jax.tree.map(
        lambda leaf: jax.make_array_from_process_local_data(sharding, np.asarray(leaf)),
        local_batch,
    )


def make_sharded_step(loss_fn: Callable, optimizer: GradientTransformation, mesh: Mesh):
    """jlr.train's step under jit with shardings: the compiler adds the gradient all-reduce.

    (state replicated, batch sharded on "data") -> (state replicated, metrics replicated)
    """
    replicated, split = NamedSharding(mesh, P()), NamedSharding(mesh, P(AXIS))
    return jax.jit(
        make_train_step(loss_fn, optimizer),
        in_shardings=(replicated, split),
        out_shardings=(replicated, replicated),
    )


def make_local_step(loss_fn: Callable, optimizer: GradientTransformation):
    """The per-device step: gradients on this device's shard, then an explicit all-reduce.

    Runs inside shard_map or pmap, where the axis "data" is bound. -> (state, {"loss"})
    """

    def local_step(state: TrainState, shard: Any) -> tuple[TrainState, dict[str, jax.Array]]:
        step_key = jax.random.fold_in(state.key, state.step)
        (loss, _aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, shard, step_key
        )
        grads = jax.lax.pmean(grads, AXIS)  # the all-reduce: mean of the shards' gradients
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        new_state = state._replace(
            params=apply_updates(state.params, updates), opt_state=opt_state, step=state.step + 1
        )
        return new_state, {"loss": jax.lax.pmean(loss, AXIS)}

    return local_step


def make_shard_map_step(loss_fn: Callable, optimizer: GradientTransformation, mesh: Mesh):
    """shard_map of the local step: (state replicated, batch sharded) -> (state, metrics).

    check_vma=False: with JAX's default (True), shard_map tracks which values vary over the
    mesh axis, and the gradient of a replicated parameter used with sharded data comes back
    already summed over devices (the transpose of the implicit broadcast is a psum). Then a
    pmean would be a no-op and the step would apply n times the mean gradient. Turning the
    tracking off gives pmap's semantics, where the all-reduce is the explicit pmean below.
    """
    return jax.jit(
        jax.shard_map(
            make_local_step(loss_fn, optimizer),
            mesh=mesh,
            in_specs=(P(), P(AXIS)),
            out_specs=(P(), P()),
            check_vma=False,  # see the docstring: we write the all-reduce ourselves
        )
    )


def make_pmap_step(loss_fn: Callable, optimizer: GradientTransformation, n_devices: int):
    """pmap of the local step. Batch leaves: (n_devices, batch / n_devices, ...).

    The state is broadcast in (in_axes None) and comes back with a leading device axis;
    `unreplicate` takes device 0's copy.
    """
    return jax.pmap(
        make_local_step(loss_fn, optimizer),
        axis_name=AXIS,
        in_axes=(None, 0),
        devices=jax.devices()[:n_devices],
    )


def split_leading(batch: Any, n_devices: int) -> Any:
    """(batch, ...) -> (n_devices, batch / n_devices, ...) for pmap."""
    return jax.tree.map(lambda x: x.reshape(n_devices, -1, *x.shape[1:]), batch)


def unreplicate(tree: Any) -> Any:
    """Device 0's copy of a pmap output with a leading device axis."""
    return jax.tree.map(lambda x: x[0], tree)
