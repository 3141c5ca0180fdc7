"""Project `data-parallel-mlp`: the digits MLP trained data-parallel over every device.

The same model and data as `digits-mlp`, trained with `jlr.parallel.data_parallel`'s sharded
`jit` step over a mesh of all devices, of all processes. Run it in one process
(`jlr run data-parallel-mlp`), over simulated devices (XLA_FLAGS=
--xla_force_host_platform_device_count=8), or as N processes joined by `jax.distributed`
(`jlr run data-parallel-mlp --processes 2`); the parameters agree in every case, because
step t always uses the global batch `batch_indices(t)` and each process feeds its slice.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.config import bounds, config_to_dict
from jlr.data.batches import batch_indices
from jlr.data.digits import load_digits
from jlr.errors import ConfigError
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.optim import adamw
from jlr.parallel.data_parallel import data_mesh, make_sharded_step, replicate, shard_batch
from jlr.train import init_train_state
from jlr.train.checkpoint import save_checkpoint
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import CONFIG, append_metrics, read_metrics, write_json
from jlr.viz.curves import plot_metric_curves

DESCRIPTION = "the digits MLP trained data-parallel over all devices and processes"
SUPPORTS_PROCESSES = True  # `jlr run data-parallel-mlp --processes N` works
PARAMS_FILE = "params.npz"


@dataclass(frozen=True)
class Config:
    seed: int = field(default=0, metadata=bounds(0))
    hidden: tuple[int, ...] = field(default=(128,), metadata=bounds(1, 8192))
    lr: float = field(default=2e-3, metadata=bounds(0.0, 10.0, low_open=True))
    weight_decay: float = field(default=1e-4, metadata=bounds(0.0, 1.0))
    batch_size: int = field(default=64, metadata=bounds(1, 1437))
    steps: int = field(default=600, metadata=bounds(1, 10_000_000))
    log_every: int = field(default=50, metadata=bounds(1))
    test_fraction: float = field(default=0.2, metadata=bounds(0.05, 0.5))


PRESETS = {"demo": {}, "full": {"hidden": (256, 256), "steps": 3000}}


def loss_fn(params, batch, key):
    """Mean cross-entropy of the MLP on a batch (no dropout, so `key` is unused).

    batch: {"x": (batch, 64), "y": (batch,) int} -> ((), {}), the loss `jlr.train` expects
    """
    logits = mlp(params, batch["x"])  # (batch, 10)
    return jnp.mean(softmax_cross_entropy(logits, batch["y"])), {}


def local_rows(rows: np.ndarray) -> np.ndarray:
    """This process's contiguous slice of the global batch rows (all of them, one process)."""
    return np.array_split(rows, jax.process_count())[jax.process_index()]


def to_host(tree):
    """A local numpy copy of a replicated pytree (each process holds a full copy)."""
    return jax.tree.map(lambda a: np.asarray(a.addressable_data(0)), tree)


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train data-parallel; process 0 writes the run folder. Returns the final test metrics."""
    if resume:
        raise ConfigError("data-parallel-mlp does not checkpoint; run it again without --resume")
    mesh = data_mesh()
    if config.batch_size % mesh.size:
        raise ConfigError(f"batch_size={config.batch_size} must divide over {mesh.size} devices")
    out_dir, writer = Path(out_dir), jax.process_index() == 0
    data = load_digits(test_fraction=config.test_fraction, seed=0)
    x_train = data.x_train.reshape(len(data.x_train), -1).astype(np.float32)  # (n, 64)
    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    optimizer = adamw(config.lr, weight_decay=config.weight_decay)
    state = init_train_state(init_mlp(init_key, (64, *config.hidden, 10)), optimizer, train_key)
    state = replicate(state, mesh)
    train_step = make_sharded_step(loss_fn, optimizer, mesh)
    records = []
    for t in range(config.steps):
        rows = local_rows(
            batch_indices(t, seed=config.seed, n=len(x_train), batch_size=config.batch_size)
        )
        batch = shard_batch({"x": x_train[rows], "y": data.y_train[rows]}, mesh)
        state, metrics = train_step(state, batch)
        if (t + 1) % config.log_every == 0 or t + 1 == config.steps:
            records.append({"step": t + 1, "train_loss": float(to_host(metrics["loss"]))})
            if progress and writer:
                print(f"step {t + 1:>6}  loss {records[-1]['train_loss']:.4f}", flush=True)
    params = to_host(state.params)
    logits = mlp(params, jnp.asarray(data.x_test.reshape(len(data.x_test), -1)))
    final = {"test_accuracy": float(accuracy(logits, jnp.asarray(data.y_test)))}
    final["n_devices"], final["n_processes"] = mesh.size, jax.process_count()
    if writer:
        write_outputs(out_dir, config, params, records, final)
    return final


def write_outputs(out_dir: Path, config: Config, params, records: list, final: dict) -> None:
    write_json(
        out_dir / CONFIG,
        {
            "project": "data-parallel-mlp",
            "config": config_to_dict(config),
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    append_metrics(out_dir, records)
    save_checkpoint(out_dir / PARAMS_FILE, params, {"step": config.steps})
    write_json(out_dir / "results.json", final)
    figure = plot_metric_curves(read_metrics(out_dir), ["train_loss"], title="Loss", ylabel="loss")
    write_report(
        out_dir,
        title="data-parallel-mlp: the digits MLP over every device",
        summary={**final, "steps": config.steps},
        config=config_to_dict(config),
        figures={"loss.png": save_figure(figure, out_dir / "loss.png")},
    )
