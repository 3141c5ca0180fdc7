"""Project `digits-mlp`: an MLP classifies scikit-learn's 8x8 handwritten digits.

The first end-to-end project, built only from JLR's own pieces: `jlr.data.load_digits`,
`jlr.models.mlp`, `jlr.optim.adamw` and the `jlr.train` loop. 1,797 images, 64 pixels
each, ten classes; a stratified 80/20 split. Target: at least 97% test accuracy.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp

from jlr.config import bounds, choices, config_to_dict
from jlr.data.digits import load_digits
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.optim import adamw
from jlr.optim.schedules import cosine_decay
from jlr.train import fit, init_train_state, make_train_step
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import CONFIG, read_metrics, write_json
from jlr.viz.curves import plot_metric_curves

DESCRIPTION = "an MLP on scikit-learn's digits (8x8 images), >= 97% test accuracy"


@dataclass(frozen=True)
class Config:
    seed: int = field(default=0, metadata=bounds(0))
    hidden: tuple[int, ...] = field(default=(256, 256), metadata=bounds(1, 8192))
    lr: float = field(default=2e-3, metadata=bounds(0.0, 10.0, low_open=True))
    weight_decay: float = field(default=1e-4, metadata=bounds(0.0, 1.0))
    batch_size: int = field(default=64, metadata=bounds(1, 1437))
    steps: int = field(default=1500, metadata=bounds(1, 10_000_000))
    eval_every: int = field(default=100, metadata=bounds(1))
    checkpoint_every: int = field(default=250, metadata=bounds(1))
    steps_per_call: int = field(default=50, metadata=bounds(1, 10_000))
    test_fraction: float = field(default=0.2, metadata=bounds(0.05, 0.5))
    drop_prob: float = field(default=0.2, metadata=bounds(0.0, 0.95))
    schedule: str = field(default="cosine", metadata=choices("constant", "cosine"))


PRESETS = {
    "demo": {},
    "full": {"hidden": (512, 512), "steps": 6000, "eval_every": 500, "checkpoint_every": 500},
}


def make_loss_fn(drop_prob: float):
    def loss_fn(params, batch, key):
        logits = mlp(params, batch["x"], drop_prob=drop_prob, key=key)  # (batch, 10)
        loss = jnp.mean(softmax_cross_entropy(logits, batch["y"]))
        return loss, {"accuracy": accuracy(logits, batch["y"])}

    return loss_fn


def make_evaluate(x_test, y_test):
    @jax.jit
    def evaluate(params, model_state):
        del model_state  # the MLP keeps no running statistics
        logits = mlp(params, x_test)
        loss = jnp.mean(softmax_cross_entropy(logits, y_test))
        return {"test_loss": loss, "test_accuracy": accuracy(logits, y_test)}

    return evaluate


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train the MLP into `out_dir`; returns the final test metrics."""
    out_dir = Path(out_dir)
    data = load_digits(test_fraction=config.test_fraction, seed=0)
    x_train = data.x_train.reshape(len(data.x_train), -1)  # (n, 64)
    x_test = jnp.asarray(data.x_test.reshape(len(data.x_test), -1))
    write_json(
        out_dir / CONFIG,
        {
            "project": "digits-mlp",
            "config": config_to_dict(config),
            "data": {"name": "sklearn load_digits", "n_train": len(x_train), "n_test": len(x_test)},
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    params = init_mlp(init_key, (64, *config.hidden, 10))
    lr = cosine_decay(config.lr, config.steps) if config.schedule == "cosine" else config.lr
    optimizer = adamw(lr, weight_decay=config.weight_decay)
    state = init_train_state(params, optimizer, train_key)
    evaluate = make_evaluate(x_test, jnp.asarray(data.y_test))
    state = fit(
        state,
        make_train_step(make_loss_fn(config.drop_prob), optimizer),
        train_data={"x": x_train, "y": data.y_train},
        batch_size=config.batch_size,
        total_steps=config.steps,
        data_seed=config.seed,
        out_dir=out_dir,
        evaluate=evaluate,
        eval_every=config.eval_every,
        checkpoint_every=config.checkpoint_every,
        steps_per_call=config.steps_per_call,
        resume=resume,
        progress=progress,
    )
    final = {key: float(v) for key, v in evaluate(state.params, state.model_state).items()}
    write_json(out_dir / "results.json", final)
    write_run_report(out_dir, config, final)
    return final


def write_run_report(out_dir: Path, config: Config, final: dict[str, float]) -> Path:
    records = read_metrics(out_dir)
    figures = {
        "loss.png": save_figure(
            plot_metric_curves(
                records,
                ["train_loss", "test_loss"],
                title="Loss",
                ylabel="cross-entropy",
                log_y=True,
            ),
            out_dir / "loss.png",
        ),
        "accuracy.png": save_figure(
            plot_metric_curves(
                records, ["train_accuracy", "test_accuracy"], title="Accuracy", ylabel="accuracy"
            ),
            out_dir / "accuracy.png",
        ),
    }
    throughput = [r["steps_per_sec"] for r in records[1:]] or [0.0]
    summary = {
        **final,
        "steps": config.steps,
        "median steps/s": sorted(throughput)[len(throughput) // 2],
    }
    return write_report(
        out_dir,
        title="digits-mlp: an MLP on 8x8 digits",
        summary=summary,
        config=config_to_dict(config),
        figures=figures,
    )
