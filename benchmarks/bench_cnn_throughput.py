"""Benchmark: training throughput (images/s) of the MNIST-sized CNN, JLR against PyTorch on CPU.

The model (`jlr.models.cnn.conv_net`, and the same layers in torch.nn):

    (batch, 28, 28, 1) conv 3x3 32, relu, max pool 2 -> conv 3x3 64, relu, max pool 2
                       -> flatten (3136) -> linear 128, relu -> linear 10

trained with Adam (lr 1e-3) on cross-entropy, batch 128, float32, on fixed random images.
JLR runs its training step scanned over `--steps` steps inside one jit (as `jlr.train.fit`
does), once with im2col convolutions (`conv2d`, the library default) and once with XLA's
(`conv2d_lax`). PyTorch runs the usual eager loop (zero_grad, forward, backward, step) with
all CPU threads. Each timing is the best of `--repeats` after a warm-up, JLR and PyTorch
alternating so that a change in machine load hits both; the ratio is JLR / PyTorch images/s
(the issue's target: >= 1 for the MNIST CNN on a 2-core CPU).

PyTorch is optional: `pip install -e '.[bench]'`. Without it the torch column is skipped
with a one-line note.

    python benchmarks/bench_cnn_throughput.py [--quick] [--convs im2col,lax] [--out DIR]

XLA:CPU's own convolution ("lax") trains about 25x slower than im2col here (its backward
convolutions), so one timing of it takes over a minute; `--convs im2col` skips it.

The allocator: the script calls `jlr.train.allocator.keep_temp_buffers_in_heap()` first, as
`jlr run` does. It is process-wide, so PyTorch runs with it too, and PyTorch gains more from
it than JLR: 20-40% here, JLR about nothing (its eager loop allocates every activation
afresh, and glibc by default serves each large block with a new mmap, faulted in page by
page). JLR_NO_MALLOPT=1 runs both with glibc's defaults, as a plain PyTorch script runs.
Report both.

Notes: each change and what it bought (`--convs im2col`, nothing else running). A/B rows
time the old and the new code in one process, alternating, each the best of 3 x 10 steps.

    change                                                  JLR images/s     torch images/s
    max pool: jnp.max over the stacked window views ->      1468, 1535  ->   2383-3223 in the
      a balanced tree of jnp.maximum (2026-11-28)           2267, 2395       same four runs
    im2col conv with a hand-written backward pass (dx as    2570 with it, 2634 without
      a "full" correlation of dy, dW^T = dot(dy, patches))  (one run each): not adopted
    max pool over non-overlapping windows: a reshape into   A/B 2639 -> 3477,
      blocks and a custom JVP (one elementwise pass back),  2881 -> 3755
      instead of the tree's autodiff through strided views
    im2col matmul on the patches flattened to 2-D rows      A/B with the new pool:
      (dW = rows^T dY needs no transposed copy of dY)       3631 -> 4134
    both, against the code before them                      A/B 2819 -> 4103, 2909 -> 4294
    not adopted (A/B, no gain): im2col built by a sum of padded views, by dynamic-update-
      slices or by a stack; dx by XLA's convolution of dY with the flipped kernel (3947 ->
      3518); `fast_linear`'s custom VJP on the patches (same as flattening)

    this script after both (2026-11-28), two runs each:
      heap kept (default)     JLR 4116, 4181    torch 4874, 5059   ratio 0.84, 0.83
      JLR_NO_MALLOPT=1        JLR 4283, 4244    torch 3440, 4072   ratio 1.25, 1.04
      before the heap setting was added to this script: ratio 1.07, 1.01, 1.08, 1.09

Torch's images/s moved by a third between runs of a minute apart on this machine, so compare
JLR with torch only within one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, keep_heap_as_jlr_run_does, machine, print_table  # noqa: E402

from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net  # noqa: E402
from jlr.nn.losses import softmax_cross_entropy  # noqa: E402
from jlr.optim import adam  # noqa: E402
from jlr.train import init_train_state, make_train_step  # noqa: E402
from jlr.train.step import make_multi_step  # noqa: E402

CHANNELS, D_HIDDEN = (32, 64), 128


def mnist_spec(conv: str) -> ConvNetSpec:
    return ConvNetSpec((28, 28, 1), CHANNELS, head="flatten", d_hidden=D_HIDDEN, conv=conv)


def jlr_runner(conv: str, x: np.ndarray, y: np.ndarray, n_steps: int):
    """A function that trains n_steps steps (one jitted scan) and blocks: () -> None."""
    spec = mnist_spec(conv)
    params, model_state = init_conv_net(jax.random.key(0), spec)
    optimizer = adam(1e-3)

    def loss_fn(params, batch, key):
        del key  # no dropout: the same arithmetic as the torch model
        logits, _ = conv_net(params, model_state, batch["x"], spec, train=True)
        return jnp.mean(softmax_cross_entropy(logits, batch["y"])), {}

    multi_step = jax.jit(make_multi_step(make_train_step(loss_fn, optimizer)))
    data = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
    indices = jnp.tile(jnp.arange(len(x))[None], (n_steps, 1))  # (n_steps, batch)
    state = init_train_state(params, optimizer, jax.random.key(1))

    def run() -> None:
        _, metrics = multi_step(state, data, indices)
        jax.block_until_ready(metrics["loss"])

    return run


def torch_runner(x: np.ndarray, y: np.ndarray, n_steps: int):
    """The same model and optimizer in PyTorch (NCHW), an eager loop: () -> None."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    model = nn.Sequential(
        nn.Conv2d(1, CHANNELS[0], 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(CHANNELS[0], CHANNELS[1], 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(7 * 7 * CHANNELS[1], D_HIDDEN),
        nn.ReLU(),
        nn.Linear(D_HIDDEN, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # (batch, 1, 28, 28)
    labels = torch.from_numpy(y.astype(np.int64))

    def run() -> None:
        for _ in range(n_steps):
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()

    return run


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--steps", type=int, default=50, help="training steps per timing")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--convs", default="im2col,lax", help="comma list of JLR's convolutions to time"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    heap_kept = keep_heap_as_jlr_run_does()
    convs = args.convs.split(",")
    if unknown := sorted(set(convs) - {"im2col", "lax"}):
        parser.error(f"unknown --convs {', '.join(unknown)}; choose from im2col, lax")
    n_steps, batch, repeats = (3, 16, 1) if args.quick else (args.steps, args.batch, args.repeats)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)

    runners = {f"jlr, {conv} conv": jlr_runner(conv, x, y, n_steps) for conv in convs}
    if importlib.util.find_spec("torch") is None:
        print("torch is not installed: the PyTorch column is skipped (pip install -e '.[bench]')")
    else:
        import torch

        runners[f"pytorch {torch.__version__}"] = torch_runner(x, y, n_steps)
    for run in runners.values():
        run()  # warm-up: compilation (JLR), allocator and thread pool (torch)
    times = {name: [] for name in runners}
    for _ in range(repeats):  # alternate, so load changes hit every runner alike
        for name, run in runners.items():
            times[name].append(seconds(run))
    rows = [
        {"model": name, "images/s": n_steps * batch / min(taken), "best s": min(taken)}
        for name, taken in times.items()
    ]
    torch_rows = [row for row in rows if row["model"].startswith("pytorch")]
    for row in rows:
        if torch_rows:
            row["ratio vs torch"] = row["images/s"] / torch_rows[0]["images/s"]
    print(f"CNN training throughput, 28x28 images, batch {batch}, {n_steps} steps per timing")
    print_table(rows, ["model", "images/s", "best s", "ratio vs torch"])
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "cnn_throughput.json"
    payload = {"machine": machine(), "quick": args.quick, "batch": batch, "steps": n_steps}
    payload["heap_kept"] = heap_kept
    path.write_text(json.dumps({**payload, "rows": rows}, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
