"""Run as a script with XLA_FLAGS=--xla_force_host_platform_device_count=8 (set by the test).

Trains a tiny MLP for a few steps four ways (one device; sharded jit; shard_map + pmean;
pmap) from the same state on the same batches, and prints JSON with the largest parameter
difference of each data-parallel version from the single-device one.
"""

import json
import warnings

import jax
import jax.numpy as jnp

from jlr.models.mlp import init_mlp
from jlr.optim import sgd
from jlr.parallel import data_parallel as dp
from jlr.projects.data_parallel_mlp import loss_fn as classification_loss
from jlr.train import init_train_state, make_train_step

N_STEPS, BATCH = 3, 16


def max_difference(a, b) -> float:
    return max(
        float(jnp.max(jnp.abs(x - y)))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def main() -> None:
    warnings.simplefilter("error", DeprecationWarning)
    init_key, data_key, train_key = jax.random.split(jax.random.key(0), 3)
    optimizer = sgd(0.1)  # not Adam: its update hides a wrong gradient scale
    state = init_train_state(init_mlp(init_key, (6, 8, 3)), optimizer, train_key)
    x = jax.random.normal(data_key, (N_STEPS, BATCH, 6))
    y = jax.random.randint(jax.random.fold_in(data_key, 1), (N_STEPS, BATCH), 0, 3)
    batches = [{"x": x[t], "y": y[t]} for t in range(N_STEPS)]

    single, step = state, jax.jit(make_train_step(classification_loss, optimizer))
    for batch in batches:
        single, _ = step(single, batch)

    mesh = dp.data_mesh()
    results = {"n_devices": jax.device_count()}
    for name, make in (
        ("sharded_jit", dp.make_sharded_step),
        ("shard_map", dp.make_shard_map_step),
    ):
        parallel, step = dp.replicate(state, mesh), make(classification_loss, optimizer, mesh)
        for batch in batches:
            parallel, metrics = step(parallel, dp.shard_batch(batch, mesh))
        results[name] = max_difference(parallel.params, single.params)
    hlo = (
        dp.make_sharded_step(classification_loss, optimizer, mesh)
        .lower(dp.replicate(state, mesh), dp.shard_batch(batches[0], mesh))
        .compile()
        .as_text()
    )
    results["compiler_inserted_all_reduce"] = "all-reduce" in hlo

    parallel, step = state, dp.make_pmap_step(classification_loss, optimizer, mesh.size)
    for batch in batches:
        replicated, _ = step(parallel, dp.split_leading(batch, mesh.size))
        parallel = dp.unreplicate(replicated)
    results["pmap"] = max_difference(parallel.params, single.params)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
