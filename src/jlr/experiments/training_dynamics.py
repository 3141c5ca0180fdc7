r"""Training dynamics of a small GPT: loss, gradient norm, update-to-parameter ratios, warmup,
and the critical batch size from the gradient noise scale.

Real runs of the character-level GPT of `jlr.models.transformer` on the Python standard
library's source, trained with AdamW on a linear warmup to a constant peak rate,

    lr(t) = peak * min(1, (t + 1) / W)          (W = 0: the peak from the first step)

and recorded at every step (every leaf with leading (n_configs, n_seeds) axes):

    loss          (.., n_steps)             the minibatch loss in nats per character
    grad_norm     (.., n_steps)             ||g|| over every parameter (before the update)
    update_ratio  (.., n_steps, n_groups)   ||theta_l(t+1) - theta_l(t)|| / ||theta_l(t)|| per
                                            group l: the embedding, each block, the final norm
    lr            (n_configs, n_steps)      the schedule

The update ratio says how fast each layer moves relative to its size; a common rule of thumb
puts a healthy run near 1e-3 per step. Adam's first steps are the danger: its normalised
step has size about lr in every coordinate, whatever the gradient, so at a high peak rate
without warmup the ratio jumps to about lr / (typical weight) at step 0 and the loss spikes;
warmup keeps the early ratios small while the moment estimates settle.

The default configs are a moderate rate (3e-3, 30 warmup steps) and a high one (0.2) without
and with 30 warmup steps. At the `small` size, over 15 seeds: the embedding's first update
ratio is about 10 without warmup, 0.33 with it; within 5 steps the loss climbs above its
starting value ln(vocab) without warmup in every seed and falls with it; and both runs at
0.2 end worse than the moderate rate (warmup tames the start, not a rate that is too high:
with warmup the 0.2 runs spike later, once the rate is reached).

Critical batch size. With per-example gradients g_i, G = E g_i and Sigma their covariance,
a batch of B has E|g_B - G|^2 = tr(Sigma) / B (`jlr.landscape.gradient_noise`), so

    B_simple = tr(Sigma) / |G|^2        (McCandlish et al. 2018, "An empirical model of
                                         large-batch training")

is the batch size at which the gradient's noise equals its signal: well below it a larger
batch buys almost proportionally fewer steps; well above it, almost none (the critical batch
size B_crit ~ B_simple). It grows as the loss falls. Here an "example" is one window of
block_size characters, so B_simple counts windows (`simple_noise_scale` estimates it).

Run by lesson 09 (`lessons/09_llms.py`, "Training dynamics at scale") at the `small` size
(about 20 s on two CPU cores); `medium` and `large` are the same study with longer runs of
larger models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from jlr.data.stdlib_text import stdlib_corpus
from jlr.landscape.gradient_noise import per_example_gradients, simple_noise_scale
from jlr.models.transformer import TransformerConfig, init_transformer, lm_loss
from jlr.optim import adamw
from jlr.text.char_vocab import CharVocab
from jlr.train import init_train_state, make_train_step


@dataclass(frozen=True)
class DynamicsSize:
    """A model, its batches and run length; n_chars of the corpus are the training text."""

    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    batch_size: int
    n_steps: int
    n_chars: int

    def model(self, vocab_size: int) -> TransformerConfig:
        return TransformerConfig(
            vocab_size=vocab_size,
            block_size=self.block_size,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_embd=self.n_embd,
        )


SIZES = {
    "small": DynamicsSize(2, 2, 32, 32, 16, 120, 200_000),
    "medium": DynamicsSize(4, 4, 64, 64, 32, 600, 1_000_000),
    "large": DynamicsSize(4, 4, 128, 64, 64, 2000, 1_000_000),  # nanoGPT's baby GPT, batch 64
}


def char_corpus(n_chars: int) -> tuple[CharVocab, np.ndarray]:
    """The first n_chars of the standard library corpus: its vocabulary and ids (n_chars,)."""
    text = stdlib_corpus(max_chars=n_chars).text
    vocab = CharVocab.from_text(text)
    return vocab, vocab.encode(text)


def warmup_schedule(peak_lr, warmup_steps):
    """step -> peak_lr * min(1, (step + 1) / W), W = warmup_steps (0: constant); both may be
    traced, so runs with different warmups vmap together."""

    def schedule(step):
        return peak_lr * jnp.minimum(1.0, (step + 1) / jnp.maximum(warmup_steps, 1))

    return schedule


def parameter_groups(params: dict) -> dict[str, object]:
    """The GPT's parameters by layer: {"embed" (token table, tied unembedding, learned
    positions), "block 0", ..., "ln_f"}, the groups update ratios are measured over."""
    embed = {"embed": params["embed"], **({"positions": params["positions"]}
                                          if "positions" in params else {})}  # fmt: skip
    blocks = {f"block {i}": block for i, block in enumerate(params["blocks"])}
    return {"embed": embed, **blocks, "ln_f": params["ln_f"]}


def _norm(tree) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(tree)))


def update_ratios(old_params: dict, new_params: dict) -> jax.Array:
    """||theta_l' - theta_l|| / ||theta_l|| for each group l of `parameter_groups`: (n_groups,).

    Norms are Frobenius norms over every leaf of the group (a group's leaves as one vector).
    """
    old, new = parameter_groups(old_params), parameter_groups(new_params)
    steps = [_norm(jax.tree.map(jnp.subtract, new[name], old[name])) for name in old]
    return jnp.stack(steps) / jnp.stack([_norm(old[name]) for name in old])  # (n_groups,)


def _windows(ids: jax.Array, starts: jax.Array, block_size: int) -> tuple[jax.Array, jax.Array]:
    """(x, y): (..., T) each, the windows of block_size + 1 ids starting at starts (...)."""
    chunk = ids[starts[..., None] + jnp.arange(block_size + 1)]  # (..., T + 1)
    return chunk[..., :-1], chunk[..., 1:]


def make_run(model: TransformerConfig, ids: jax.Array, n_steps: int, batch_size: int):
    """run(lr, warmup, init_key, data_key, noise_starts) for one run, traceable (vmap it).

    noise_starts: (n_checks, N) window starts; the run measures B_simple on those N windows
    before its first step and after each of n_checks - 1 equal chunks of its n_steps.
    """
    block = model.block_size
    n_windows = len(ids) - block

    def loss_fn(params, batch, key):
        del key  # no dropout
        return lm_loss(params, batch[0], batch[1], model), {}

    def noise_scale(params, starts):
        x, y = _windows(ids, starts, block)  # (N, T) each

        def example_loss(p, x_i, y_i):
            return lm_loss(p, x_i[None], y_i[None], model)

        return simple_noise_scale(per_example_gradients(example_loss, params, x, y))

    def run(lr, warmup, init_key, data_key, noise_starts):
        optimizer = adamw(warmup_schedule(lr, warmup), b1=0.9, b2=0.99, weight_decay=0.0)
        train_step = make_train_step(loss_fn, optimizer)
        state = init_train_state(init_transformer(init_key, model), optimizer, data_key)
        n_checks = noise_starts.shape[0]
        starts = jax.random.randint(data_key, (n_steps, batch_size), 0, n_windows)
        chunks = starts.reshape(n_checks - 1, n_steps // (n_checks - 1), batch_size)

        def step(state, step_starts):
            new_state, metrics = train_step(state, _windows(ids, step_starts, block))
            ratios = update_ratios(state.params, new_state.params)
            record = {"loss": metrics["loss"], "grad_norm": metrics["grad_norm"]}
            return new_state, {**record, "update_ratio": ratios, "finite": metrics["finite"]}

        def chunk(state, chunk_starts_and_noise):
            chunk_starts, check_starts = chunk_starts_and_noise
            state, records = jax.lax.scan(step, state, chunk_starts)
            return state, (records, noise_scale(state.params, check_starts))

        first = noise_scale(state.params, noise_starts[0])
        _, (records, later) = jax.lax.scan(chunk, state, (chunks, noise_starts[1:]))
        records = jax.tree.map(lambda a: a.reshape(n_steps, *a.shape[2:]), records)
        noise = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, later)
        return {**records, **{f"noise_{k}": v for k, v in noise.items()}}

    return run


def dynamics_runs(
    key: jax.Array,
    size: str | DynamicsSize = "small",
    *,
    configs: Sequence[tuple[float, int]] = ((3e-3, 30), (0.2, 0), (0.2, 30)),
    n_seeds: int = 3,
    n_checks: int = 4,
    noise_examples: int = 128,
) -> dict:
    """Train len(configs) x n_seeds GPTs at once (vmap) and record their dynamics.

    configs: (peak lr, warmup steps) pairs. Seed s gives every config the same initial
    parameters and the same batches, so configs compare run by run. B_simple is measured on
    noise_examples fixed windows at n_checks evenly spaced steps (0 and the ends of n_checks - 1
    equal chunks; n_steps must divide evenly).

    -> numpy arrays: "loss", "grad_norm" (n_configs, n_seeds, n_steps), "update_ratio"
    (n_configs, n_seeds, n_steps, n_groups), "finite" (as loss: whether the step's loss and
    gradients were finite; a step that was not changed nothing), "noise_b_simple",
    "noise_trace_sigma", "noise_grad_sq" (n_configs, n_seeds, n_checks); and "lr" (n_configs,
    n_steps), "steps" (n_steps,), "noise_steps" (n_checks,), "groups" (names), "configs",
    "size", "n_params".
    """
    size = SIZES[size] if isinstance(size, str) else size
    if n_checks < 2 or size.n_steps % (n_checks - 1):
        raise ValueError(f"n_steps={size.n_steps} must split into n_checks - 1 = {n_checks - 1}")
    vocab, ids = char_corpus(size.n_chars)
    model = size.model(vocab.size)
    init_key, data_key, noise_key = jax.random.split(key, 3)
    seed_init = jax.random.split(init_key, n_seeds)
    seed_data = jax.random.split(data_key, n_seeds)
    noise_starts = jax.random.randint(
        noise_key, (n_checks, noise_examples), 0, len(ids) - size.block_size
    )
    lrs = jnp.array([lr for lr, _ in configs], jnp.float32)
    warmups = jnp.array([warmup for _, warmup in configs], jnp.float32)
    run = make_run(model, jnp.asarray(ids), size.n_steps, size.batch_size)
    over_seeds = jax.vmap(run, in_axes=(None, None, 0, 0, None))
    over_configs = jax.vmap(over_seeds, in_axes=(0, 0, None, None, None))
    results = jax.jit(over_configs)(lrs, warmups, seed_init, seed_data, noise_starts)
    steps = np.arange(size.n_steps)
    params = jax.eval_shape(lambda: init_transformer(jax.random.key(0), model))
    chunk = size.n_steps // (n_checks - 1)
    return {
        **{name: np.asarray(value) for name, value in results.items()},
        "lr": np.stack([np.minimum(1.0, (steps + 1) / max(w, 1)) * lr for lr, w in configs]),
        "steps": steps,
        "noise_steps": np.arange(n_checks) * chunk,
        "groups": list(parameter_groups(params)),
        "configs": [tuple(c) for c in configs],
        "size": size,
        "n_params": sum(leaf.size for leaf in jax.tree.leaves(params)),
    }


def rise_above_start(loss: np.ndarray) -> np.ndarray:
    """max_{t >= 1} L_t - L_0 over the last axis: how far the loss climbs above where it
    started (> 0: a spike an untrained model never needed); non-finite counts as inf.
    (..., n_steps) -> (...)."""
    loss = np.where(np.isfinite(loss), loss, np.inf)
    return np.max(loss[..., 1:], axis=-1) - loss[..., 0]
