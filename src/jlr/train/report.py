"""report.html: a self-contained page (PNG figures embedded as base64) for one run."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from jlr.atomic_file import write_atomically

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
"""


def save_figure(figure: Figure, path: Path) -> bytes:
    """Write the figure as PNG to `path` and return the PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    data = buffer.getvalue()
    write_atomically(path, data)
    return data


def _table(rows: dict[str, Any]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.5g}" if isinstance(value, float) else html.escape(str(value))

    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{cell(v)}</td></tr>" for k, v in rows.items())
    return f"<table>{body}</table>"


def write_report(
    out_dir: Path,
    *,
    title: str,
    summary: dict[str, Any],
    config: dict[str, Any],
    figures: dict[str, bytes],
    notes: str = "",
) -> Path:
    """Write out_dir/report.html with a summary table, the figures and the config."""
    images = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"><figcaption>{html.escape(name)}</figcaption></figure>'
        for name, png in figures.items()
    )
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{notes}<h2>Results</h2>{_table(summary)}"
        f"<h2>Curves</h2>{images}<h2>Config</h2>{_table(config)}</body></html>"
    )
    path = Path(out_dir) / "report.html"
    write_atomically(path, page.encode())
    return path
