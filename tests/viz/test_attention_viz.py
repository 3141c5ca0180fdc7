"""Attention maps: the PNG grid shows weights[l, h] in panel (l, h); the HTML page embeds the
weights exactly, escapes the tokens, loads nothing from outside, and, driven in headless
Chromium with real mouse and key events, highlights exactly the weights of the hovered query.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from jlr.viz.attention import (
    DPI,
    attention_grid_png,
    attention_page,
    plot_attention_grid,
    visible_token,
)

N_LAYERS, N_HEADS, SEQ = 2, 3, 7
TOKENS = ["def", " ", "f", "(", "<script>", '&"', "\n"]
HUE = np.array([37, 99, 235])  # the page's highlight colour, rgb


def causal_attention_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Softmax of random scores under a causal mask: rows sum to 1, zeros above the diagonal."""
    seq = shape[-1]
    scores = rng.normal(scale=2.0, size=shape)
    scores = np.where(np.tril(np.ones((seq, seq), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)).astype(np.float32)


WEIGHTS = causal_attention_weights(np.random.default_rng(0), (N_LAYERS, N_HEADS, SEQ, SEQ))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("attention") / "attention.html"
    return attention_page(WEIGHTS, TOKENS, path, title="Layers & <heads>")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_grid_has_one_panel_per_layer_and_head(tmp_path: Path):
    rc_before, figures_before = dict(matplotlib.rcParams), plt.get_fignums()
    backend_before = matplotlib.get_backend()
    path = attention_grid_png(WEIGHTS, TOKENS, tmp_path / "grid.png", title="grid")
    figure = plot_attention_grid(WEIGHTS, TOKENS, title="grid")
    # the caller's matplotlib is untouched: same backend, no pyplot figure, same rcParams
    assert matplotlib.get_backend() == backend_before
    assert plt.get_fignums() == figures_before
    assert dict(matplotlib.rcParams) == rc_before

    width, height = png_size(path.read_bytes())
    assert (width, height) == tuple(round(v * DPI) for v in figure.get_size_inches())
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == N_LAYERS * N_HEADS and len(figure.axes) == len(panels) + 1  # + colour bar
    for ax in panels:
        layer, head = map(int, re.fullmatch(r"layer (\d+) head (\d+)", ax.get_label()).groups())
        np.testing.assert_array_equal(ax.images[0].get_array(), WEIGHTS[layer, head])
        assert ax.images[0].get_clim() == (0.0, pytest.approx(WEIGHTS.max()))
    bottom_left = next(ax for ax in panels if ax.get_label() == f"layer {N_LAYERS - 1} head 0")
    figure.canvas.draw()
    labels = [label.get_text() for label in bottom_left.get_xticklabels()]
    assert labels == ["def", "␣", "f", "(", "<script>", '&"', "↵"]


def test_png_grid_grows_with_the_panels(tmp_path: Path):
    small = png_size(attention_grid_png(WEIGHTS, TOKENS, tmp_path / "a.png").read_bytes())
    wide = causal_attention_weights(np.random.default_rng(1), (1, 6, SEQ, SEQ))
    large = png_size(attention_grid_png(wide, TOKENS, tmp_path / "b.png").read_bytes())
    assert large[0] > 1.5 * small[0] and large[1] < small[1]


def test_visible_token_draws_whitespace_and_control_characters():
    cases = {" ": "␣", "\n": "↵", "a\tb": "a⇥b", "": "∅", "\r": "\\x0d", "<é>": "<é>"}
    assert {token: visible_token(token) for token in cases} == cases


def test_page_loads_nothing_from_outside(page: Path):
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    references = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", text)
    assert references == ["data:,"]  # the empty favicon, so the browser asks for none
    assert text.count("<script") == 2  # the data and the code, both inline


def test_page_embeds_the_weights_exactly(page: Path):
    text = page.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="attention-data">(.*?)</script>', text)
    data = json.loads(match.group(1))
    assert data["shape"] == list(WEIGHTS.shape) and data["tokens"] == TOKENS
    # shortest float32 repr reads back as the same float32
    np.testing.assert_array_equal(np.asarray(data["weights"], dtype=np.float32), WEIGHTS)


def test_page_escapes_tokens_and_title(page: Path):
    text = page.read_text(encoding="utf-8")
    assert '<span class="tok" data-index="4" tabindex="0">&lt;script&gt;</span>' in text
    assert '<span class="tok" data-index="5" tabindex="0">&amp;&quot;</span>' in text
    assert "<title>Layers &amp; &lt;heads&gt;</title>" in text
    assert "<heads>" not in text


BAD_INPUTS = {
    "3-D weights": (WEIGHTS[0], TOKENS, "shape"),
    "not square": (WEIGHTS[..., :-1], TOKENS, "shape"),
    "empty axis": (WEIGHTS[:0], TOKENS, "shape"),
    "too few tokens": (WEIGHTS, TOKENS[:-1], "6 tokens"),
    "a string": (WEIGHTS[..., :3, :3], "abc", "list of strings"),
    "negative": (-WEIGHTS, TOKENS, ">= 0"),
    "text": ([["a"]], ["a"], "numbers"),
}


def _with(value: float, where: tuple[int, ...]) -> np.ndarray:
    weights = WEIGHTS.copy()
    weights[where] = value
    return weights


BAD_INPUTS["NaN"] = (_with(np.nan, (1, 2, 3, 0)), TOKENS, "[1, 2, 3, 0]")
BAD_INPUTS["inf"] = (_with(np.inf, (0, 1, 6, 6)), TOKENS, "finite")


@pytest.mark.parametrize("writer", [attention_grid_png, attention_page])
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_inputs_raise_one_line_value_errors(writer, case: str, tmp_path: Path):
    weights, tokens, says = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=re.escape(says)) as raised:
        writer(weights, tokens, tmp_path / "out")
    assert "\n" not in str(raised.value)
    assert not list(tmp_path.iterdir())  # nothing half-written


# --- in headless Chromium ---------------------------------------------------------------------

SPANS_JS = """
Array.from(document.querySelectorAll(".tok")).map((span) => ({
  text: span.textContent, weight: span.dataset.weight, title: span.title,
  background: getComputedStyle(span).backgroundColor, query: span.classList.contains("query"),
}))
"""

CENTER_JS = """
(() => { const r = document.querySelectorAll(".tok")[%d].getBoundingClientRect();
         return [r.x + r.width / 2, r.y + r.height / 2]; })()
"""

# the heat map's pixel at the centre of every cell (i, j), red channel
HEATMAP_JS = """
(() => {
  const ratio = window.devicePixelRatio || 1, cell = cellSize(), pad = margin();
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const red = (i, j) => pixels[4 * (Math.floor((pad + (i + 0.5) * cell) * ratio) * canvas.width
                                     + Math.floor((pad + (j + 0.5) * cell) * ratio))];
  return state.matrix.map((row, i) => row.map((_, j) => red(i, j)));
})()
"""


def _alpha(css_color: str) -> float:
    parts = re.fullmatch(r"rgba?\((.*)\)", css_color).group(1).split(",")
    assert [int(p) for p in parts[:3]] == HUE.tolist()
    return float(parts[3]) if len(parts) == 4 else 1.0


def _select(session, layer: int, head: int | str) -> None:
    session.evaluate(
        f"""for (const [id, value] of [["layer", "{layer}"], ["head", "{head}"]]) {{
              const select = document.getElementById(id);
              select.value = value;
              select.dispatchEvent(new Event("change"));
            }}"""
    )


def _mouse(session, token: int, *, click: bool = False) -> None:
    x, y = session.evaluate(CENTER_JS % token)
    session.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    if click:
        for kind in ("mousePressed", "mouseReleased"):
            session.send(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )


def _key(session, key: str, code: int) -> None:
    for kind in ("keyDown", "keyUp"):
        session.send(
            "Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code
        )


def _assert_shows(session, row: np.ndarray, query: int) -> None:
    """Every token span shows weight row[j] of `query`: data-weight, tooltip and background."""
    spans = session.evaluate(SPANS_JS)
    shown = np.array([float(s["weight"]) for s in spans])
    np.testing.assert_allclose(shown, row, rtol=1e-5, atol=1e-6)
    alphas = np.array([_alpha(s["background"]) for s in spans])
    np.testing.assert_allclose(alphas, row / row.max(), atol=1 / 255 + 1e-3)  # 8-bit alpha
    assert [s["query"] for s in spans] == [j == query for j in range(SEQ)]
    assert all(s["weight"] in s["title"] and f"query {query}" in s["title"] for s in spans)


@pytest.mark.slow
@pytest.mark.subprocess
def test_page_in_headless_chromium(page: Path):
    pytest.importorskip(
        "websocket", reason="websocket-client not installed: pip install -e '.[dev]'"
    )
    from jlr.site.browser import _problems, chromium, chromium_binary

    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    with chromium(binary) as session:
        for domain in ("Page", "Runtime", "Log", "Network"):
            session.send(f"{domain}.enable")
        session.send("Page.navigate", url=page.as_uri())
        session.wait_for("Page.loadEventFired")
        texts = [s["text"] for s in session.evaluate(SPANS_JS)]
        assert texts == ["def", "␣", "f", "(", "<script>", '&"', "↵"]  # shown as text

        _select(session, 1, 2)
        _mouse(session, 4)  # a real hover over token 4
        _assert_shows(session, WEIGHTS[1, 2, 4], query=4)
        expected_red = 255 - WEIGHTS[1, 2] / WEIGHTS[1, 2].max() * (255 - HUE[0])
        np.testing.assert_allclose(session.evaluate(HEATMAP_JS), expected_red, atol=1.5)

        _mouse(session, 2, click=True)  # click locks query 2 ...
        _mouse(session, 6)  # ... so hovering another token changes nothing
        _assert_shows(session, WEIGHTS[1, 2, 2], query=2)
        _key(session, "ArrowRight", 39)  # the locked query moves with the arrow keys
        _assert_shows(session, WEIGHTS[1, 2, 3], query=3)
        _select(session, 0, "mean")  # the mean over heads, same locked query
        _assert_shows(session, WEIGHTS[0].mean(axis=0)[3], query=3)
        _key(session, "Escape", 27)  # unlocked: hovering selects again
        _mouse(session, 5)
        _assert_shows(session, WEIGHTS[0].mean(axis=0)[5], query=5)

        session.pump(0.1)
        errors, warnings = _problems(session.take_events(), page.as_uri())
        assert not errors and not warnings, errors + warnings
