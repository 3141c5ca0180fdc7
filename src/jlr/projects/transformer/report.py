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
from jlr.projects.transformer.data import CharData, attention_text
from jlr.train.report import save_figure, write_report
from jlr.train.run_folder import read_metrics, write_json
from jlr.viz.attention import attention_grid_png, attention_page
from jlr.viz.curves import plot_metric_curves

SAMPLE_START = "\n"  # without a prompt, samples start as if at the beginning of a line


def draw_samples(config, model: TransformerConfig, data: CharData, params, key, prompt_ids):
    """{temperature as text: prompt + sample_chars sampled characters}, one key per
    temperature (fold_in(key, i)); top_k and top_p from the config apply to all."""
    prompt_ids = prompt_ids if len(prompt_ids) else data.vocab.encode(SAMPLE_START)
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
        samples[f"{temperature:g}"] = data.vocab.decode(np.asarray(ids))
    return samples


def attention_weights(params, model: TransformerConfig, vocab, text: str) -> np.ndarray:
    """Every layer's and head's attention over `text`: (n_layer, n_head, seq, seq) float32."""
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
    tokens = list(text)
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
    summary = {
        "validation loss (nats per character)": results["val_loss"],
        "perplexity exp(val loss)": results["perplexity"],
        **(
            {
                "best validation loss (step)": f"{results['best_val_loss']:.4f} "
                f"({results['best_val_step']})"
            }
            if "best_val_loss" in results
            else {}
        ),
        "parameters": n_params(params),
        "data": data.source,
        "characters (train / val)": f"{len(data.train):,} / {len(data.val):,}",
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
    notes = (
        f"<p>A {model.n_layer}-layer, {model.n_head}-head, {model.n_embd}-wide character-level "
        f"GPT ({model.positional} positions, {model.compute_dtype} matmuls) trained on "
        f"{html.escape(data.source)}. Perplexity exp(val loss) = {results['perplexity']:.3f}: "
        "the model is as unsure of the next character as a uniform choice among that many.</p>"
        f"<h2>Attention</h2><p>Every layer and head for the prompt "
        f"<code>{html.escape(repr(results['attention_text']))}</code>: attention.png, below; the "
        "<a href='attention.html'>interactive attention page</a> (attention.html, beside this "
        "report) lets you pick a layer and a head and hover a character to see where it "
        "attends.</p>"
        f"<h2>Samples</h2><p>{config.sample_chars} characters at each temperature"
        f"{' (' + html.escape(filters) + ')' if filters else ''}.</p>{sample_blocks}"
    )
    return write_report(
        out_dir,
        title="transformer: a character-level GPT",
        summary=summary,
        config=config_to_dict(config),
        figures={"loss.png": loss_png, "attention.png": attention_png},
        notes=notes,
    )
