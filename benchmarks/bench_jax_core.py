"""Benchmark for lesson 05: jacfwd vs jacrev crossover, eager vs jit, recompilation cost.

- jacfwd vs jacrev as the input size n and output size m vary: reuses `measure` and
  `crossover` of benchmarks/bench_jacobian_modes.py (the calculus lesson's benchmark).
- eager vs jit: one SGD step of the digits MLP (64-128-128-10, batch 64), seconds per step.
- recompilation: seconds for the first call at a new shape (trace + lower + compile) against
  a cached call, and the number of compilations over a sweep of shapes.
- data parallel over 8 simulated CPU devices (a subprocess with XLA_FLAGS set): reported as
  CORRECTNESS only (max parameter gap to single-device training). Simulated devices share
  this machine's cores, so their timings say nothing about scaling.

    python benchmarks/bench_jax_core.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_jacobian_modes import crossover, measure  # noqa: E402
from common import RESULTS_DIR, machine, print_table  # noqa: E402

from jlr.models.mlp import init_mlp, mlp  # noqa: E402
from jlr.nn.losses import softmax_cross_entropy  # noqa: E402


def mean_cross_entropy(params, batch) -> jax.Array:
    """The digits MLP's loss on a batch.  batch: {"x": (batch, 64), "y": (batch,)} -> ()."""
    logits = mlp(params, batch["x"])  # (batch, 10)
    return jnp.mean(softmax_cross_entropy(logits, batch["y"]))


def count_traces(fn, calls) -> int:
    """How many times `jax.jit(fn)` traces (so compiles) over the calls."""
    traces = []

    def counted(*args):
        traces.append(1)  # a Python side effect: runs once per trace
        return fn(*args)

    jitted = jax.jit(counted)
    for args in calls:
        jax.block_until_ready(jitted(*args))
    return len(traces)


def jacobian_sweep(quick: bool) -> dict:
    fixed = 8 if quick else 64
    sizes = [2, 8, 32] if quick else [4, 16, 64, 256, 1024]
    repeats, inner = (2, 3) if quick else (5, 20)
    out = {}
    for sweep, varying in [("vary_input", "d_in"), ("vary_output", "d_out")]:
        rows = []
        for i, size in enumerate(sizes):
            d_in, d_out = (size, fixed) if varying == "d_in" else (fixed, size)
            rows.append(measure(jax.random.key(i), d_in, d_out, repeats, inner))
        out[sweep] = {"fixed": fixed, "rows": rows, "crossover": crossover(rows, varying)}
    return out


def eager_vs_jit(quick: bool) -> dict:
    params = init_mlp(jax.random.key(0), (64, 128, 128, 10))
    x_key, y_key = jax.random.split(jax.random.key(1))
    batch = {"x": jax.random.uniform(x_key, (64, 64)), "y": jax.random.randint(y_key, (64,), 0, 10)}

    def step(params, batch):
        loss, grads = jax.value_and_grad(mean_cross_entropy)(params, batch)
        return jax.tree.map(lambda p, g: p - 0.1 * g, params, grads), loss

    def per_step(fn, n):
        p, loss = fn(params, batch)  # warm up: compile, or the eager op cache
        start = time.perf_counter()
        for _ in range(n):
            p, loss = fn(p, batch)
        loss.block_until_ready()
        return (time.perf_counter() - start) / n

    eager = per_step(step, 3 if quick else 20)
    jitted = per_step(jax.jit(step), 20 if quick else 500)
    return {"eager_s": eager, "jit_s": jitted, "speedup": eager / jitted}


def recompilation(quick: bool) -> dict:
    def f(x):
        return jnp.tanh(x @ x.T).sum()

    fn = jax.jit(f)
    n = 64 if quick else 256
    x = jnp.ones((n, n))
    start = time.perf_counter()
    fn(x).block_until_ready()
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(10):
        out = fn(x)
    out.block_until_ready()
    cached = (time.perf_counter() - start) / 10
    shapes = [(n + i % 4, n) for i in range(12)]  # 4 distinct shapes, 12 calls
    compiles = count_traces(f, [(jnp.ones(s),) for s in shapes])
    return {"first_call_s": first, "cached_call_s": cached, "calls": 12, "compilations": compiles}


def data_parallel_correctness() -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    script = HERE.parent / "tests" / "parallel" / "eight_devices.py"
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        return {"error": done.stderr[-500:]}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "note": "correctness only"}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    jac = jacobian_sweep(args.quick)
    for sweep, result in jac.items():
        print(f"\n{sweep} (other size {result['fixed']}), crossover {result['crossover']}")
        rows = [{**r, "jacfwd_us": 1e6 * r["jacfwd_s"], "jacrev_us": 1e6 * r["jacrev_s"]}
                for r in result["rows"]]  # fmt: skip
        print_table(rows, ["d_in", "d_out", "jacfwd_us", "jacrev_us", "ratio"])
    speed = eager_vs_jit(args.quick)
    recompile = recompilation(args.quick)
    parallel = data_parallel_correctness()
    print("\nMLP training step")
    print_table([{k: f"{v:.3g}" for k, v in speed.items()}], list(speed))
    print("\nrecompilation")
    print_table([{k: f"{v:.3g}" for k, v in recompile.items()}], list(recompile))
    print("\ndata parallel on 8 simulated devices (correctness only, not a speed claim)")
    print(json.dumps(parallel))

    payload = {
        "machine": machine(),
        "quick": args.quick,
        "jacobian_modes": jac,
        "eager_vs_jit": speed,
        "recompilation": recompile,
        "data_parallel": parallel,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("jax_core_quick.json" if args.quick else "jax_core.json")
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
