"""Benchmark: the `jlr.train` loop against a bare hand-written `jax.jit` loop.

Same model (the digits MLP, 64-256-256-10), same optimizer (AdamW), same batches.
- bare loop:  a jitted step called once per step from Python, numpy batch per step;
- jlr.fit, steps_per_call=1:  the library loop with one step per dispatch;
- jlr.fit, steps_per_call=50: the library loop scanning 50 steps per dispatch.
Throughput is measured after compilation (the first call is excluded). Also the wall time
of `jlr run digits-mlp` end to end (a fresh process: imports, compile, train, report).

    python benchmarks/bench_train_loop.py [--quick] [--repeats N]

The three loops alternate within each repeat, so a drift in machine speed hits all of them;
each row is the median over repeats (issue 13's target: jlr.fit at >= 0.97x the bare loop).

Notes: each change and what it bought (idle machine, --repeats 5).

    change                                                   fit (50/call) / bare loop
    before (loops run one after the other, not alternated)   0.90, 0.89, 1.01 (drift)
    alternated loops, same code                              0.94
    the non-finite guard as lax.cond (the update runs in a   0.98
      branch) instead of a select between the stepped and
      the old state
    ... and finiteness of the gradients read from their      1.02, 1.07
      norm (one reduction) instead of an all-isfinite per leaf
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results  # noqa: E402

from jlr.data import batch_indices, load_digits  # noqa: E402
from jlr.models.mlp import init_mlp  # noqa: E402
from jlr.optim import adamw, apply_updates  # noqa: E402
from jlr.projects.digits_mlp import make_loss_fn  # noqa: E402
from jlr.train import fit, init_train_state, make_train_step  # noqa: E402
from jlr.train.run_folder import read_metrics  # noqa: E402

BATCH = 64


def bare_loop_steps_per_sec(x, y, n_steps: int) -> float:
    """The loop a learner writes first: jit one step, call it from Python every step."""
    optimizer = adamw(2e-3)
    loss_fn = make_loss_fn(drop_prob=0.2)
    params = init_mlp(jax.random.key(0), (64, 256, 256, 10))
    opt_state = optimizer.init(params)
    root = jax.random.key(1)

    @jax.jit
    def step(params, opt_state, batch, step_index):
        key = jax.random.fold_in(root, step_index)
        (loss, _), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch, key)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return apply_updates(params, updates), opt_state, loss

    def batch(i):
        rows = batch_indices(i, seed=0, n=len(x), batch_size=BATCH)
        return {"x": x[rows], "y": y[rows]}

    params, opt_state, loss = step(params, opt_state, batch(0), 0)  # compile
    loss.block_until_ready()
    start = time.perf_counter()
    for i in range(1, n_steps + 1):
        params, opt_state, loss = step(params, opt_state, batch(i), i)
    loss.block_until_ready()
    return n_steps / (time.perf_counter() - start)


def fit_steps_per_sec(x, y, n_steps: int, steps_per_call: int) -> tuple[float, float]:
    """(steady-state steps/s from the loop's own metrics, wall seconds of the whole fit)."""
    optimizer = adamw(2e-3)
    state = init_train_state(
        init_mlp(jax.random.key(0), (64, 256, 256, 10)), optimizer, jax.random.key(1)
    )
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        fit(
            state,
            make_train_step(make_loss_fn(0.2), optimizer),
            train_data={"x": x, "y": y},
            batch_size=BATCH,
            total_steps=n_steps,
            data_seed=0,
            out_dir=Path(out_dir),
            eval_every=0,
            checkpoint_every=0,
            steps_per_call=steps_per_call,
            progress=False,
        )
        wall = time.perf_counter() - start
        records = read_metrics(Path(out_dir))[1:]  # the first chunk includes compilation
    steps = sum(r["step"] - p["step"] for p, r in zip(records, records[1:], strict=False))
    seconds = sum(
        (r["step"] - p["step"]) / r["steps_per_sec"]
        for p, r in zip(records, records[1:], strict=False)
    )
    return steps / seconds, wall


def end_to_end_seconds(extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jlr",
                "run",
                "digits-mlp",
                "--out",
                out_dir + "/run",
                "--no-progress",
                *extra,
            ],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n_steps = 200 if args.quick else 3000
    repeats = 1 if args.quick else args.repeats
    data = load_digits()
    x, y = data.x_train.reshape(len(data.x_train), -1), data.y_train

    # the loops alternate within each repeat, so a drift in machine speed hits all three
    bare, fits = [], {1: [], 50: []}
    for _ in range(repeats):
        bare.append(bare_loop_steps_per_sec(x, y, n_steps))
        for per_call, runs in fits.items():
            runs.append(fit_steps_per_sec(x, y, n_steps, per_call))
    rows = [{"loop": "bare jax.jit loop", "steps/s": statistics.median(bare), "ratio": 1.0}]
    for per_call, runs in fits.items():
        rate = statistics.median(r[0] for r in runs)
        rows.append(
            {
                "loop": f"jlr.fit steps_per_call={per_call}",
                "steps/s": rate,
                "ratio": rate / rows[0]["steps/s"],
                "fit wall s": statistics.median(r[1] for r in runs),
            }
        )
    print(f"steady-state training throughput, {n_steps} steps, batch {BATCH}, median of {repeats}")
    print_table(rows, ["loop", "steps/s", "ratio", "fit wall s"])

    quick_run = ["--set", "steps=50", "--set", "hidden=32"] if args.quick else []
    wall = end_to_end_seconds(quick_run)
    preset = "quick" if args.quick else "demo preset"
    print(f"\n`jlr run digits-mlp` end to end ({preset}): {wall:.1f} s")
    write_results(
        "train_loop",
        {
            "n_steps": n_steps,
            "batch_size": BATCH,
            "rows": rows,
            "jlr_run_digits_mlp_seconds": wall,
            "quick": args.quick,
        },
    )


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    jnp.zeros(1).block_until_ready()
    main()
