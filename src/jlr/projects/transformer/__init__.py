"""Project `transformer`: a GPT (`jlr.models.transformer`) trained on text, on characters or
on byte-level BPE tokens, sampled at several temperatures, with its attention shown for a
prompt.

    jlr run transformer                                  the demo: Python's standard library
    jlr run transformer --preset baby --set text=../shared/data/tinyshakespeare.txt
    jlr run transformer --preset gpu                     nanoGPT's shakespeare-char model
    jlr run transformer --set tokenizer=bpe --set bpe_vocab=512     the same model on BPE tokens

Data: the Python standard library's source (about 1M characters, no download) or any UTF-8
text file (`--set text=PATH`); the first 90% of the characters train, the last 10% validate.
Tokens (`--set tokenizer=`): "char", the text's characters, or "bpe", byte-level BPE with
bpe_vocab tokens whose merges are learned on the training part only and saved to bpe.json in
the run folder. Training windows of block_size tokens start at every position (`data`).
Training: AdamW with warmup and cosine decay, clipping, decay on the matrices only
(`training`), `steps_per_call` steps per jitted call. The report (`report`) gives the
validation loss per token and its perplexity exp(loss); the loss summed over the whole
validation text in bits per character (`val_bits_per_char`), the number that compares a
character model with a BPE model (`jlr.nn.causal_lm`: a BPE token holds about two
characters, so a loss per token does not compare); the loss curves, samples at each
temperature in `temperatures` (with top_k / top_p if set), and every head's attention for a
prompt as a PNG grid and an interactive page, attention.html.

Presets: "demo" is the baby GPT below with rotary positions for 2500 steps, a few minutes
on a 2-core CPU; "baby" is nanoGPT's CPU "baby GPT" (4 layers, 4 heads, 128 wide, block 64,
batch 12, 2000 steps, no dropout; val loss about 1.89 on tiny-shakespeare in nanoGPT) at
twice nanoGPT's learning rate, 2e-3: at nanoGPT's 1e-3 this model ends 2000 steps near 1.91
on tiny-shakespeare, at 2e-3 near 1.80 (`benchmarks/bench_transformer.py --train-iters
2000` measures it); "gpu" is nanoGPT's shakespeare-char model (6
layers, 6 heads, 384 wide, block 256, batch 64, dropout 0.2, 5000 steps), sized for a GPU.
That model overfits tiny-shakespeare after about 2000 steps; like nanoGPT's best
checkpoint, results.json records the lowest validation loss seen (`best_val_loss`, at
`best_val_step`) beside the final one.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np

from jlr.config import bounds, choices, config_to_dict, validate
from jlr.errors import ConfigError
from jlr.models.transformer import (
    COMPUTE_DTYPES,
    POSITIONALS,
    TransformerConfig,
    init_transformer,
    n_params,
)
from jlr.nn.causal_lm import lm_summary
from jlr.projects.transformer.data import (
    BPE_FILE,
    TOKENIZERS,
    encode_prompt,
    load_data,
    make_window_batch,
    training_windows,
    validation_windows,
)
from jlr.projects.transformer.report import write_outputs
from jlr.projects.transformer.training import (
    make_evaluate,
    make_loss_fn,
    make_optimizer,
    make_text_nats,
)
from jlr.train import fit, init_train_state, make_train_step
from jlr.train.run_folder import CONFIG, read_metrics, write_json

DESCRIPTION = "a character-level GPT on Python's source or any text; samples and attention maps"
BPE_BASE = 256  # byte-level BPE starts from the 256 bytes


@dataclass(frozen=True)
class Config:
    text: str = ""  # a UTF-8 text file to train on; "" is the Python standard library's source
    tokenizer: str = field(default="char", metadata=choices(*TOKENIZERS))
    # tokenizer=bpe: the 256 bytes + merges (fewer if the training text runs out of pairs)
    bpe_vocab: int = field(default=512, metadata=bounds(1, 1_000_000))
    seed: int = field(default=0, metadata=bounds(0))
    block_size: int = field(default=64, metadata=bounds(2, 8192))
    n_layer: int = field(default=4, metadata=bounds(1, 96))
    n_head: int = field(default=4, metadata=bounds(1, 128))
    n_embd: int = field(default=128, metadata=bounds(1, 16384))
    dropout: float = field(default=0.0, metadata=bounds(0.0, 0.9))
    positional: str = field(default="learned", metadata=choices(*POSITIONALS))
    compute_dtype: str = field(default="float32", metadata=choices(*COMPUTE_DTYPES))
    batch_size: int = field(default=12, metadata=bounds(1, 65_536))
    steps: int = field(default=2000, metadata=bounds(1, 10_000_000))
    lr: float = field(default=1e-3, metadata=bounds(0.0, 10.0, low_open=True))
    min_lr: float = field(default=1e-4, metadata=bounds(0.0, 10.0))
    warmup_steps: int = field(default=100, metadata=bounds(0))
    weight_decay: float = field(default=0.1, metadata=bounds(0.0, 1.0))
    b2: float = field(default=0.99, metadata=bounds(0.0, 1.0, low_open=True))
    grad_clip: float = field(default=1.0, metadata=bounds(0.0))  # 0: no clipping
    eval_every: int = field(default=250, metadata=bounds(1))
    eval_batches: int = field(default=20, metadata=bounds(1, 10_000))
    checkpoint_every: int = field(default=500, metadata=bounds(1))
    steps_per_call: int = field(default=50, metadata=bounds(1, 10_000))
    prompt: str = ""  # samples continue it ("" starts at a line break); attention is shown for it
    sample_chars: int = field(default=400, metadata=bounds(1, 100_000))
    temperatures: tuple[float, ...] = field(
        default=(0.7, 0.85, 1.0), metadata=bounds(0.0, 100.0, low_open=True)
    )
    top_k: int | None = field(default=None, metadata=bounds(1))
    top_p: float | None = field(default=None, metadata=bounds(0.0, 1.0, low_open=True))
    attention_chars: int = field(default=40, metadata=bounds(2, 8192))

    def __post_init__(self) -> None:
        validate(self)  # ranges first, so the checks below see sane numbers
        if self.tokenizer == "bpe" and self.bpe_vocab < BPE_BASE:
            raise ConfigError(
                f"bpe_vocab={self.bpe_vocab} is smaller than byte-level BPE's base alphabet of "
                f"{BPE_BASE} bytes; choose bpe_vocab >= {BPE_BASE} (e.g. 512)"
            )
        self.model(vocab_size=1)  # the model's checks: heads divide n_embd, rope, sinusoidal

    def model(self, vocab_size: int) -> TransformerConfig:
        """The architecture for a vocabulary of vocab_size tokens."""
        return TransformerConfig(
            vocab_size=vocab_size,
            block_size=self.block_size,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_embd=self.n_embd,
            dropout=self.dropout,
            positional=self.positional,
            compute_dtype=self.compute_dtype,
        )


PRESETS = {
    # rotary positions: the model counts indentation by relative distance (on the standard
    # library, bfloat16 runs: val loss 1.49 after 3000 steps, 1.56 with learned positions);
    # below a temperature of about 0.6 its samples fall into endless runs of spaces
    "demo": {"positional": "rope", "steps": 2500, "eval_every": 500, "checkpoint_every": 500},
    # nanoGPT's baby GPT; 2000 steps are too few for its lr 1e-3 (see the docstring)
    "baby": {"lr": 2e-3, "temperatures": (0.5, 0.8, 1.0)},
    "gpu": {
        "n_layer": 6,
        "n_head": 6,
        "n_embd": 384,
        "block_size": 256,
        "batch_size": 64,
        "dropout": 0.2,
        "steps": 5000,
        "eval_every": 250,
        "eval_batches": 20,
        "checkpoint_every": 500,
        "attention_chars": 64,
        "sample_chars": 600,
    },
}


def best_val(out_dir: Path) -> dict:
    """{"best_val_loss", "best_val_step"}: the lowest validation loss among the run's evaluations.

    A small text is overfit in a few thousand steps: the validation loss falls, then rises
    while the training loss keeps falling. nanoGPT keeps the checkpoint of its best
    evaluation ("we expect to overfit on this small dataset, so only save when val
    improves") and reports that loss; this is the number to compare with it. The samples
    and the final loss come from the last parameters.
    """
    evaluated = [r for r in read_metrics(out_dir) if "val_loss" in r]
    if not evaluated:
        return {}
    best = min(evaluated, key=lambda r: r["val_loss"])
    return {"best_val_loss": float(best["val_loss"]), "best_val_step": int(best["step"])}


def whole_val_text(model: TransformerConfig, data, params, batch: int) -> dict:
    """The loss over every token of the validation text but the first (it has no context),
    in every unit of `jlr.nn.causal_lm.lm_summary`; n_chars counts the characters those
    tokens decode to, the validation text less its first token, for either tokenizer."""
    total = make_text_nats(model, data.val, batch)(params)
    n_chars = len(data.vocab.decode(data.val[1:]))
    return lm_summary(float(total), len(data.val) - 1, n_chars)


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train the model into `out_dir`, sample it and draw its attention; the final metrics."""
    out_dir = Path(out_dir)
    data = load_data(config, out_dir, resume=resume)
    prompt_ids = encode_prompt(data.vocab, config.prompt)  # fail before any training
    model = config.model(data.vocab.size)
    windows = training_windows(data.train, config.block_size)
    if config.batch_size > len(windows.starts):
        raise ConfigError(
            f"batch_size={config.batch_size} exceeds the {len(windows.starts)} training "
            "windows of this text; choose a smaller batch_size"
        )
    init_key, train_key, sample_key = jax.random.split(jax.random.key(config.seed), 3)
    params = init_transformer(init_key, model)
    write_json(
        out_dir / CONFIG,
        {
            "project": "transformer",
            "config": config_to_dict(config),
            "model": config_to_dict(model),
            "n_params": n_params(params),
            "data": {
                "source": data.source,
                **data.corpus.describe(),
                "tokenizer": data.tokenizer,
                **({"bpe_merges": BPE_FILE} if data.tokenizer == "bpe" else {}),
                "vocab_size": data.vocab.size,
                "n_train": len(data.train),  # tokens
                "n_val": len(data.val),
                "n_val_chars": len(data.val_text),
            },
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    optimizer = make_optimizer(
        lr=config.lr,
        min_lr=config.min_lr,
        warmup_steps=config.warmup_steps,
        steps=config.steps,
        weight_decay=config.weight_decay,
        b2=config.b2,
        grad_clip=config.grad_clip,
    )
    state = init_train_state(params, optimizer, train_key)
    x_val, y_val = validation_windows(
        data.val, config.block_size, config.eval_batches * config.batch_size
    )
    evaluate = make_evaluate(model, x_val, y_val, config.batch_size)
    state = fit(
        state,
        make_train_step(make_loss_fn(model), optimizer),
        train_data=windows,
        batch_size=config.batch_size,
        total_steps=config.steps,
        data_seed=config.seed,
        out_dir=out_dir,
        evaluate=evaluate,
        eval_every=config.eval_every,
        checkpoint_every=config.checkpoint_every,
        steps_per_call=config.steps_per_call,
        resume=resume,
        progress=progress,
        batch_from_indices=make_window_batch(config.block_size),
    )
    val_loss = float(evaluate(state.params, state.model_state)["val_loss"])
    final = {
        "val_loss": val_loss,
        "perplexity": float(np.exp(val_loss)),
        **best_val(out_dir),
        "tokenizer": data.tokenizer,
        "val_text": whole_val_text(model, data, state.params, config.batch_size),
    }
    final["val_bits_per_char"] = final["val_text"]["bits_per_char"]
    return write_outputs(out_dir, config, model, data, state.params, sample_key, prompt_ids, final)
