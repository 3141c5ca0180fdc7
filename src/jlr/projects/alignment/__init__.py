"""Project `alignment`: a reward model from pairwise preferences, and DPO on a small GPT.

    jlr run alignment                                the demo: a few minutes on a 2-core CPU
    jlr run alignment --preset full                  a bigger reference and longer tuning
    jlr run alignment --set preferences=pairs.jsonl  pairs from a file, not from samples

A small character GPT (`jlr.models.transformer`) is pretrained on Python's standard library
(or `--set text=PATH`) and frozen as the reference. The preference is synthetic and checkable
(`task`): a labeller prefers the completion with the larger fraction of `target` characters
(vowels), with Bradley–Terry noise. From pairs of the reference's samples so labelled, a
reward model is fitted (Bradley–Terry) and the policy is tuned by DPO against the frozen
reference; then REINFORCE on the learned reward runs with a KL penalty and without one, and
the run without shows the failure: the reward is hacked, the text degenerates (distinct-2
collapses) and the KL runs away. The report also shows the limits of likelihood
(`likelihood`): two models with equal perplexity whose samples differ, and decoding choices
that change the samples of one model.

A preference file has one JSON object per line, {"prompt": str, "chosen": str, "rejected": str},
every character in the text's vocabulary; a line that is not JSON, lacks a field, or is longer
than block_size is a one-line error. results.json holds every number of report.html; the
true score, reward and KL before and after DPO are under "dpo_before" and "dpo_after".

Presets: "demo" (the defaults) pretrains a 2-layer, 64-wide model for 800 steps, then 300
DPO steps (beta 1) and 200 REINFORCE steps per run (KL weight 1 and 0), a few minutes on a
2-core CPU; "tiny" is lesson 09's size (a 1-layer, 32-wide model, shorter everything);
"full" a 4-layer, 128-wide model pretrained for 3000 steps, with 4x the pairs and longer
tuning (sized for a GPU or a patient CPU).

On the demo (seed 0), DPO takes the true score from 0.207 to 0.366 and the learned reward
from 0.51 to 4.23 at a KL of 6.7 nats per 24-character completion; REINFORCE with the
penalty reaches 0.311 at a KL of 2.2, and without it 1.000: every completion is "iiii...",
distinct-2 falls from 0.22 to 0.002 and the KL to 133 nats.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import jax

from jlr.config import bounds, config_to_dict, validate
from jlr.errors import ConfigError
from jlr.models.transformer import TransformerConfig, n_params
from jlr.projects.alignment.report import write_outputs
from jlr.projects.alignment.study import study
from jlr.train.run_folder import CONFIG, write_json

DESCRIPTION = "a reward model from pairwise preferences, and DPO on a small GPT"


@dataclass(frozen=True)
class Config:
    text: str = ""  # a UTF-8 text file to pretrain on; "" is the Python standard library's source
    preferences: str = ""  # a JSONL file of {"prompt", "chosen", "rejected"}; "" samples pairs
    seed: int = field(default=0, metadata=bounds(0))
    target: str = "aeiou"  # the characters whose fraction in a completion is the true score
    # the reference LM and its pretraining (the transformer project's recipe)
    block_size: int = field(default=64, metadata=bounds(16, 1024))
    n_layer: int = field(default=2, metadata=bounds(1, 48))
    n_head: int = field(default=4, metadata=bounds(1, 64))
    n_embd: int = field(default=64, metadata=bounds(1, 4096))
    batch_size: int = field(default=32, metadata=bounds(1, 4096))
    pretrain_steps: int = field(default=800, metadata=bounds(1, 1_000_000))
    lr: float = field(default=3e-3, metadata=bounds(0.0, 1.0, low_open=True))
    # prompts, completions, preference pairs
    prompt_chars: int = field(default=8, metadata=bounds(1, 512))
    completion_chars: int = field(default=24, metadata=bounds(2, 512))
    n_pairs: int = field(default=1024, metadata=bounds(2, 1_000_000))
    label_scale: float = field(default=20.0, metadata=bounds(0.0, 1e6))
    # the reward model
    reward_dim: int = field(default=16, metadata=bounds(1, 4096))
    reward_steps: int = field(default=300, metadata=bounds(1, 1_000_000))
    reward_lr: float = field(default=0.03, metadata=bounds(0.0, 10.0, low_open=True))
    # DPO
    dpo_beta: float = field(default=1.0, metadata=bounds(0.0, 100.0, low_open=True))
    dpo_steps: int = field(default=300, metadata=bounds(1, 1_000_000))
    dpo_batch: int = field(default=64, metadata=bounds(1, 65_536))
    dpo_lr: float = field(default=1e-4, metadata=bounds(0.0, 1.0, low_open=True))
    # REINFORCE on the learned reward, with kl_coef and with 0
    rl_kl_coef: float = field(default=1.0, metadata=bounds(0.0, 100.0))
    rl_steps: int = field(default=200, metadata=bounds(1, 1_000_000))
    rl_batch: int = field(default=32, metadata=bounds(2, 65_536))
    rl_lr: float = field(default=3e-4, metadata=bounds(0.0, 1.0, low_open=True))
    # evaluation and the limits of likelihood
    eval_prompts: int = field(default=128, metadata=bounds(2, 65_536))
    eval_every: int = field(default=50, metadata=bounds(1))
    limit_samples: int = field(default=16, metadata=bounds(1, 4096))
    sharp_tau: float = field(default=0.7, metadata=bounds(0.05, 1.0, low_open=True))

    def __post_init__(self) -> None:
        validate(self)
        self.model(vocab_size=1)  # the model's own checks (heads divide n_embd)
        if not self.target:
            raise ConfigError("target is empty; give the characters the true score counts")
        if 1 + self.prompt_chars + self.completion_chars > self.block_size + 1:
            raise ConfigError(
                f"prompt_chars + completion_chars = {self.prompt_chars + self.completion_chars}"
                f" exceeds block_size={self.block_size}; shorten them or raise block_size"
            )
        if self.limit_samples > self.eval_prompts:
            raise ConfigError(
                f"limit_samples={self.limit_samples} exceeds eval_prompts={self.eval_prompts}"
            )
        if 1 + self.prompt_chars >= 3 * self.block_size:
            raise ConfigError(f"prompt_chars={self.prompt_chars} is too long for the samples")

    def model(self, vocab_size: int) -> TransformerConfig:
        return TransformerConfig(
            vocab_size=vocab_size,
            block_size=self.block_size,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_embd=self.n_embd,
            positional="rope",
        )


PRESETS = {
    "demo": {},
    # lesson 09's size: about 20 s on a 2-core CPU; the same effects, smaller and noisier
    "tiny": {
        "block_size": 32,
        "n_layer": 1,
        "n_head": 2,
        "n_embd": 32,
        "pretrain_steps": 300,
        "prompt_chars": 6,
        "completion_chars": 16,
        "n_pairs": 512,
        "reward_steps": 100,
        "dpo_steps": 60,
        "dpo_batch": 32,
        "dpo_lr": 3e-4,
        "rl_steps": 40,
        "rl_batch": 16,
        "eval_prompts": 64,
        "eval_every": 20,
        "limit_samples": 8,
    },
    "full": {
        "n_layer": 4,
        "n_embd": 128,
        "pretrain_steps": 3000,
        "lr": 1e-3,
        "n_pairs": 4096,
        "dpo_steps": 1000,
        "rl_steps": 600,
        "eval_every": 100,
        "eval_prompts": 256,
        "limit_samples": 32,
    },
}


def run(config: Config, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    """The study of `study`, its figures, results.json and report.html in out_dir."""
    if resume:
        raise ConfigError("the alignment project has no checkpoints to resume; start a new run")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = study(config, progress=progress)
    write_json(
        out_dir / CONFIG,
        {
            "project": "alignment",
            "config": config_to_dict(config),
            "model": config_to_dict(results["model"]),
            "n_params": n_params(results["ref_params"]),
            "data": {"source": results["data"].source, "vocab_size": results["data"].vocab.size},
            "versions": {"jax": jax.__version__, "python": platform.python_version()},
        },
    )
    return write_outputs(out_dir, config, results)
