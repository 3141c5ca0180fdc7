"""Benchmark: a Hessian-vector product costs a small constant times a gradient.

For a scalar loss of d parameters, time the value, the gradient (reverse mode), the HVP
forward-over-reverse (a JVP of the gradient) and reverse-over-reverse, and, for small d,
the full Hessian (d HVPs), as d grows. Theory (Pearlmutter 1994; Griewank & Walther):
cost(grad) <= ~4 cost(f), cost(HVP) <= ~a few cost(grad), independent of d.
The loss is a one-hidden-layer regression network with its parameters in one vector.

    python benchmarks/bench_hvp_cost.py [--quick] [--out benchmarks/results]

Prints a table, writes <out>/hvp_cost.json and <out>/hvp_cost.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from jlr.calculus.hessian import hessian_fwd_over_rev, hvp, hvp_reverse_over_reverse

D_INPUT, N_EXAMPLES = 16, 128
MAX_FULL_HESSIAN = 2000  # the full Hessian is d HVPs and d^2 floats: only for small d


def make_loss(key: jax.Array, width: int):
    """theta (d,) -> mean squared error of x -> w2 . tanh(W1 x) on fixed data; d = width * 17."""
    x_key, y_key = jax.random.split(key)
    inputs = jax.random.normal(x_key, (N_EXAMPLES, D_INPUT))
    targets = jax.random.normal(y_key, (N_EXAMPLES,))

    def loss(theta):
        w1 = theta[: width * D_INPUT].reshape(D_INPUT, width)  # (d_input, width)
        w2 = theta[width * D_INPUT :]  # (width,)
        predictions = jnp.tanh(inputs @ w1) @ w2  # (n, d_input) @ (d_input, width) @ (width,)
        return jnp.mean((predictions - targets) ** 2)

    return loss, width * (D_INPUT + 1)


def best_time(fn, *args, repeats: int, inner: int) -> float:
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            out = fn(*args)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def measure(key, width: int, repeats: int, inner: int) -> dict:
    loss, d = make_loss(key, width)
    theta = 0.1 * jax.random.normal(jax.random.fold_in(key, 1), (d,))
    v = jax.random.normal(jax.random.fold_in(key, 2), (d,))
    row = {"d": d}
    row["value_s"] = best_time(jax.jit(loss), theta, repeats=repeats, inner=inner)
    row["grad_s"] = best_time(jax.jit(jax.grad(loss)), theta, repeats=repeats, inner=inner)
    fwd_rev = jax.jit(lambda t, v: hvp(loss, t, v))
    rev_rev = jax.jit(lambda t, v: hvp_reverse_over_reverse(loss, t, v))
    row["hvp_fwd_rev_s"] = best_time(fwd_rev, theta, v, repeats=repeats, inner=inner)
    row["hvp_rev_rev_s"] = best_time(rev_rev, theta, v, repeats=repeats, inner=inner)
    if d <= MAX_FULL_HESSIAN:
        full = jax.jit(lambda t: hessian_fwd_over_rev(loss, t))
        row["hessian_s"] = best_time(full, theta, repeats=repeats, inner=max(1, inner // 10))
    row["hvp_over_grad"] = row["hvp_fwd_rev_s"] / row["grad_s"]
    row["grad_over_value"] = row["grad_s"] / row["value_s"]
    return row


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["rows"]
    d = [r["d"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, label, style in [
        ("value_s", "f(theta)", "o-"),
        ("grad_s", "grad f", "s-"),
        ("hvp_fwd_rev_s", "HVP fwd-over-rev", "^-"),
        ("hvp_rev_rev_s", "HVP rev-over-rev", "v-"),
        ("hessian_s", "full Hessian (d HVPs)", "x--"),
    ]:
        pts = [(r["d"], 1e6 * r[key]) for r in rows if key in r]
        axes[0].loglog(*zip(*pts, strict=True), style, label=label)
    axes[0].set(xlabel="d (parameters)", ylabel="time per call (us)", title="cost vs d")
    axes[0].legend(fontsize=8)
    axes[1].semilogx(d, [r["hvp_over_grad"] for r in rows], "^-", label="HVP / grad")
    axes[1].semilogx(d, [r["grad_over_value"] for r in rows], "s-", label="grad / f")
    axes[1].axhline(1.0, color="gray", lw=0.5)
    axes[1].set(
        xlabel="d (parameters)", ylabel="time ratio", title="ratios stay O(1)", ylim=(0, None)
    )
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Hessian-vector product cost ({results['device']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    widths = [2, 8] if args.quick else [4, 16, 64, 256, 1024, 4096, 16384]
    repeats, inner = (2, 3) if args.quick else (5, 20)
    key = jax.random.key(0)

    results = {
        "device": f"{jax.devices()[0].device_kind} ({platform.machine()})",
        "jax": jax.__version__,
    }
    header = ["d", "f (us)", "grad (us)", "HVP fr (us)", "HVP rr (us)", "H (us)", "HVP/grad"]
    widths_ = [8, 9, 10, 12, 12, 10, 9]
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, widths_, strict=True)))
    rows = []
    for i, width in enumerate(widths):
        row = measure(jax.random.fold_in(key, i), width, repeats, inner)
        rows.append(row)
        hess = f"{1e6 * row['hessian_s']:>10.1f}" if "hessian_s" in row else f"{'-':>10}"
        print(
            f"{row['d']:>8} {1e6 * row['value_s']:>9.1f} {1e6 * row['grad_s']:>10.1f} "
            f"{1e6 * row['hvp_fwd_rev_s']:>12.1f} {1e6 * row['hvp_rev_rev_s']:>12.1f} {hess} "
            f"{row['hvp_over_grad']:>9.2f}"
        )
    results["rows"] = rows
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hvp_cost.json").write_text(json.dumps(results, indent=2))
    plot(results, args.out / "hvp_cost.png")
    print(f"wrote {args.out / 'hvp_cost.json'} and {args.out / 'hvp_cost.png'}")
    return results


if __name__ == "__main__":
    main()
