"""Benchmark: a GPT training step on CPU, JLR against the same model in PyTorch (issue 13).

The model is `jlr.models.transformer` (pre-LayerNorm GPT, learned positions, tied
embeddings, no dropout), trained the way `jlr run transformer` trains it: the project's
AdamW (b2 0.99, weight decay 0.1 on matrices only, warmup + cosine schedule), gradients
clipped to norm 1, `jlr.train.make_train_step` scanned over `steps_per_call` steps inside one
jit (`make_multi_step`), the batches cut from a token stream inside the jit
(`make_window_batch`). Sizes, vocab 65 (tiny-shakespeare's characters):

    config  n_layer  n_head  n_embd  block  batch   steps/call
    baby    4        4       128     64     12      50     nanoGPT's CPU "baby GPT"
    large   6        6       384     256    64      2      nanoGPT's shakespeare-char
    gpu     6        6       384     256    64      50     large, on a GPU (--device cuda)
    quick   2        2       32      16     4       3      only to check that the script runs

Precisions: "fp32"; "mixed" is `compute_dtype="bfloat16"` (every dense layer's products take
bf16 operands and accumulate in fp32; fp32 master weights), against torch's
`autocast(cpu, bfloat16)`.

PyTorch (optional: `pip install -e '.[bench]'`; without it the torch columns are skipped with
a one-line note) runs a minimal nanoGPT `GPT` written below: pre-LN blocks, fused qkv
projection, `F.scaled_dot_product_attention(is_causal=True)`, GELU MLP (the tanh form, as
`jax.nn.gelu`, where nanoGPT uses the exact erf), tied lm_head, and nanoGPT's training
iteration: get_batch (random windows, torch.stack), forward, backward, clip_grad_norm_(1),
AdamW(fused=False, decay on matrices only), zero_grad. Its parameter count must equal JLR's
(both printed; the script stops if they differ). Threads: torch.set_num_threads(cpu count,
or --torch-threads); XLA uses every core by default. On a machine loaded by other work the
numbers mean little: torch's OpenMP threads wait for each other at every parallel region, so
a descheduled thread stalls all (the quick step: 7 ms on one thread, 80-500 ms on two,
under a load of 8 on 2 cores).

On a GPU, `--configs gpu --device cuda`: JAX runs on its default device and torch on cuda,
set up as nanoGPT's train.py sets it: TF32 matmuls, fused AdamW, batches built on the CPU,
pinned and copied asynchronously; eager mode (no torch.compile). The peak is then measured
with (8192, 8192) matmuls.

Timing: after a warm-up call (compilation), each timing is one call of `steps_per_call`
steps, JLR and PyTorch alternating so a change in machine load hits both; ms/step is the
best of `repeats` timings divided by the steps. "time / torch" is JLR's ms/step over torch's
at the same precision (< 1: JLR is faster); "time / torch fp32" is over torch fp32.

MFU (model FLOPs utilisation), nanoGPT's estimate (its `estimate_mfu`, from the PaLM paper's
appendix B):

    flops per step = (6 N + 12 n_layer n_embd block) * batch * block

with N the parameter count without the position table (nanoGPT's `get_num_params()`); 6 N is
a forward and backward pass through every weight, 12 n_layer n_embd block the two attention
matmuls (causal masking not discounted). MFU = flops per step / (seconds per step * peak),
peak being the peak of the step's matmul precision (fp32, or bf16 operands with fp32
accumulation): by default measured in this run as the best throughput of a large square
matmul in JAX (an achievable peak, not the data sheet's); `--peak-tflops FP32,BF16` gives
them instead. The table says which.

The allocator: the script calls `jlr.train.allocator.keep_temp_buffers_in_heap()` first, as
`jlr run` does, so XLA:CPU's per-call temp buffer stays in the heap. It is process-wide, so
PyTorch runs with it too; JLR_NO_MALLOPT=1 runs both with glibc's defaults.

`--train-iters 2000 --text ../shared/data/tinyshakespeare.txt` instead trains the baby
config with `jlr run transformer --preset baby`'s own `run` (char level, 90/10 split, lr 2e-3;
`--lr` for another) and prints the final validation loss, over `--eval-batches` batches of
evenly spread validation windows (the issue's target: <= 1.88 after 2000 iterations;
nanoGPT reports 1.8857 at its lr 1e-3). It takes minutes.

    python benchmarks/bench_transformer.py [--configs baby,large] [--precisions fp32,mixed]
        [--quick] [--no-torch] [--peak-tflops FP32,BF16] [--device cpu|cuda] [--out DIR]
    python benchmarks/bench_transformer.py --train-iters 2000 --text PATH [--precisions mixed]

Notes: each change and what it bought. The numbers before this benchmark existed are from the
profiling recorded in issue 13 (2-core AVX-512/AMX CPU, idle, jax 0.10.2, torch 2.13 fp32 2
threads: baby 26 ms, large 4.5 s). Add a line per change, measured idle with this script.

    change                                                   baby ms   large s   source
    straightforward JAX (autodiff linear, (b,t,h,d) attn)    84        14.2      issue 13
    custom-VJP linear (dW^T = dot(g, x) over flat tokens)    85 -> 41            issue 13
    heap-kept temp buffer (mallopt) or steps per call        -11 ms              issue 13
    attention in (batch, n_heads, seq, d_head)                         7.3 -> 5.9 issue 13
    all of the above, fp32                                   28-30     5.9       issue 13
    + bf16 matmul operands, fp32 accumulation                24-26     4.4       issue 13
    causal attention by query blocks, recomputed backward    -4%       -6.5%     2026-11-28
    non-finite guard as lax.cond, not a select (A/B in one   -4% fp32            2026-11-28
      process: fp32 29.80 -> 28.48, mixed 24.67 -> 23.25)     -6% mixed
    this script after both (2026-11-28, idle), three runs: baby fp32 0.94x torch fp32 each
      time; baby mixed 0.781, 0.806, 0.768x torch fp32 (target <= 0.769: one run in three)
      and 0.64, 0.68, 0.62x torch bf16; large fp32 1.36x, large mixed 1.11x torch fp32,
      2.61x torch bf16 (one run)

To measure what the allocator setting buys, run the script twice, the second time with
JLR_NO_MALLOPT=1 (e.g. `--configs baby --no-torch`).

Relative checks made while writing this script, on a machine loaded by other work (so no
absolute times): one XLA thread (XLA_FLAGS="--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1"), CPU time per step, variants alternated in one process;
only large effects are resolvable at that noise. Baby config unless said; "mid" is the large
config at batch 4.

    variant (against the model as written)            CPU time / step   compiled grad
    fast_linear -> plain linear (autodiff VJP)         1.9x (74 -> 137)  32 -> 80 transposes
    (b,h,t,d) -> (b,t,h,d) attention einsums           1.12x             32 -> 40 transposes
    separate q, k, v -> one fused qkv layer            1.09x; mid: min 0.84x, median 0.95x
    fp32 -> mixed (bf16 dense operands)                1.00x baby, 0.80x mid
    mixed + bf16 operands in the attention matmuls     mid: min 0.90x, median 1.08x: unclear
    glibc default -> heap kept, 1 step per call        minor page faults/step 15,254 -> 3,733
    heap kept, 1 -> 10 steps per call                  faults/step 3,733 -> 171; CPU time
                                                       per step (medians) 149 -> 119 -> 105 ms

Where the large config's time goes (2026-11-28, idle, jax 0.10.2, torch 2.13; this script:
JLR fp32 6.58 s, torch fp32 4.47 s, JLR mixed 5.62 s, torch bf16 autocast 2.29 s). One
layer's pieces, forward + backward, timed alone at (batch 64, seq 256, 384 wide, 6 heads):

    piece                                  JLR fp32   torch fp32   JLR mixed   torch bf16
    attention core (q, k, v -> out)        309 ms     135 ms       306 ms      146 ms
    dense 384 -> 1536                      177        199          169         62
    dense 1536 -> 384                      190        189          157         64
    dense 384 -> 384 (x4 per layer)        46         51           41          17
    GELU (64, 256, 1536)                   51         55           64          57
    layer norm (64, 256, 384)              11         7            13          7

- fp32: the dense layers match torch; the gap is attention. XLA materialises the
  (64, 6, 256, 256) scores (100 MB in float32) and makes several passes over them (mask,
  softmax, and the backward pass's), each bound by memory bandwidth (about 8 GB/s here: 24 ms
  to double a 96 MB array); torch's CPU flash-attention kernel keeps blocks in cache and
  skips the masked half. `jlr.nn.attention.blocked_causal_attention` (query blocks of 64
  against only the keys they may see, the softmax recomputed in the backward pass) took the
  piece from 295 to 224 ms; in training (A/B in one process, idle, a slower hour of this
  machine): large fp32 8.59 -> 8.03 s per step, baby fp32 38.9 -> 37.4 ms. Still 1.7x
  torch's kernel; chunking the batch under lax.map as well bought nothing more.
- mixed: in the compiled HLO, the bf16 weight gradient dW^T = dot(g, x), which contracts
  the token axis of both operands, is lowered by converting both operands back to float32
  and running a float32 dot: 121 ms against 84 ms for the float32 dot itself (384 -> 1536),
  where the forward (ti,io->to) and dx (to,io->ti) products reach 350-850 GFLOP/s in bf16.
  Materialising g^T or x^T first, behind an optimization barrier, gave the same times, and
  so did XLA's --xla_cpu_use_onednn, --xla_cpu_use_xnnpack and --xla_cpu_experimental_*
  fusion flags. Keeping the activations in bf16 as well (dense outputs, GELU, attention
  operands, as torch's autocast does) made no difference beyond the noise (11.6 against
  11.3 s per step, the two alternated in one process on a machine loaded by other work).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, keep_heap_as_jlr_run_does, machine, print_table  # noqa: E402

from jlr.models.transformer import TransformerConfig, init_transformer, n_params  # noqa: E402
from jlr.projects.transformer import Config  # noqa: E402
from jlr.projects.transformer.data import make_window_batch, training_windows  # noqa: E402
from jlr.projects.transformer.training import make_loss_fn, make_optimizer  # noqa: E402
from jlr.train import init_train_state, make_train_step  # noqa: E402
from jlr.train.step import make_multi_step  # noqa: E402

VOCAB = 65
N_TOKENS = 100_000  # the synthetic token stream the batches are cut from
PRECISIONS = {"fp32": "float32", "mixed": "bfloat16"}
RECIPE = Config()  # the project's training recipe: lr, warmup, decay, b2, clipping


@dataclass(frozen=True)
class Size:
    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    batch_size: int
    steps_per_call: int
    repeats: int


SIZES = {
    "quick": Size(2, 2, 32, 16, 4, steps_per_call=3, repeats=1),
    "baby": Size(4, 4, 128, 64, 12, steps_per_call=50, repeats=5),
    "large": Size(6, 6, 384, 256, 64, steps_per_call=2, repeats=2),
    "gpu": Size(6, 6, 384, 256, 64, steps_per_call=50, repeats=3),
}


def model_config(size: Size, precision: str) -> TransformerConfig:
    return TransformerConfig(
        vocab_size=VOCAB,
        block_size=size.block_size,
        n_layer=size.n_layer,
        n_head=size.n_head,
        n_embd=size.n_embd,
        compute_dtype=PRECISIONS[precision],
    )


def flops_per_step(size: Size, n_weights: int) -> float:
    """(6 N + 12 n_layer n_embd block) * tokens: nanoGPT's estimate_mfu (module docstring)."""
    per_token = 6 * n_weights + 12 * size.n_layer * size.n_embd * size.block_size
    return per_token * size.batch_size * size.block_size


def jlr_runner(size: Size, precision: str, tokens: np.ndarray, seed: int = 0):
    """(run, n_params): run() trains steps_per_call steps (one jitted call) and blocks."""
    model = model_config(size, precision)
    optimizer = make_optimizer(
        lr=RECIPE.lr,
        min_lr=RECIPE.min_lr,
        warmup_steps=RECIPE.warmup_steps,
        steps=RECIPE.steps,
        weight_decay=RECIPE.weight_decay,
        b2=RECIPE.b2,
        grad_clip=RECIPE.grad_clip,
    )
    init_key, train_key = jax.random.split(jax.random.key(seed))
    params = init_transformer(init_key, model)
    state = [init_train_state(params, optimizer, train_key)]  # advanced by each call
    train_step = make_train_step(make_loss_fn(model), optimizer)
    multi_step = jax.jit(make_multi_step(train_step, make_window_batch(size.block_size)))
    windows = jax.device_put(training_windows(tokens, size.block_size))
    rng = np.random.default_rng(seed)
    shape = (size.steps_per_call, size.batch_size)
    indices = jnp.asarray(rng.integers(0, len(windows.starts), shape, dtype=np.int32))

    def run() -> None:
        state[0], metrics = multi_step(state[0], windows, indices)
        jax.block_until_ready(metrics["loss"])

    return run, n_params(params)


def torch_gpt(size: Size):
    """A minimal nanoGPT GPT (Karpathy's model.py, bias=True, dropout 0) of `size`."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    n_embd, n_head = size.n_embd, size.n_head

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            batch, seq, _ = x.shape
            q, k, v = self.c_attn(x).split(n_embd, dim=2)  # each (batch, seq, n_embd)
            q, k, v = (
                t.view(batch, seq, n_head, n_embd // n_head).transpose(1, 2) for t in (q, k, v)
            )  # (batch, n_head, seq, d_head)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(batch, seq, n_embd)  # (batch, seq, n_embd)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(
                nn.Linear(n_embd, 4 * n_embd),
                nn.GELU(approximate="tanh"),
                nn.Linear(4 * n_embd, n_embd),
            )

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(VOCAB, n_embd)
            self.wpe = nn.Embedding(size.block_size, n_embd)
            self.blocks = nn.ModuleList(Block() for _ in range(size.n_layer))
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, VOCAB, bias=False)
            self.lm_head.weight = self.wte.weight  # tied
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = 0.02 / math.sqrt(2 * size.n_layer) if "c_proj" in name else 0.02
                    torch.nn.init.normal_(p, 0.0, std)

        def forward(self, idx, targets):
            positions = torch.arange(idx.shape[1], device=idx.device)
            x = self.wte(idx) + self.wpe(positions)  # (batch, seq, n_embd)
            for block in self.blocks:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))  # (batch, seq, vocab)
            return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))

    return GPT()


def torch_runner(
    size: Size, precision: str, tokens: np.ndarray, threads: int, device: str, seed: int = 0
):
    """(run, n_params): run() does steps_per_call nanoGPT training iterations on `device`."""
    import contextlib

    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    on_gpu = device == "cuda"
    if on_gpu:  # as nanoGPT's train.py: TF32 matmuls, batches pinned and copied asynchronously
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = torch_gpt(size).to(device)
    params = list(model.parameters())  # the tied table once
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": RECIPE.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=RECIPE.lr, betas=(0.9, RECIPE.b2), fused=on_gpu)
    data = torch.from_numpy(tokens.astype(np.int64))
    block, batch = size.block_size, size.batch_size
    autocast = (
        torch.autocast(device_type=device, dtype=torch.bfloat16)
        if precision == "mixed"
        else contextlib.nullcontext()
    )

    def run() -> None:
        for _ in range(size.steps_per_call):
            starts = torch.randint(len(data) - block, (batch,))
            x = torch.stack([data[i : i + block] for i in starts])  # (batch, block)
            y = torch.stack([data[i + 1 : i + 1 + block] for i in starts])
            if on_gpu:
                x = x.pin_memory().to(device, non_blocking=True)
                y = y.pin_memory().to(device, non_blocking=True)
            with autocast:
                loss = model(x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, RECIPE.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        if on_gpu:
            torch.cuda.synchronize()

    return run, sum(p.numel() for p in params)


def matmul_tflops(dtype, n: int, repeats: int = 5) -> float:
    """Best TFLOP/s of an (n, n) @ (n, n) matmul in `dtype` operands, fp32 accumulation."""
    a_key, b_key = jax.random.split(jax.random.key(0))
    a = jax.random.normal(a_key, (n, n)).astype(dtype)
    b = jax.random.normal(b_key, (n, n)).astype(dtype)
    matmul = jax.jit(lambda a, b: jnp.matmul(a, b, preferred_element_type=jnp.float32))
    jax.block_until_ready(matmul(a, b))
    best = min(seconds(lambda: jax.block_until_ready(matmul(a, b))) for _ in range(repeats))
    return 2 * n**3 / best / 1e12


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def time_runners(runners: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each runner's calls, alternating runners so that load hits all alike."""
    for run in runners.values():
        run()  # warm-up: compilation (JLR), allocator and thread pool (torch)
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            time.sleep(0.05)  # let the other framework's spinning threads go to sleep
            times[name].append(seconds(run))
    return times


def bench_size(
    name: str, size: Size, precisions, torch_threads: int, peaks: dict, device: str = "cpu"
) -> list[dict]:
    """The table's rows for one size: JLR (and torch, unless torch_threads is 0) per precision."""
    use_torch = torch_threads > 0
    tokens = np.random.default_rng(0).integers(0, VOCAB, N_TOKENS, dtype=np.int32)
    runners, counts = {}, {}
    for precision in precisions:
        runners["jlr", precision], counts["jlr"] = jlr_runner(size, precision, tokens)
        if use_torch:
            runners["torch", precision], counts["torch"] = torch_runner(
                size, precision, tokens, torch_threads, device
            )
    print(
        f"{name}: parameters jlr {counts['jlr']:,}"
        + (f", torch {counts['torch']:,}" if use_torch else "")
    )
    if use_torch and counts["jlr"] != counts["torch"]:
        raise SystemExit(f"{name}: the two models differ in size: {counts}")
    n_weights = counts["jlr"] - size.block_size * size.n_embd  # without the position table
    flops = flops_per_step(size, n_weights)
    times = time_runners(runners, size.repeats)
    ms = {key: 1e3 * min(taken) / size.steps_per_call for key, taken in times.items()}
    rows = []
    for (framework, precision), best_ms in ms.items():
        peak = peaks["fp32" if precision == "fp32" else "bf16"]
        median_ms = 1e3 * float(np.median(times[framework, precision])) / size.steps_per_call
        row = {
            "config": name,
            "precision": precision,
            "framework": framework,
            "ms/step": best_ms,
            "median ms/step": median_ms,
            "MFU %": 100 * flops / (best_ms / 1e3) / (peak * 1e12),
            "n_params": counts[framework],
            "GFLOP/step": flops / 1e9,
        }
        if framework == "jlr" and ("torch", precision) in ms:
            row["time / torch"] = best_ms / ms["torch", precision]
        if framework == "jlr" and ("torch", "fp32") in ms:
            row["time / torch fp32"] = best_ms / ms["torch", "fp32"]
        rows.append(row)
    return rows


def measured_peaks(args) -> tuple[dict, str]:
    """{"fp32": TFLOP/s, "bf16": TFLOP/s} and where they came from, in words."""
    if args.peak_tflops:
        fp32, bf16 = (float(value) for value in args.peak_tflops.split(","))
        return {"fp32": fp32, "bf16": bf16}, "given by --peak-tflops"
    n = 256 if args.quick else 8192 if jax.default_backend() == "gpu" else 2048
    peaks = {"fp32": matmul_tflops(jnp.float32, n), "bf16": matmul_tflops(jnp.bfloat16, n)}
    return peaks, f"measured: best of 5 ({n}, {n}) @ ({n}, {n}) matmuls in JAX, this run"


def print_targets(rows: list[dict]) -> None:
    """The issue's targets, met or not, for each config timed against torch."""
    for row in rows:
        if row["framework"] != "jlr" or "time / torch" not in row:
            continue
        if row["precision"] == "fp32":
            met = row["time / torch"] <= 1.0
            goal = "fp32 at least as fast as torch fp32"
        else:
            met = row["time / torch fp32"] <= 1 / 1.3 and row["time / torch"] <= 1.0
            goal = "mixed >= 1.3x faster than torch fp32 and no slower than torch bf16 autocast"
        print(f"target {row['config']}: {goal}: {'met' if met else 'NOT met'}")


def train_on_text(args) -> None:
    """Train the baby config with the project's own run; print the final validation loss."""
    from jlr.projects.transformer import PRESETS, run

    precision = args.precisions.split(",")[0]
    preset = PRESETS["baby"] | ({"lr": args.lr} if args.lr else {})
    config = Config(
        **preset,
        text=str(args.text),
        steps=args.train_iters,
        compute_dtype=PRECISIONS[precision],
        eval_every=args.train_iters,
        checkpoint_every=args.train_iters,
        eval_batches=args.eval_batches,
    )
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        final = run(config, Path(out_dir), progress=True)
        taken = time.perf_counter() - start
    n_windows = args.eval_batches * config.batch_size
    print(
        f"baby config, {precision}, lr {config.lr:g}, {args.train_iters} iterations on "
        f"{args.text}: val loss "
        f"{final['val_loss']:.4f} over {n_windows} validation windows; {taken:.0f} s in all "
        f"(training, evaluation, samples, report)"
    )
    payload = {"machine": machine(), "precision": precision, "iterations": args.train_iters}
    payload |= {"lr": config.lr, "seed": config.seed}
    losses = {key: value for key, value in final.items() if isinstance(value, float)}
    payload |= {"text": str(args.text), "val_windows": n_windows, "seconds": taken, **losses}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "transformer_val_loss.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="baby,large", help="comma list of baby, large, gpu")
    parser.add_argument("--precisions", default="fp32,mixed", help="comma list of fp32, mixed")
    parser.add_argument("--quick", action="store_true", help="a tiny config, to check the script")
    parser.add_argument("--no-torch", action="store_true", help="time JLR only")
    parser.add_argument("--torch-threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--peak-tflops", help="FP32,BF16 peak TFLOP/s instead of measuring")
    parser.add_argument("--train-iters", type=int, help="train the baby config on --text")
    parser.add_argument("--text", type=Path, help="a text file for --train-iters")
    parser.add_argument("--eval-batches", type=int, default=200, help="for --train-iters")
    parser.add_argument("--lr", type=float, help="for --train-iters: instead of the preset's")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="torch's")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    heap_kept = keep_heap_as_jlr_run_does()
    if args.train_iters:
        if args.text is None:
            parser.error("--train-iters needs --text PATH")
        return train_on_text(args)
    names = ["quick"] if args.quick else args.configs.split(",")
    precisions = args.precisions.split(",")
    for value, known in ((names, SIZES), (precisions, PRECISIONS)):
        if unknown := sorted(set(value) - set(known)):
            parser.error(f"unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    use_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    if not args.no_torch and not use_torch:
        print("torch is not installed: the PyTorch columns are skipped (pip install -e '.[bench]')")
    peaks, peak_source = measured_peaks(args)
    print(f"peak TFLOP/s fp32 {peaks['fp32']:.3g}, bf16 {peaks['bf16']:.3g} ({peak_source})")
    rows = []
    for name in names:
        threads = args.torch_threads * use_torch
        rows += bench_size(name, SIZES[name], precisions, threads, peaks, args.device)
    torch_version = ""
    if use_torch:
        import torch

        torch_version = torch.__version__
        print(f"torch {torch_version}, {torch.get_num_threads()} threads")
    print("flops/step = (6 N + 12 n_layer n_embd block) * batch * block, N without positions;")
    print(f"MFU % = flops/step / s per step / peak of its precision ({peak_source})")
    columns = ["config", "precision", "framework", "ms/step", "time / torch"]
    print_table(rows, [*columns, "time / torch fp32", "MFU %", "n_params"])
    print_targets(rows)
    payload = {
        "machine": machine(),
        "jax_backend": jax.default_backend(),
        "torch_device": args.device,
        "quick": args.quick,
        "torch": torch_version or None,
        "heap_kept": heap_kept,
        "peak_tflops": peaks,
        "peak_source": peak_source,
        "flops_formula": "(6 N + 12 n_layer n_embd block) * batch * block",
        "sizes": {name: SIZES[name].__dict__ for name in names},
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "transformer_step.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
