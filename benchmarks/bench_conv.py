"""Benchmark: the three 2-D convolutions of `jlr.nn.conv`, time per call, for a few shapes.

- `conv2d_loops`: the formula as Python loops over output positions and kernel offsets, in
  numpy (the reference; not jittable), timed only where it takes well under a second;
- `conv2d`: im2col, every window a row, then one matmul (jitted);
- `conv2d_lax`: XLA's convolution, `lax.conv_general_dilated` (jitted).
Forward pass, float32, SAME padding. The jitted versions are compiled and run once before
timing; each timing is the median over `--repeats` calls of one call with
`block_until_ready`. Ratios are to `conv2d_lax` (> 1: slower than XLA's convolution). Every
row also checks that the versions agree (max |difference| to lax).

    python benchmarks/bench_conv.py [--quick] [--repeats N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, print_table  # noqa: E402

from jlr.nn.conv import conv2d, conv2d_lax, conv2d_loops, init_conv2d  # noqa: E402

# name: (batch, height, width, c_in, c_out, kernel, stride)
SHAPES = {
    "digits conv 1": (64, 8, 8, 1, 32, 3, 1),
    "digits conv 2": (64, 4, 4, 32, 64, 3, 1),
    "mnist conv 1": (128, 28, 28, 1, 32, 3, 1),
    "mnist conv 2": (128, 14, 14, 32, 64, 3, 1),
    "cifar conv 2": (128, 16, 16, 32, 64, 3, 1),
    "cifar 5x5 stride 2": (128, 32, 32, 16, 32, 5, 2),
}
QUICK_SHAPES = {
    "tiny 3x3": (2, 6, 6, 2, 3, 3, 1),
    "tiny 5x5 stride 2": (2, 7, 7, 1, 2, 5, 2),
}
LOOPS_MAX_STEPS = 20_000  # out_h * out_w * kernel^2 Python iterations: about 0.1 s


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of `repeats` calls of fn (which blocks until its result is ready)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_shape(name: str, shape: tuple[int, ...], repeats: int) -> dict:
    batch, height, width, c_in, c_out, kernel, stride = shape
    params_key, x_key = jax.random.split(jax.random.key(0))
    params = init_conv2d(params_key, kernel, c_in, c_out)
    x = jax.random.normal(x_key, (batch, height, width, c_in))
    row = {"shape": name, "x": f"{batch}x{height}x{width}x{c_in}", "kernel": kernel,
           "c_out": c_out, "stride": stride}  # fmt: skip
    outputs = {}
    for label, conv in (("im2col", conv2d), ("lax", conv2d_lax)):
        jitted = jax.jit(conv, static_argnums=2)
        outputs[label] = np.asarray(jitted(params, x, stride))  # compile and warm up
        seconds = median_seconds(
            lambda jitted=jitted: jax.block_until_ready(jitted(params, x, stride)), repeats
        )
        row[f"{label} us"] = seconds * 1e6
    out_h, out_w = outputs["lax"].shape[1:3]
    if out_h * out_w * kernel**2 <= LOOPS_MAX_STEPS:
        outputs["loops"] = conv2d_loops(params, x, stride)
        seconds = median_seconds(lambda: conv2d_loops(params, x, stride), max(repeats // 5, 1))
        row["loops us"] = seconds * 1e6
    for label in ("im2col", "loops"):
        if label in outputs:
            row[f"{label}/lax"] = row[f"{label} us"] / row["lax us"]
            row[f"{label} max |diff|"] = float(np.max(np.abs(outputs[label] - outputs["lax"])))
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, to check it runs")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per version")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON")
    args = parser.parse_args(argv)
    shapes, repeats = (QUICK_SHAPES, 5) if args.quick else (SHAPES, args.repeats)
    rows = [time_shape(name, shape, repeats) for name, shape in shapes.items()]
    print_table(
        rows,
        ["shape", "x", "kernel", "c_out", "stride", "loops us", "im2col us", "lax us",
         "loops/lax", "im2col/lax"],
    )  # fmt: skip
    worst = max(max(row.get(f"{v} max |diff|", 0.0) for v in ("im2col", "loops")) for row in rows)
    print(f"largest |difference| to lax over all shapes: {worst:.2e}")
    payload = {"machine": machine(), "quick": args.quick, "repeats": repeats, "rows": rows,
               "max_abs_diff": worst}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("conv_quick.json" if args.quick else "conv.json")
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
