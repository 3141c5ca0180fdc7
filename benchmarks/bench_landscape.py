"""Benchmark: a 51 x 51 loss surface vmapped vs a Python loop over points, and Lanczos top-10
Hessian eigenvalues against the full Hessian.

- surface: `jlr.landscape.surface_2d` (vmap over chunks of grid points under `lax.map`, one
  compiled program; one row per chunk size in `--chunks`) against a Python loop calling a
  jitted one-point loss
  L(theta + a d1 + b d2) per grid point. The loop is timed on `--loop-points` points (evenly
  spread over the grid) and extrapolated linearly to the whole grid: each point is the same
  program on the same shapes, so its cost does not depend on the point. Models: the
  loss-landscape project's MNIST-1D MLP (40-32-32-10) and its CNN (channels 8, 16; the
  `cnn` project's MNIST-1D layout), each on the first 1000 training examples; both
  directions filter-normalized.
- Lanczos: the top-10 eigenvalues of the MLP's Hessian at a trained point by 80 Lanczos steps
  on HVPs, against `numpy.linalg.eigvalsh` of the full Hessian (n_params HVPs): the time of
  each and the largest relative error of the 10.
Times are the best of `--repeats` runs after a warm-up (compilation excluded; the compile
time of the first call is reported apart).

    python benchmarks/bench_landscape.py [--quick] [--repeats N] [--out DIR]

--quick: an 11 x 11 grid on 200 examples and a 40-16-16-10 MLP, to check that the script runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, print_table  # noqa: E402

from jlr.landscape import filter_normalized_direction, surface_2d, top_eigenvalues  # noqa: E402
from jlr.projects.loss_landscape import Config  # noqa: E402
from jlr.projects.loss_landscape.analyses import full_hessian  # noqa: E402
from jlr.projects.loss_landscape.models import load_data, make_loss, make_net, train  # noqa: E402


def best_time(fn, repeats: int) -> tuple[float, float]:
    """(first call incl. compile, best of `repeats` later calls), seconds."""
    start = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - start)
    return first, best


def problem(model: str, n_examples: int, steps: int, hidden: tuple[int, ...]):
    """(loss, trained params) of the project's model on MNIST-1D (the MLP with `hidden`)."""
    config = dataclasses.replace(Config(), model=model, n_examples=n_examples, hidden=hidden)
    data = load_data("mnist1d", n_examples, model)
    net = make_net(config, tuple(data.x.shape[1:]))
    params, state = net.init(jax.random.key(0))
    trained = train(
        net,
        params,
        state,
        data,
        lr=config.lr,
        momentum=config.momentum,
        batch_size=config.batch_size,
        steps=steps,
        every=steps,
        seed=0,
    )
    return make_loss(net, state, data), trained.params


def surface_rows(
    model: str,
    grid: int,
    n_examples: int,
    hidden: tuple[int, ...],
    chunks: list[int],
    loop_points: int,
    repeats: int,
) -> list[dict]:
    """One row per chunk size: the vmapped surface's time against the extrapolated loop's."""
    loss, params = problem(model, n_examples, steps=200, hidden=hidden)
    key_1, key_2 = jax.random.split(jax.random.key(1))
    d1 = filter_normalized_direction(key_1, params)
    d2 = filter_normalized_direction(key_2, params)
    axis = jnp.linspace(-1.0, 1.0, grid)

    flat, unravel = ravel_pytree(params)
    flat_1, flat_2 = ravel_pytree(d1)[0], ravel_pytree(d2)[0]
    point_loss = jax.jit(lambda a, b: loss(unravel(flat + a * flat_1 + b * flat_2)))
    points = np.linspace(0, grid * grid - 1, loop_points).astype(int)  # spread over the grid
    a_values, b_values = np.asarray(axis)[points // grid], np.asarray(axis)[points % grid]

    def loop():
        return [point_loss(a, b) for a, b in zip(a_values, b_values, strict=True)]

    _, loop_s = best_time(loop, repeats)
    loop_s *= grid * grid / loop_points  # the whole grid
    looped = np.asarray(jax.block_until_ready(loop()))
    rows = []
    for chunk in chunks:
        vmapped = jax.jit(lambda p, u, v, chunk=chunk: surface_2d(loss, p, u, v, axis, axis, chunk))
        compile_s, vmapped_s = best_time(lambda vmapped=vmapped: vmapped(params, d1, d2), repeats)
        surface = np.asarray(vmapped(params, d1, d2)).ravel()
        rows.append(
            {
                "model": model,
                "n_params": int(flat.size),
                "grid": f"{grid}x{grid}",
                "n_examples": n_examples,
                "chunk": chunk,
                "vmapped s": vmapped_s,
                "first call s": compile_s,
                "loop points timed": loop_points,
                "loop s (extrapolated)": loop_s,
                "loop/vmapped": loop_s / vmapped_s,
                "max |vmapped - loop|": float(np.max(np.abs(surface[points] - looped))),
            }
        )
    return rows


def lanczos_row(
    n_examples: int, hidden: tuple[int, ...], k: int, n_iters: int, repeats: int
) -> dict:
    loss, params = problem("mlp", n_examples, steps=500, hidden=hidden)
    key = jax.random.key(2)
    lanczos = jax.jit(lambda p: top_eigenvalues(key, loss, p, k, n_iters)[0])
    _, lanczos_s = best_time(lambda: lanczos(params), repeats)

    def exact():
        return np.linalg.eigvalsh(np.asarray(full_hessian(loss, params), np.float64))

    _, exact_s = best_time(exact, max(1, repeats // 2))
    top, eigenvalues = np.asarray(lanczos(params)), exact()[::-1][:k]
    return {
        "n_params": int(ravel_pytree(params)[0].size),
        "k": k,
        "lanczos steps": n_iters,
        "lanczos s": lanczos_s,
        "full Hessian + eigvalsh s": exact_s,
        "max rel error": float(np.max(np.abs(top - eigenvalues) / np.abs(eigenvalues))),
        "lanczos": top.tolist(),
        "eigvalsh": eigenvalues.tolist(),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="11 x 11, 200 examples, a smaller MLP")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs, best kept")
    parser.add_argument(
        "--chunks", default="1,8,32,256", help="points per vmapped chunk (1: lax.map alone)"
    )
    parser.add_argument("--loop-points", type=int, default=200, help="points the loop times")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    args = parser.parse_args(argv)
    grid, n_examples, hidden = (11, 200, (16, 16)) if args.quick else (51, 1000, (32, 32))
    loop_points = min(args.loop_points, 20 if args.quick else args.loop_points)
    repeats = 1 if args.quick else args.repeats

    chunks = [int(c) for c in args.chunks.split(",")]
    surfaces = [
        row
        for model in ("mlp", "cnn")
        for row in surface_rows(model, grid, n_examples, hidden, chunks, loop_points, repeats)
    ]
    print_table(
        surfaces,
        [
            "model",
            "n_params",
            "grid",
            "chunk",
            "vmapped s",
            "first call s",
            "loop points timed",
            "loop s (extrapolated)",
            "loop/vmapped",
            "max |vmapped - loop|",
        ],
    )
    lanczos = lanczos_row(n_examples, hidden, 10, 80, repeats)
    print()
    print_table(
        [lanczos],
        [
            "n_params",
            "k",
            "lanczos steps",
            "lanczos s",
            "full Hessian + eigvalsh s",
            "max rel error",
        ],
    )
    results = {"machine": machine(), "quick": args.quick, "surfaces": surfaces, "lanczos": lanczos}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("landscape_quick.json" if args.quick else "landscape.json")
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
