"""Benchmark: jax.jacfwd vs jax.jacrev as the input and output sizes of a map vary.

Forward mode builds the Jacobian of F: R^n -> R^m from n JVPs, reverse mode from m VJPs,
so the ratio time(jacfwd) / time(jacrev) should grow with n / m and cross 1 near n = m.
The map is a two-layer network F(x) = W2 tanh(W1 x), hidden width 64.

    python benchmarks/bench_jacobian_modes.py [--quick] [--out benchmarks/results]

Prints a table, writes <out>/jacobian_modes.json and <out>/jacobian_modes.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

D_HIDDEN = 64


def make_map(key: jax.Array, d_in: int, d_out: int):
    """F(x) = W2 tanh(W1 x): (d_in,) -> (d_out,)."""
    w1_key, w2_key = jax.random.split(key)
    w1 = jax.random.normal(w1_key, (D_HIDDEN, d_in)) / np.sqrt(d_in)
    w2 = jax.random.normal(w2_key, (d_out, D_HIDDEN)) / np.sqrt(D_HIDDEN)
    return lambda x: w2 @ jnp.tanh(w1 @ x)  # (d_out, hidden) @ (hidden,) -> (d_out,)


def best_time(fn, x, repeats: int, inner: int) -> float:
    """The fastest of `repeats` timings, each the mean over `inner` calls (compiled first)."""
    fn(x).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            out = fn(x)
        out.block_until_ready()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def measure(key, d_in: int, d_out: int, repeats: int, inner: int) -> dict:
    f = make_map(key, d_in, d_out)
    x = jnp.ones(d_in)
    t_fwd = best_time(jax.jit(jax.jacfwd(f)), x, repeats, inner)
    t_rev = best_time(jax.jit(jax.jacrev(f)), x, repeats, inner)
    return {
        "d_in": d_in,
        "d_out": d_out,
        "jacfwd_s": t_fwd,
        "jacrev_s": t_rev,
        "ratio": t_fwd / t_rev,
    }


def crossover(rows: list[dict], varying: str) -> float | None:
    """The size where the least-squares line of log(ratio) against log(size) crosses 0.

    A fit rather than the first sign change: at small sizes dispatch overhead makes both
    modes cost about the same and the measured ratio jitters around 1.
    """
    log_size = np.log([r[varying] for r in rows])
    log_ratio = np.log([r["ratio"] for r in rows])
    slope, intercept = np.polyfit(log_size, log_ratio, deg=1)
    return float(np.exp(-intercept / slope)) if slope != 0 else None


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, sweep, varying, fixed in [
        (axes[0], results["vary_input"], "d_in", "d_out"),
        (axes[1], results["vary_output"], "d_out", "d_in"),
    ]:
        sizes = [r[varying] for r in sweep["rows"]]
        ax.loglog(
            sizes, [1e6 * r["jacfwd_s"] for r in sweep["rows"]], "o-", label="jacfwd (n JVPs)"
        )
        ax.loglog(
            sizes, [1e6 * r["jacrev_s"] for r in sweep["rows"]], "s-", label="jacrev (m VJPs)"
        )
        if sweep["crossover"] is not None:
            ax.axvline(
                sweep["crossover"],
                color="gray",
                ls="--",
                label=f"fitted crossover ~ {sweep['crossover']:.0f}",
            )
        ax.axvline(
            sweep["rows"][0][fixed],
            color="tab:red",
            ls=":",
            label=f"{fixed} = {sweep['rows'][0][fixed]}",
        )
        name = "n (input size)" if varying == "d_in" else "m (output size)"
        ax.set(xlabel=name, ylabel="time per Jacobian (us)", title=f"varying {name}")
        ax.legend(fontsize=8)
    fig.suptitle(f"jacfwd vs jacrev, F = W2 tanh(W1 x), hidden {D_HIDDEN} ({results['device']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    fixed = 8 if args.quick else 64
    sizes = [2, 8, 32] if args.quick else [4, 16, 32, 64, 128, 256, 1024, 4096]
    repeats, inner = (2, 3) if args.quick else (5, 20)
    key = jax.random.key(0)

    results = {
        "device": f"{jax.devices()[0].device_kind} ({platform.machine()})",
        "jax": jax.__version__,
    }
    print(f"{'n':>6} {'m':>6} {'jacfwd (us)':>12} {'jacrev (us)':>12} {'fwd/rev':>8}")
    for sweep_name, varying in [("vary_input", "d_in"), ("vary_output", "d_out")]:
        rows = []
        for i, size in enumerate(sizes):
            d_in, d_out = (size, fixed) if varying == "d_in" else (fixed, size)
            row = measure(jax.random.fold_in(key, i), d_in, d_out, repeats, inner)
            rows.append(row)
            t_fwd, t_rev = 1e6 * row["jacfwd_s"], 1e6 * row["jacrev_s"]
            print(f"{d_in:>6} {d_out:>6} {t_fwd:>12.1f} {t_rev:>12.1f} {row['ratio']:>8.2f}")
        results[sweep_name] = {"rows": rows, "crossover": crossover(rows, varying)}
        print(f"  crossover ({varying}, other size {fixed}): {results[sweep_name]['crossover']}")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "jacobian_modes.json").write_text(json.dumps(results, indent=2))
    plot(results, args.out / "jacobian_modes.png")
    print(f"wrote {args.out / 'jacobian_modes.json'} and {args.out / 'jacobian_modes.png'}")
    return results


if __name__ == "__main__":
    main()
