"""Attention maps of a Transformer for one prompt: a PNG grid and an interactive HTML page.

Both take the weights every layer and head computed for one sequence,

    weights: (n_layers, n_heads, seq, seq),  weights[l, h, i, j] = A_ij of head h in layer l,

row i being query i's softmax over the keys j (rows sum to 1; a causal mask leaves
weights[..., i, j] = 0 for j > i), and the prompt's `tokens`, one string per position.

`attention_grid_png` draws one heat map per (layer, head): rows of the grid are layers, columns
are heads, queries run down each panel and keys across. `attention_page` writes one HTML file
that needs nothing else (no CDN, no network, no other file): pick a layer and a head, hover a
token (or focus it with Tab) and every token it attends to lights up in proportion to its
weight; a click locks the query. The weights are embedded as JSON, float32 values written in
their shortest exact form.
"""

from __future__ import annotations

import html
import io
import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from jlr.atomic_file import write_atomically

MAX_LABELED_SEQ = 32  # above this many tokens the labels no longer fit; axes show positions
MAX_LABEL_CHARS = 10
DPI = 110
WHITESPACE_GLYPHS = {" ": "␣", "\n": "↵", "\t": "⇥"}


def check_attention_inputs(weights, tokens: Sequence[str]) -> np.ndarray:
    """The weights as a float32 (n_layers, n_heads, seq, seq) array; ValueError, in one line,
    on a wrong shape, a token count other than seq, or a weight that is not finite or < 0."""
    if np.iscomplexobj(weights):
        raise ValueError("attention weights must be real numbers, got a complex array")
    try:
        weights = np.asarray(weights, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"attention weights must be an array of numbers: {error}") from None
    if weights.ndim != 4 or weights.shape[2] != weights.shape[3] or 0 in weights.shape:
        raise ValueError(
            "attention weights must have shape (n_layers, n_heads, seq, seq) with no empty axis, "
            f"got {weights.shape}"
        )
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("tokens must be a list of strings, one per position")
    if len(tokens) != weights.shape[2]:
        raise ValueError(
            f"got {len(tokens)} tokens for attention weights over seq = {weights.shape[2]} "
            "positions: pass one token per position"
        )
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"attention weights must be finite and >= 0, but {int(bad.sum())} are not "
            f"(the first, at [layer, head, query, key] = {list(where)}, is {weights[where]})"
        )
    return weights


def visible_token(token: str) -> str:
    """The token with its whitespace drawn (␣ ↵ ⇥), other control characters as \\xNN and the
    empty token as ∅, so that every token can be seen and told apart."""
    if not token:
        return "∅"
    return "".join(
        WHITESPACE_GLYPHS.get(c)
        or (f"\\x{ord(c):02x}" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c)
        for c in token
    )


def _tick_label(token: str) -> str:
    label = visible_token(token)
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def plot_attention_grid(weights, tokens: Sequence[str], *, title: str | None = None) -> Figure:
    """One heat map per (layer, head), layers down and heads across, on one colour scale.

    weights: (n_layers, n_heads, seq, seq), rows = queries; tokens: seq strings. Token labels
    are drawn when seq <= MAX_LABELED_SEQ. The figure is drawn on its own Agg canvas, outside
    pyplot: the caller's backend, figures and rcParams are left alone.
    """
    weights = check_attention_inputs(weights, tokens)
    n_layers, n_heads, seq, _ = weights.shape
    labeled = seq <= MAX_LABELED_SEQ
    panel = max(1.7, 0.12 * seq + 0.7) if labeled else 2.0  # inches per panel
    figure = Figure(
        figsize=(n_heads * panel + 1.2, n_layers * panel + (1.0 if title else 0.6)),
        dpi=DPI,
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    axes = figure.subplots(n_layers, n_heads, squeeze=False)
    vmax = float(weights.max()) or 1.0
    for (layer, head), ax in np.ndenumerate(axes):
        image = ax.imshow(
            weights[layer, head], cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest"
        )
        ax.set_label(f"layer {layer} head {head}")
        ax.tick_params(length=0, labelsize=7)
        for spine in ax.spines.values():
            spine.set_color("#bbb")
        if layer < n_layers - 1:  # ticks on the outer panels only (thousands of labels are slow)
            ax.set_xticks([])
        if head > 0:
            ax.set_yticks([])
    if labeled:
        labels = [_tick_label(t) for t in tokens]
        rotation = 90 if max(len(label) for label in labels) > 1 else 0
        text = {"fontsize": 8, "fontfamily": "monospace", "parse_math": False}  # "$" is text
        for ax in axes[-1]:
            ax.set_xticks(range(seq), labels, rotation=rotation, **text)
        for ax in axes[:, 0]:
            ax.set_yticks(range(seq), labels, **text)
    for head in range(n_heads):
        axes[0, head].set_title(f"head {head}", fontsize=10)
        axes[-1, head].set_xlabel("key", fontsize=8, color="#555")
    for layer in range(n_layers):
        axes[layer, 0].set_ylabel(f"layer {layer}\nquery", fontsize=9)
    bar = figure.colorbar(image, ax=axes, shrink=min(0.8, 2.5 / n_layers), aspect=25)
    bar.set_label("attention weight")
    if title:
        figure.suptitle(title, fontsize=12)
    return figure


def attention_grid_png(
    weights, tokens: Sequence[str], path: Path | str, *, title: str | None = None
) -> Path:
    """Write `plot_attention_grid(weights, tokens, title=title)` to `path` as a PNG; returns it."""
    figure = plot_attention_grid(weights, tokens, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return write_atomically(Path(path), buffer.getvalue())


def _weights_json(weights: np.ndarray) -> str:
    """Nested [layer][head][query][key] lists of float32 values, each written in the shortest
    form that reads back as the same float32 (exact zeros as 0)."""

    def row(values: np.ndarray) -> str:
        return "[" + ",".join("0" if v == 0 else str(v) for v in values) + "]"

    def nest(array: np.ndarray) -> str:
        if array.ndim == 1:
            return row(array)
        return "[" + ",".join(nest(a) for a in array) + "]"

    return nest(weights)


def _script_json(value) -> str:
    """JSON that is safe inside a <script> element: no "<", ">" or "&" can close it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _token_spans(tokens: Sequence[str]) -> str:
    """One focusable <span class="tok"> per token, its whitespace drawn; a line break after ↵."""
    spans = []
    for i, token in enumerate(tokens):
        text = (
            "".join(
                f'<i class="ws">{WHITESPACE_GLYPHS[c]}</i>'
                if c in WHITESPACE_GLYPHS
                else html.escape(visible_token(c))
                for c in token
            )
            or '<i class="ws">∅</i>'
        )
        spans.append(f'<span class="tok" data-index="{i}" tabindex="0">{text}</span>')
        if token.endswith("\n"):
            spans.append("<br>")
    return "".join(spans)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def attention_page(
    weights, tokens: Sequence[str], path: Path | str, *, title: str | None = None
) -> Path:
    """Write one self-contained interactive HTML page of the attention weights; returns its path.

    weights: (n_layers, n_heads, seq, seq), rows = queries; tokens: seq strings. The page offers
    a layer and a head selector (and the mean over heads), the prompt as token spans and a heat
    map of the selected head. Hovering or focusing token i (a click or Enter locks it) gives each
    token span j `data-weight` = weights[l, h, i, j] to 6 significant digits, a tooltip with it,
    and a background whose opacity is that weight over the row's largest.
    """
    weights = check_attention_inputs(weights, tokens)
    n_layers, n_heads, seq, _ = weights.shape
    title = title or "Attention weights"
    data = (
        f'{{"shape": {json.dumps(list(weights.shape))}, "tokens": {_script_json(list(tokens))}, '
        f'"labels": {_script_json([visible_token(t) for t in tokens])}, '
        f'"weights": {_weights_json(weights)}}}'
    )
    layer_options = "".join(
        f'<option value="{layer}">{layer}</option>' for layer in range(n_layers)
    )
    head_options = "".join(f'<option value="{head}">{head}</option>' for head in range(n_heads))
    head_options += '<option value="mean">mean of all heads</option>'
    page = _PAGE.format(
        title=html.escape(title),
        summary=f"{_count(n_layers, 'layer')} × {_count(n_heads, 'head')} · {_count(seq, 'token')}",
        style=_STYLE,
        layer_options=layer_options,
        head_options=head_options,
        tokens=_token_spans(tokens),
        data=data,
        script=_SCRIPT,
    )
    return write_atomically(Path(path), page.encode("utf-8"))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{style}</style></head>
<body>
<header><h1>{title}</h1><p class="summary">{summary}</p></header>
<div class="controls">
  <label>Layer <select id="layer">{layer_options}</select></label>
  <label>Head <select id="head">{head_options}</select></label>
  <span id="status" class="status"></span>
</div>
<main>
<section class="panel prompt">
  <h2>Prompt <small>hover or Tab to a token · click or Enter locks it · ← → move ·
    Esc frees</small></h2>
  <div id="tokens" class="tokens">{tokens}</div>
  <div id="readout" class="readout"></div>
</section>
<section class="panel map">
  <h2>Heat map <small id="map-label"></small></h2>
  <canvas id="heatmap" role="img" aria-label="attention heat map"></canvas>
  <div class="legend"><span>0</span><span class="ramp"></span><span id="legend-max"></span></div>
  <div id="cell" class="readout small"></div>
</section>
</main>
<script type="application/json" id="attention-data">{data}</script>
<script>{script}</script>
</body></html>
"""

_STYLE = """
:root { --ink: #1f2933; --muted: #6b7785; --line: #dde3ea; --hue: 37, 99, 235; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--ink); margin: 0; background: #f6f8fa; }
header { padding: 1rem 1.5rem 0.2rem; }
h1 { font-size: 1.35rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 0.6rem; }
h2 small, .summary, .status { color: var(--muted); font-weight: normal; font-size: 0.85rem; }
.summary { margin: 0.2rem 0 0; }
.controls { display: flex; gap: 1.2rem; align-items: center; padding: 0.6rem 1.5rem; }
select { font: inherit; padding: 0.15rem 0.4rem; border: 1px solid var(--line);
         border-radius: 4px; background: white; }
main { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0 1.5rem 1.5rem;
       align-items: flex-start; }
.panel { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.prompt { flex: 1 1 26rem; min-width: 18rem; }
.tokens { font: 15px/2.1 ui-monospace, "DejaVu Sans Mono", monospace; white-space: normal;
          word-break: break-all; }
.tok { display: inline-block; min-width: 0.9em; padding: 0 2px; margin: 1px; border-radius: 3px;
       cursor: pointer; outline: 1px solid var(--line); line-height: 1.6; text-align: center; }
.tok.dark { color: white; }
.tok.dark .ws { color: #dbe6ff; }
.tok.query { outline: 2px solid #e8590c; }
.tok.locked { outline-style: solid; box-shadow: 0 0 0 3px rgba(232, 89, 12, 0.3); }
.tok:focus-visible { outline: 2px dashed #e8590c; }
.ws { color: #9aa5b1; font-style: normal; }
.readout { margin-top: 0.8rem; font-size: 0.9rem; color: var(--muted); min-height: 1.5em; }
.readout b { color: var(--ink); font-family: ui-monospace, monospace; }
.small { font-size: 0.85rem; }
canvas { display: block; cursor: crosshair; }
.legend { display: flex; align-items: center; gap: 0.4rem; font-size: 0.8rem; color: var(--muted);
          margin-top: 0.4rem; }
.ramp { width: 10rem; height: 0.7rem; border: 1px solid var(--line);
        background: linear-gradient(to right, white, rgb(var(--hue))); }
"""

_SCRIPT = r"""
"use strict";
const DATA = JSON.parse(document.getElementById("attention-data").textContent);
const [N_LAYERS, N_HEADS, SEQ] = DATA.shape;
const HUE = [37, 99, 235];
const spans = Array.from(document.querySelectorAll(".tok"));
const layerSelect = document.getElementById("layer"), headSelect = document.getElementById("head");
const canvas = document.getElementById("heatmap");
const state = { query: SEQ - 1, locked: false, matrix: null, max: 1 };

const fmt = (w) => String(Number(w.toPrecision(6)));
const quoted = (i) => "\u201c" + DATA.labels[i] + "\u201d";

function selectedMatrix() {  // (seq, seq) of the chosen layer and head, or the heads' mean
  const heads = DATA.weights[+layerSelect.value];
  if (headSelect.value !== "mean") return heads[+headSelect.value];
  const mean = (i, j) => heads.reduce((sum, head) => sum + head[i][j], 0) / N_HEADS;
  return heads[0].map((row, i) => row.map((_, j) => mean(i, j)));
}

function showTokens() {
  const row = state.matrix[state.query];
  const rowMax = Math.max(...row) || 1;
  spans.forEach((span, j) => {
    const w = row[j], alpha = w / rowMax;
    span.dataset.weight = fmt(w);
    span.title = `key ${j} ${quoted(j)}: weight ${fmt(w)} from query ${state.query}`;
    span.style.backgroundColor = `rgba(${HUE.join(", ")}, ${alpha.toFixed(4)})`;
    span.classList.toggle("dark", alpha > 0.55);
    span.classList.toggle("query", j === state.query);
    span.classList.toggle("locked", j === state.query && state.locked);
  });
  const top = row.map((w, j) => [w, j]).sort((a, b) => b[0] - a[0]).slice(0, 5);
  const readout = document.getElementById("readout");
  const locked = state.locked ? " (locked)" : "";
  readout.textContent = `Query ${state.query} ${quoted(state.query)}${locked} attends most to: `;
  top.forEach(([w, j], k) => {
    const b = document.createElement("b");
    b.textContent = `#${j} ${quoted(j)} ${fmt(w)}`;
    readout.append(k ? " · " : "", b);
  });
}

function cellSize() { return Math.max(3, Math.min(24, Math.floor(420 / SEQ))); }
const LABEL_CHARS = Math.min(8, Math.max(...DATA.labels.map((label) => label.length)));
const LABELED = SEQ <= 40;
function margin() { return LABELED ? 14 + 7 * LABEL_CHARS : 28; }

function drawHeatmap() {
  const cell = cellSize(), pad = margin(), side = pad + cell * SEQ + 4;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = side * ratio; canvas.height = side * ratio;
  canvas.style.width = side + "px"; canvas.style.height = side + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "white"; ctx.fillRect(0, 0, side, side);
  state.matrix.forEach((row, i) => row.forEach((w, j) => {
    const t = w / state.max;
    ctx.fillStyle = `rgb(${HUE.map((c) => Math.round(255 - t * (255 - c))).join(",")})`;
    ctx.fillRect(pad + j * cell, pad + i * cell, cell, cell);
  }));
  ctx.strokeStyle = "#dde3ea"; ctx.strokeRect(pad - 0.5, pad - 0.5, cell * SEQ + 1, cell * SEQ + 1);
  ctx.strokeStyle = "#e8590c"; ctx.lineWidth = 2;
  ctx.strokeRect(pad, pad + state.query * cell, cell * SEQ, cell);
  ctx.fillStyle = "#6b7785"; ctx.font = "11px ui-monospace, monospace";
  if (LABELED) {  // queries down the left, keys across the top (turned when longer than 1)
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    const middle = (k) => pad + (k + 0.5) * cell;
    DATA.labels.forEach((label, i) => ctx.fillText(label.slice(0, 8), pad - 4, middle(i)));
    ctx.save();
    if (LABEL_CHARS > 1) { ctx.rotate(-Math.PI / 2); ctx.textAlign = "left"; }
    else { ctx.textAlign = "center"; ctx.textBaseline = "bottom"; }
    DATA.labels.forEach((label, j) => LABEL_CHARS > 1
      ? ctx.fillText(label.slice(0, 8), -pad + 4, middle(j))
      : ctx.fillText(label, middle(j), pad - 3));
    ctx.restore();
  } else {
    ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText("keys \u2192", pad, 8);
    ctx.save(); ctx.rotate(-Math.PI / 2);
    ctx.fillText("\u2190 queries", -pad - 70, 8); ctx.restore();
  }
}

function render() {
  showTokens();
  drawHeatmap();
}

function setView() {
  state.matrix = selectedMatrix();
  state.max = Math.max(...state.matrix.map((row) => Math.max(...row))) || 1;
  const head = headSelect.value === "mean" ? "mean of heads" : `head ${headSelect.value}`;
  document.getElementById("map-label").textContent =
    `layer ${layerSelect.value}, ${head} · rows are queries, columns keys`;
  document.getElementById("legend-max").textContent = fmt(state.max);
  render();
}

function choose(i, lock) {
  state.query = Math.max(0, Math.min(SEQ - 1, i));
  if (lock !== undefined) state.locked = lock;
  document.getElementById("status").textContent =
    state.locked ? `query ${state.query} locked (click it again or press Esc to free)` : "";
  render();
}

const tokenOf = (event) => event.target.closest(".tok");
const tokens = document.getElementById("tokens");
tokens.addEventListener("mouseover", (e) => {
  const span = tokenOf(e);
  if (span && !state.locked) choose(+span.dataset.index);
});
tokens.addEventListener("click", (e) => {
  const span = tokenOf(e);
  if (!span) return;
  const i = +span.dataset.index;
  choose(i, !(state.locked && state.query === i));
});
tokens.addEventListener("focusin", (e) => {
  const span = tokenOf(e);
  if (span && !state.locked) choose(+span.dataset.index);
});
tokens.addEventListener("keydown", (e) => {
  const span = tokenOf(e);
  if (!span) return;
  const i = +span.dataset.index, step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
  if (e.key === "Enter" || e.key === " ") { choose(i, !(state.locked && state.query === i)); }
  else if (e.key === "Escape") { choose(state.query, false); }
  else if (step) {
    const next = spans[Math.max(0, Math.min(SEQ - 1, i + step))];
    if (state.locked) choose(+next.dataset.index);
    next.focus();
  } else return;
  e.preventDefault();
});

function cellAt(e) {
  const rect = canvas.getBoundingClientRect(), cell = cellSize(), pad = margin();
  const j = Math.floor((e.clientX - rect.left - pad) / cell);
  const i = Math.floor((e.clientY - rect.top - pad) / cell);
  return i >= 0 && i < SEQ && j >= 0 && j < SEQ ? [i, j] : null;
}
canvas.addEventListener("mousemove", (e) => {
  const at = cellAt(e), out = document.getElementById("cell");
  out.textContent = at ? `query ${at[0]} ${quoted(at[0])} \u2192 key ${at[1]} ${quoted(at[1])}: ` +
    fmt(state.matrix[at[0]][at[1]]) : "";
});
canvas.addEventListener("click", (e) => {
  const at = cellAt(e);
  if (at) choose(at[0], true);
});
layerSelect.addEventListener("change", setView);
headSelect.addEventListener("change", setView);
setView();
"""
