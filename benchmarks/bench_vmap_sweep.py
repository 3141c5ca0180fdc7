"""Benchmark: a sweep of 64 runs trained with `jax.vmap` in one jit vs Python loops over runs.

Same task (the optimizer study's MLP on MNIST-1D), same optimizer (Adam), same minibatches,
64 runs = 8 learning rates x 8 seeds, T steps each:
- loop, jit per step:      for run: for step: jit(run_step)   (R * T dispatches; how a
                           learner first writes it; lr is an argument, so ONE compile)
- loop, jit(scan) per run: for run: jit(lax.scan(run_step))   (R dispatches)
- vmap, jit per step:      for step: jit(vmap(run_step))      (T dispatches)
- vmap + scan, one jit:    jit(lax.scan(vmap(run_step)))      (1 dispatch; the study's way)
"cold" includes tracing and compiling (fresh jitted functions); "warm" is the median of
repeated runs once compiled. All variants must end at the same parameters (checked).

    python benchmarks/bench_vmap_sweep.py [--quick] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, print_table, write_results  # noqa: E402

from jlr.optim import make_optimizer  # noqa: E402
from jlr.projects.optimizer_study.tasks import mnist1d_mlp_task  # noqa: E402
from jlr.train.sweep import make_run_fns, run_grid, scan_steps, task_batch_rows  # noqa: E402

BATCH = 32
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


def setup(n_lrs: int, n_seeds: int, n_steps: int):
    """The task, per-run initial params (R, ...), rates (R,) and rows (T, R, BATCH)."""
    task = mnist1d_mlp_task((64, 64))
    lr_index, seed_index = run_grid(n_lrs, n_seeds)
    seed_params = [task.init_params(k) for k in jax.random.split(jax.random.key(0), n_seeds)]
    seed_params = jax.tree.map(lambda *leaves: jnp.stack(leaves), *seed_params)
    params = jax.tree.map(lambda leaf: leaf[seed_index], seed_params)
    lrs = jnp.asarray(LRS[:n_lrs], jnp.float32)[lr_index]
    seed_rows = np.stack(
        [task_batch_rows(task, n_steps, seed=s, batch_size=BATCH) for s in range(n_seeds)]
    )
    rows = jnp.asarray(seed_rows[np.asarray(seed_index)].swapaxes(0, 1))  # (T, R, BATCH)
    return task, params, lrs, rows


def make_variants(task, optimizer_fn) -> dict:
    """The four ways to train R runs, each `(params, lrs, rows) -> final states (R, ...)`.

    The jitted functions are created here and compiled on their first call, so the first
    call of a fresh variant is "cold" and later calls are "warm".
    """
    init_run, run_step = make_run_fns(task, optimizer_fn)
    init_runs = jax.jit(jax.vmap(init_run))  # (params (R, ...), lrs (R,)) -> states
    step = jax.jit(run_step)
    many_steps = jax.jit(scan_steps(run_step))
    sweep_step = jax.jit(jax.vmap(run_step, in_axes=(0, 0, 0, None)))
    sweep = jax.jit(scan_steps(jax.vmap(run_step, in_axes=(0, 0, 0, None))))

    def loop_per_step(params, lrs, rows):
        finals = []
        for r, state in enumerate(unstack(init_runs(params, lrs))):
            for t in range(rows.shape[0]):
                state, _loss = step(state, lrs[r], rows[t, r], task.data)
            finals.append(state)
        return stack(finals)

    def loop_scan_per_run(params, lrs, rows):
        finals = [
            many_steps(state, lrs[r], rows[:, r], task.data)[0]
            for r, state in enumerate(unstack(init_runs(params, lrs)))
        ]
        return stack(finals)

    def vmap_per_step(params, lrs, rows):
        states = init_runs(params, lrs)
        for t in range(rows.shape[0]):
            states, _losses = sweep_step(states, lrs, rows[t], task.data)
        return states

    def vmap_scan(params, lrs, rows):
        return sweep(init_runs(params, lrs), lrs, rows, task.data)[0]

    return {
        "loop, jit per step": loop_per_step,
        "loop, jit(scan) per run": loop_scan_per_run,
        "vmap, jit per step": vmap_per_step,
        "vmap + scan, one jit": vmap_scan,
    }


def unstack(tree) -> list:
    """A stack of R runs (leaves (R, ...)) -> a list of R single runs."""
    leaves, treedef = jax.tree.flatten(tree)
    return [treedef.unflatten([leaf[r] for leaf in leaves]) for r in range(leaves[0].shape[0])]


def stack(trees: list):
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return time.perf_counter() - start, out


def measure(variant_name: str, task, optimizer_fn, args, repeats: int):
    """(cold s: trace + compile + run, warm s: median once compiled, final states)."""
    fn = make_variants(task, optimizer_fn)[variant_name]  # fresh: nothing compiled yet
    cold, states = timed(fn, *args)
    warm = statistics.median(timed(fn, *args)[0] for _ in range(repeats))
    return cold, warm, states


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the JSON here instead of results/")
    args = parser.parse_args()
    n_lrs, n_seeds, n_steps = (4, 2, 10) if args.quick else (8, 8, 500)
    repeats = 1 if args.quick else args.repeats
    task, params, lrs, rows = setup(n_lrs, n_seeds, n_steps)
    optimizer_fn = functools.partial(make_optimizer, "adam")
    n_runs = n_lrs * n_seeds

    for fn in make_variants(task, optimizer_fn).values():  # warm JAX's eager-op caches, so
        jax.block_until_ready(fn(params, lrs, rows))  # "cold" below is only each variant's jit
    rows_out, reference = [], None
    for name in make_variants(task, optimizer_fn):
        cold, warm, states = measure(name, task, optimizer_fn, (params, lrs, rows), repeats)
        if reference is None:
            reference = states
        pairs = zip(jax.tree.leaves(states.params), jax.tree.leaves(reference.params), strict=True)
        gap = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)
        # Same training in every variant, but batched and unbatched matmuls round differently
        # and Adam amplifies those ulps over hundreds of steps: check exactly on short runs.
        if n_steps <= 50:
            assert gap < 1e-4, f"{name} ends {gap:.2g} away from the loop's parameters"
        rows_out.append({"variant": name, "cold s": cold, "warm s": warm, "max |dparams|": gap})
    base = rows_out[0]
    for row in rows_out:
        row["speedup warm"] = base["warm s"] / row["warm s"]
        row["speedup cold"] = base["cold s"] / row["cold s"]
    print(f"{n_runs} runs (Adam, MLP 40-64-64-10 on MNIST-1D, batch {BATCH}), {n_steps} steps")
    print_table(
        rows_out, ["variant", "cold s", "warm s", "speedup warm", "speedup cold", "max |dparams|"]
    )
    best = rows_out[-1]
    print(
        f"\nvmap + scan vs loop with a jitted step: {best['speedup warm']:.1f}x once compiled "
        f"(target >= 4x), {best['speedup cold']:.1f}x with compile time; vs a loop of "
        f"jit(scan) per run: {rows_out[1]['warm s'] / best['warm s']:.2f}x once compiled"
    )
    payload = {
        "n_runs": n_runs,
        "n_steps": n_steps,
        "batch_size": BATCH,
        "rows": rows_out,
        "quick": args.quick,
    }
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
        print(f"wrote {args.out}")
    else:
        write_results("vmap_sweep_quick" if args.quick else "vmap_sweep", payload)


if __name__ == "__main__":
    main()
