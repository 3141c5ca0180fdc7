"""The transformer project's outputs: samples, attention maps, loss curves and report.html.

Written after training, from the final parameters: `samples.txt` (one sample per temperature),
`loss.png`, `attention.png` (every layer and head for the attention text, `jlr.viz.attention`)
and the interactive `attention.html` beside it, `results.json` and `report.html`, which embeds
the figures and links the attention page.
"""

from __future__ import annotations

import html
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jlr.atomic_file import write_atomically
from jlr.config import config_to_dict
from jlr.models.sampling import generate
from jlr.models.transformer import TransformerConfig, n_params, transformer
from jlr.projects.transformer.data import CharData, attention_text, token_labels
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import read_metrics, write_json
from jlr.viz.attention import attention_grid_png, attention_page
from jlr.viz.curves import plot_metric_curves

SAMPLE_START = "\n"  # without a prompt, samples start as if at the beginning of a line


def draw_samples(config, model: TransformerConfig, data: CharData, params, key, prompt_ids):
    """{temperature as text: prompt + sample_chars sampled characters}, one key per
    temperature (fold_in(key, i)); top_k and top_p from the config apply to all.

    A BPE model samples sample_chars tokens (each at least one byte) and keeps the first
    sample_chars characters they decode to."""
    prompt_ids = prompt_ids if len(prompt_ids) else data.vocab.encode(SAMPLE_START)
    prompt = data.vocab.decode(prompt_ids)
    samples = {}
    for i, temperature in enumerate(config.temperatures):
        ids = generate(
            jax.random.fold_in(key, i),
            params,
            model,
            prompt_ids,
            config.sample_chars,
            temperature=temperature,
            top_k=config.top_k,
            top_p=config.top_p,
        )
        text = data.vocab.decode(np.asarray(ids))
        samples[f"{temperature:g}"] = prompt + text[len(prompt) :][: config.sample_chars]
    return samples


def attention_weights(params, model: TransformerConfig, vocab, text: str) -> np.ndarray:
    """Every layer's and head's attention over `text`'s seq tokens: (n_layer, n_head, seq,
    seq) float32."""
    ids = jnp.asarray(vocab.encode(text))[None]  # (1, seq)
    _, weights = transformer(params, ids, model, return_attention=True)
    return np.asarray(weights[:, 0], dtype=np.float32)  # (n_layer, n_head, seq, seq)


def print_samples(samples: dict[str, str]) -> None:
    for temperature, text in samples.items():
        print(f"--- sample at temperature {temperature} ---\n{text}\n")


def write_outputs(
    out_dir: Path,
    config,
    model: TransformerConfig,
    data: CharData,
    params,
    sample_key: jax.Array,
    prompt_ids: np.ndarray,
    final: dict[str, float],
) -> dict:
    """Samples, attention, curves, results.json and report.html; returns the results."""
    samples = draw_samples(config, model, data, params, sample_key, prompt_ids)
    print_samples(samples)
    write_atomically(
        out_dir / "samples.txt",
        "".join(f"--- temperature {t} ---\n{s}\n\n" for t, s in samples.items()).encode(),
    )
    text = attention_text(data, config.prompt, config.attention_chars, config.block_size)
    weights = attention_weights(params, model, data.vocab, text)
    tokens = token_labels(data.vocab, data.vocab.encode(text))
    title = f"attention over {text!r}: layers in rows, heads in columns"
    grid_path = attention_grid_png(weights, tokens, out_dir / "attention.png", title=title)
    attention_page(weights, tokens, out_dir / "attention.html", title="transformer: attention")
    results = {**final, "attention_text": text, "samples": samples}
    write_json(out_dir / "results.json", results)
    write_run_report(out_dir, config, model, data, params, results, grid_path.read_bytes())
    return results


def write_run_report(
    out_dir: Path, config, model, data: CharData, params, results: dict, attention_png: bytes
) -> Path:
    records = read_metrics(out_dir)
    loss_png = save_figure(
        plot_metric_curves(
            records, ["train_loss", "val_loss"], title="Loss", ylabel="cross-entropy (nats)"
        ),
        out_dir / "loss.png",
    )
    throughput = [r["steps_per_sec"] for r in records[1:]] or [0.0]
    unit = "character" if data.tokenizer == "char" else "token"
    whole = results["val_text"]
    summary = {
        f"validation loss (nats per {unit})": results["val_loss"],
        "perplexity exp(val loss)": results["perplexity"],
        **(
            {
                "best validation loss (step)": f"{results['best_val_loss']:.4f} "
                f"({results['best_val_step']})"
            }
            if "best_val_loss" in results
            else {}
        ),
        "whole validation text: bits per character": whole["bits_per_char"],
        "whole validation text: nats per token, bits per token": (
            f"{whole['nats_per_token']:.4f}, {whole['bits_per_token']:.4f}"
        ),
        "whole validation text: perplexity per token, per character": (
            f"{whole['ppl_token']:.3f}, {whole['ppl_char']:.3f}"
        ),
        "parameters": n_params(params),
        "data": data.source,
        f"{unit}s (train / val)": f"{len(data.train):,} / {len(data.val):,}",
        "tokenizer": data.tokenizer,
        "characters per token (validation)": f"{whole['chars_per_token']:.3f}",
        "vocabulary": data.vocab.size,
        "steps": config.steps,
        "training seconds": records[-1]["elapsed"] if records else 0.0,
        "median steps/s": sorted(throughput)[len(throughput) // 2],
    }
    filters = ", ".join(
        f"{name} {value}"
        for name, value in (("top_k", config.top_k), ("top_p", config.top_p))
        if value is not None
    )
    sample_blocks = "".join(
        f"<h3>temperature {html.escape(t)}</h3><pre>{html.escape(s)}</pre>"
        for t, s in results["samples"].items()
    )
    level = "character-level" if data.tokenizer == "char" else f"byte-level BPE ({data.vocab.size})"
    notes = (
        f"<p>A {model.n_layer}-layer, {model.n_head}-head, {model.n_embd}-wide {level} "
        f"GPT ({model.positional} positions, {model.compute_dtype} matmuls) trained on "
        f"{html.escape(data.source)}. Perplexity exp(val loss) = {results['perplexity']:.3f}: "
        f"the model is as unsure of the next {unit} as a uniform choice among that many.</p>"
        "<h2>Bits per character</h2><p>Scored on every token of the validation text but the "
        f"first ({whole['n_tokens']:,} tokens, {whole['n_chars']:,} characters), in windows of "
        f"block_size tokens: {whole['nats_per_token']:.4f} nats per token = "
        f"{whole['bits_per_token']:.4f} bits per token (nats / ln 2); one token is "
        f"{whole['chars_per_token']:.3f} characters on average, so {whole['bits_per_char']:.4f} "
        "bits per character = total nats / (characters x ln 2). A loss per token is not "
        "comparable across tokenizers (a BPE token holds several characters); bits per "
        "character over the same text is. Perplexity per character "
        f"{whole['ppl_char']:.3f} = perplexity per token ^ (tokens / characters).</p>"
        f"<h2>Attention</h2><p>Every layer and head for the prompt "
        f"<code>{html.escape(repr(results['attention_text']))}</code>: attention.png, below; the "
        "<a href='attention.html'>interactive attention page</a> (attention.html, beside this "
        f"report) lets you pick a layer and a head and hover a {unit} to see where it "
        "attends.</p>"
        f"<h2>Samples</h2><p>{config.sample_chars} characters at each temperature"
        f"{' (' + html.escape(filters) + ')' if filters else ''}.</p>{sample_blocks}"
    )
    return write_report(
        out_dir,
        title=f"transformer: a {level} GPT",
        summary=summary,
        config=config_to_dict(config),
        figures={"loss.png": loss_png, "attention.png": attention_png},
        notes=notes,
    )
