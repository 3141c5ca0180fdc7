r"""Project `scaling-laws`: a family of GPT sizes trained on one token budget, the law
L(N) = a N^(-alpha) + c fitted to their held-out losses, and an IsoFLOP experiment.

    jlr run scaling-laws                                   the demo: Python's standard library
    jlr run scaling-laws --set text=../shared/data/tinyshakespeare.txt
    jlr run scaling-laws --preset full                     larger sizes and budgets, for a GPU

The family (`family`): sizes "LxD" (L blocks of width D, heads d_head wide), N counted
without the embedding and position tables (Kaplan et al.'s convention), the learning rate
lr(D) = lr * lr_width / D. Every size trains on the same characters in the same order for
the same number of steps, tokens // (batch_size * block_size) (`training`), and is scored on
val_windows non-overlapping held-out windows, whose mean is its loss and whose spread gives
the standard error. The fit and its paired-bootstrap interval over those windows, and the
IsoFLOP parabolas, are in `fit`; the comparison with Kaplan et al. (2020) and Hoffmann et
al. (2022) in `comparison`; figures, results.json and report.html in `report`.

IsoFLOP: for each compute budget C in isoflop_budgets (FLOPs, C ≈ 6 N D), the
isoflop_sizes sizes of the family nearest (in log N) to a guess of the best size each train
on D = C / (6 N) tokens, rounded to whole steps. The guess is N ≈ sqrt(C / (6 r)), the size
that would see r = isoflop_tokens_per_param tokens per parameter. Chinchilla's optimum is
about 20 BPE tokens per parameter, and a BPE token of English or code is about 4 characters,
so the default is r = 80 characters per parameter; only the choice of sizes uses the
guess. A run whose steps equal the main run's of the same size is that run, not trained
again. A parabola in log N through each budget's losses locates its best size N*(C).

After each run finishes, checkpoint.npz holds every finished run's record, so a Ctrl-C
loses at most the run in progress and `--resume` goes on with the next one.
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np

from jlr import interrupt
from jlr.config import bounds, choices, config_to_dict, validate
from jlr.errors import ConfigError, RunFolderError, RunInterrupted
from jlr.models.transformer import POSITIONALS, TransformerConfig
from jlr.projects.scaling_laws.family import exact_count, parse_size, size_model, width_lr
from jlr.projects.scaling_laws.report import write_metrics, write_study_report
from jlr.projects.scaling_laws.training import train_size
from jlr.projects.transformer.data import char_data, training_windows, validation_windows
from jlr.train.checkpoint import load_checkpoint, save_checkpoint
from jlr.train.run_folder import CHECKPOINT, CONFIG, write_json

DESCRIPTION = "GPT sizes on one token budget; L(N) = a N^-alpha + c with a bootstrap interval"
FLOPS_PER_PARAM_TOKEN = 6  # C ≈ 6 N D: 2 N forward, 4 N backward per token
MIN_STEPS = 10  # fewer optimizer steps than this is not a training run


@dataclass(frozen=True)
class Config:
    text: str = ""  # a UTF-8 text file; "" is the Python standard library's source
    seed: int = field(default=0, metadata=bounds(0, 1_000_000))
    sizes: tuple[str, ...] = ("1x16", "1x32", "2x32", "2x48", "3x64", "4x96")  # "LxD"
    d_head: int = field(default=16, metadata=bounds(2, 512))
    positional: str = field(default="rope", metadata=choices(*POSITIONALS))
    block_size: int = field(default=64, metadata=bounds(2, 4096))
    batch_size: int = field(default=16, metadata=bounds(1, 4096))
    tokens: int = field(default=512_000, metadata=bounds(1, 10**12))  # per size: D
    lr: float = field(default=2e-3, metadata=bounds(0.0, 1.0, low_open=True))  # at lr_width
    lr_width: int = field(default=64, metadata=bounds(1, 65_536))
    min_lr_ratio: float = field(default=0.1, metadata=bounds(0.0, 1.0))
    warmup_steps: int = field(default=50, metadata=bounds(0))
    weight_decay: float = field(default=0.1, metadata=bounds(0.0, 1.0))
    grad_clip: float = field(default=1.0, metadata=bounds(0.0))  # 0: no clipping
    val_windows: int = field(default=1024, metadata=bounds(2, 1_000_000))
    n_resamples: int = field(default=1000, metadata=bounds(10, 100_000))
    level: float = field(default=0.95, metadata=bounds(0.5, 0.999))
    isoflop_budgets: tuple[float, ...] = field(
        default=(7.83e10, 3.13e11), metadata=bounds(0.0, 1e24, low_open=True)
    )  # C in FLOPs; `--set isoflop_budgets=` (empty) is refused: use isoflop_sizes=0 to skip
    isoflop_sizes: int = field(default=4, metadata=bounds(0, 64))  # sizes per budget; 0: none
    isoflop_tokens_per_param: float = field(default=80.0, metadata=bounds(0.0, 1e6, low_open=True))
    steps_per_call: int = field(default=50, metadata=bounds(1, 10_000))

    def __post_init__(self) -> None:
        validate(self)
        shapes = [parse_size(size, self.d_head) for size in self.sizes]
        if len(set(shapes)) != len(shapes):
            raise ConfigError(f"sizes={','.join(self.sizes)} repeats a size; list each once")
        if len({exact_count(*shape) for shape in shapes}) < 3:
            raise ConfigError("sizes: give at least 3 sizes with different parameter counts")
        if self.isoflop_sizes and not 3 <= self.isoflop_sizes <= len(self.sizes):
            raise ConfigError(
                f"isoflop_sizes={self.isoflop_sizes}: a parabola needs 3 to {len(self.sizes)} "
                "sizes per budget (0 skips the IsoFLOP runs)"
            )
        if self.steps < MIN_STEPS:
            per_step = self.batch_size * self.block_size
            raise ConfigError(
                f"tokens={self.tokens} makes {self.steps} steps of batch_size * block_size = "
                f"{per_step} tokens; a run needs at least {MIN_STEPS}: raise tokens to "
                f"{MIN_STEPS * per_step} or more"
            )
        if len({isoflop_name(b, "") for b in self.isoflop_budgets}) < len(self.isoflop_budgets):
            raise ConfigError(
                "isoflop_budgets repeats a budget (to 3 significant digits); list each once"
            )
        for name, _, steps in self.isoflop_plan():
            if steps < MIN_STEPS:
                raise ConfigError(
                    f"isoflop_budgets: run {name} gets {steps} steps (fewer than {MIN_STEPS}); "
                    "raise that budget or choose smaller sizes"
                )
        for size in self.sizes:  # the model's own checks (rope needs even head widths, ...)
            self.model(size, vocab_size=1)

    @property
    def steps(self) -> int:
        """Steps of every main run: tokens // (batch_size * block_size)."""
        return self.tokens // (self.batch_size * self.block_size)

    def model(self, size: str, vocab_size: int) -> TransformerConfig:
        """The GPT of one size of the family, for a vocabulary of vocab_size symbols."""
        return size_model(
            size,
            vocab_size=vocab_size,
            block_size=self.block_size,
            d_head=self.d_head,
            positional=self.positional,
        )

    def isoflop_plan(self) -> list[tuple[str, str, int]]:
        """[(run name, size, steps)] of the IsoFLOP runs, budget by budget."""
        counts = {size: exact_count(*parse_size(size, self.d_head)) for size in self.sizes}
        plan = []
        for budget in self.isoflop_budgets if self.isoflop_sizes else ():
            # the guessed best size: D = r N, so C = 6 r N^2
            target = 0.5 * math.log(
                budget / (FLOPS_PER_PARAM_TOKEN * self.isoflop_tokens_per_param)
            )
            nearest = sorted(self.sizes, key=lambda s: abs(math.log(counts[s]) - target))
            for size in sorted(nearest[: self.isoflop_sizes], key=counts.get):
                tokens = budget / (FLOPS_PER_PARAM_TOKEN * counts[size])
                steps = round(tokens / (self.batch_size * self.block_size))
                plan.append((isoflop_name(budget, size), size, steps))
        return plan


def isoflop_name(budget: float, size: str) -> str:
    return f"isoflop/{budget:.3g}/{size}"


PRESETS = {
    "demo": {},
    # a GPU: six sizes from 0.1M to 10.6M non-embedding parameters (106x), each on 8.2M
    # characters (500 steps of 64 x 256); on the standard library's 0.9M training characters
    # that is 9 epochs, and the IsoFLOP runs of the smallest size see up to 28 (the report's
    # epochs column): repeated text, unlike the papers' single pass. Sized, not yet timed.
    "full": {
        "sizes": ("2x64", "2x128", "4x128", "4x192", "6x256", "6x384"),
        "d_head": 32,
        "block_size": 256,
        "batch_size": 64,
        "tokens": 8_192_000,
        "lr": 4e-3,
        "lr_width": 64,
        "warmup_steps": 100,
        "val_windows": 384,
        "isoflop_budgets": (5e12, 1.5e13),
        "isoflop_sizes": 4,
        "steps_per_call": 100,
    },
}


def main_name(size: str) -> str:
    return f"main/{size}"


def _load_finished(out_dir: Path, config: Config) -> dict[str, dict]:
    _, metadata = load_checkpoint(out_dir / CHECKPOINT, {})
    if metadata.get("config") != config_to_dict(config):
        raise RunFolderError(
            f"{out_dir} holds a scaling-laws run with other settings; resume it with the same "
            "--preset and --set values, or choose another --out"
        )
    return metadata["runs"]


def _save_finished(out_dir: Path, config: Config, runs: dict[str, dict], total: int) -> None:
    """checkpoint.npz: the finished runs' records in its metadata (no step: the CLI then says
    it holds the work finished so far)."""
    meta = {"config": config_to_dict(config), "runs": runs, "finished": len(runs), "total": total}
    save_checkpoint(out_dir / CHECKPOINT, {}, meta)
    write_metrics(out_dir, runs)


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """Train the family and the IsoFLOP runs into `out_dir`, fit, report; the results."""
    out_dir = Path(out_dir)
    data = char_data(config.text, config.block_size)
    windows = training_windows(data.train, config.block_size)
    if config.batch_size > len(windows.starts):
        raise ConfigError(
            f"batch_size={config.batch_size} exceeds the {len(windows.starts)} training "
            "windows of this text; choose a smaller batch_size"
        )
    fits = len(data.val) // (config.block_size + 1)
    if config.val_windows > fits:
        raise ConfigError(
            f"val_windows={config.val_windows}: the {len(data.val)}-character validation text "
            f"holds {fits} non-overlapping windows of block_size + 1 = {config.block_size + 1}; "
            "lower val_windows or block_size"
        )
    x_val, y_val = validation_windows(data.val, config.block_size, config.val_windows)
    plan = [(main_name(s), s, config.steps) for s in config.sizes] + config.isoflop_plan()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(
        out_dir / CONFIG,
        {
            "project": "scaling-laws",
            "config": config_to_dict(config),
            "data": {
                "source": data.source,
                **data.corpus.describe(),
                "vocab_size": data.vocab.size,
                "n_train": len(data.train),
                "n_val": len(data.val),
            },
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    runs = _load_finished(out_dir, config) if resume else {}
    if not resume:
        _save_finished(out_dir, config, runs, len(plan))  # resumable from the first second
    root_key = jax.random.key(config.seed)
    with interrupt.polling():
        for name, size, steps in plan:
            if name in runs:
                continue
            same_as_main = runs.get(main_name(size))
            if same_as_main is not None and same_as_main["steps"] == steps:
                runs[name] = {**same_as_main, "seconds": 0.0, "same_as": main_name(size)}
            else:
                model = config.model(size, data.vocab.size)
                # one init key per size, so a size starts from the same weights in every run
                size_key = jax.random.fold_in(root_key, config.sizes.index(size))
                trained = train_size(
                    size_key,
                    model,
                    windows,
                    x_val,
                    y_val,
                    steps=steps,
                    batch_size=config.batch_size,
                    lr=width_lr(model.n_embd, config.lr, config.lr_width),
                    min_lr_ratio=config.min_lr_ratio,
                    warmup_steps=config.warmup_steps,
                    weight_decay=config.weight_decay,
                    grad_clip=config.grad_clip,
                    data_seed=config.seed,
                    steps_per_call=config.steps_per_call,
                    stop_requested=interrupt.stop_requested,
                )
                if trained is None:  # Ctrl-C: the finished runs are on disk
                    raise RunInterrupted(len(runs), out_dir / CHECKPOINT)
                runs[name] = {**trained[1], "size": size}
            _save_finished(out_dir, config, runs, len(plan))
            if progress:
                print(progress_line(name, runs[name]), flush=True)
    ordered = {name: runs[name] for name, _, _ in plan}
    return write_study_report(out_dir, config, data, ordered)


def progress_line(name: str, record: dict) -> str:
    val = record["val_loss"]
    loss = f"{val:.4f} ± {record['val_se']:.4f}" if np.isfinite(val) else "diverged"
    return (
        f"{name:<24} N={record['n_params']:>9,} D={record['tokens']:>11,} "
        f"val loss {loss}  {record['seconds']:.1f} s"
    )
