"""Benchmark: a from-scratch `jlr.optim` optimizer step against optax's, on the same model.

Model: the digits MLP (64-256-256-10, ~85k parameters), batch 64, float32, CPU.
For each optimizer (SGD+momentum, Nesterov, RMSProp, Adam, AdamW) two timings per library:
- update: `optimizer.update` + `apply_updates` alone, on fixed gradients;
- train step: loss, gradient, update and apply, the whole jitted step.
Each call scans `--steps` steps inside one jit (no Python dispatch in the timing), and jlr
and optax calls alternate so a change in machine load hits both. Reported: time per
step, best of the repeats (as timeit does: on a shared machine the minimum is the run
least disturbed by other load), and the ratio jlr / optax (target: within 5%, i.e. <= 1.05).

    python benchmarks/bench_optimizer_step.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, print_table  # noqa: E402

from jlr.data import load_digits  # noqa: E402
from jlr.models.mlp import init_mlp, mlp  # noqa: E402
from jlr.nn.losses import softmax_cross_entropy  # noqa: E402
from jlr.optim import adam, adamw, apply_updates, rmsprop, sgd  # noqa: E402

OPTIMIZERS = {
    "sgd momentum": (lambda: sgd(0.05, momentum=0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    "nesterov": (
        lambda: sgd(0.05, momentum=0.9, nesterov=True),
        lambda: optax.sgd(0.05, momentum=0.9, nesterov=True),
    ),
    "rmsprop": (lambda: rmsprop(1e-3), lambda: optax.rmsprop(1e-3)),
    "adam": (lambda: adam(1e-3), lambda: optax.adam(1e-3)),
    "adamw": (lambda: adamw(1e-3, weight_decay=1e-4), lambda: optax.adamw(1e-3, weight_decay=1e-4)),
}


def loss_fn(params, x, y):
    return jnp.mean(softmax_cross_entropy(mlp(params, x), y))


def make_runner(optimizer, apply, n_steps: int, *, with_grad: bool):
    """A jitted call running n_steps steps with lax.scan: (params, state, xs, ys) -> loss."""

    def step(carry, batch):
        params, state = carry
        x, y = batch
        if with_grad:
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        else:  # fixed gradient-shaped input: time the optimizer arithmetic alone
            loss, grads = 0.0, jax.tree.map(lambda p: 1e-3 * jnp.ones_like(p), params)
        updates, state = optimizer.update(grads, state, params)
        return (apply(params, updates), state), loss

    def run(params, state, xs, ys):
        (params, state), losses = jax.lax.scan(step, (params, state), (xs, ys))
        return params, losses[-1]

    return jax.jit(run)


def time_pair(name: str, n_steps: int, repeats: int, xs, ys, *, with_grad: bool) -> dict:
    params = init_mlp(jax.random.key(0), (64, 256, 256, 10))
    make_ours, make_theirs = OPTIMIZERS[name]
    runners = {}
    for label, optimizer, apply in (
        ("jlr", make_ours(), apply_updates),
        ("optax", make_theirs(), optax.apply_updates),
    ):
        run = make_runner(optimizer, apply, n_steps, with_grad=with_grad)
        state = optimizer.init(params)
        jax.block_until_ready(run(params, state, xs, ys))  # compile
        runners[label] = (run, state)
    seconds = {"jlr": [], "optax": []}
    for _ in range(repeats):
        for label, (run, state) in runners.items():  # alternate jlr / optax
            start = time.perf_counter()
            jax.block_until_ready(run(params, state, xs, ys))
            seconds[label].append((time.perf_counter() - start) / n_steps)
    jlr_us = min(seconds["jlr"]) * 1e6
    optax_us = min(seconds["optax"]) * 1e6
    return {
        "optimizer": name,
        "timing": "train step" if with_grad else "update only",
        "jlr us/step": jlr_us,
        "optax us/step": optax_us,
        "ratio": jlr_us / optax_us,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--steps", type=int, default=200, help="steps per timed call")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    args = parser.parse_args()
    n_steps, repeats = (20, 3) if args.quick else (args.steps, args.repeats)
    names = ["sgd momentum", "adam"] if args.quick else list(OPTIMIZERS)

    data = load_digits()
    x = jnp.asarray(data.x_train.reshape(len(data.x_train), -1))
    rows_index = jax.random.randint(jax.random.key(1), (n_steps, 64), 0, x.shape[0])
    xs, ys = (
        x[rows_index],
        jnp.asarray(data.y_train)[rows_index],
    )  # (n_steps, 64, 64), (n_steps, 64)

    rows = [
        time_pair(name, n_steps, repeats, xs, ys, with_grad=with_grad)
        for with_grad in (False, True)
        for name in names
    ]
    print_table(rows, ["optimizer", "timing", "jlr us/step", "optax us/step", "ratio"])
    worst = max(r["ratio"] for r in rows if r["timing"] == "train step")
    print(f"worst train-step ratio jlr/optax: {worst:.3f} (target <= 1.05)")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "optimizer_step.json"
    payload = {
        "machine": machine(),
        "quick": args.quick,
        "steps_per_call": n_steps,
        "repeats": repeats,
        "rows": rows,
        "worst_train_step_ratio": worst,
        "target": 1.05,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
