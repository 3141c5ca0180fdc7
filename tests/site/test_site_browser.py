"""The built site in headless Chromium: every page, served from 127.0.0.1, with no network.

A page fails on a console error, an uncaught exception, a failed request, an HTTP error, a
request to any host but 127.0.0.1, a MathJax error, TeX left untypeset, or an image that did
not load. A screenshot of each page goes to site-screenshots/ (git-ignored): look at them.
Skips, saying so, when Debian's chromium is not installed (CI installs it first).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jlr.site.browser import check_site, chromium_binary

pytest.importorskip("websocket", reason="websocket-client not installed: pip install -e '.[dev]'")

REPO = Path(__file__).resolve().parents[2]
FIXTURE_LESSON = Path(__file__).parent / "fixtures" / "99_site_fixture.py"
SCREENSHOTS = REPO / "site-screenshots"
CHROMIUM = chromium_binary()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.subprocess,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed: apt-get install chromium"),
]


def test_every_page_loads_cleanly_offline(built_site: Path, site_lessons: list[Path]):
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # no stale screenshot of a page now gone
    reports, search_hits = check_site(built_site, SCREENSHOTS, CHROMIUM, search_query="gradient")
    failures = [f"{r.path}: {e}" for r in reports for e in r.errors]
    assert not failures, "\n".join(failures)
    by_path = {r.path: r for r in reports}
    assert len(by_path) == len(list(built_site.rglob("*.html")))
    # math typeset where the prose has math, figures shown where the lessons draw them
    assert by_path["index.html"].math > 0
    fixture = by_path[f"lessons/{FIXTURE_LESSON.stem}.html"]
    assert fixture.math >= 2 and fixture.images >= 1
    for lesson in site_lessons:
        text = lesson.read_text()
        if "$" in text:
            assert by_path[f"lessons/{lesson.stem}.html"].math > 0, f"{lesson.name}: no math"
        if "plt.show()" in text:
            assert by_path[f"lessons/{lesson.stem}.html"].images > 0, f"{lesson.name}: no figure"
    assert by_path["projects/digits-mlp.report.html"].images >= 1
    assert search_hits > 0, "the built-in search found nothing for 'gradient'"
    for report in reports:
        assert report.screenshot is not None and report.screenshot.stat().st_size > 1000


BROKEN_PAGES = {
    "cdn.html": '<script src="https://cdn.example.org/lib.js"></script>',
    "image.html": '<img src="missing.png" alt="x">',
    "tex.html": "<p>left as text: $$x^2$$</p>",
    "console.html": "<script>console.error('boom')</script>",
    "exception.html": "<script>undefinedFunction()</script>",
}


def test_the_check_catches_broken_pages(tmp_path: Path):
    """The browser check is not vacuous: each kind of breakage fails its page."""
    head = '<!doctype html><link rel="icon" href="data:,">'  # no /favicon.ico request
    for name, body in {**BROKEN_PAGES, "index.html": "<p>fine</p>"}.items():
        (tmp_path / name).write_text(f"{head}<title>{name}</title><body>{body}</body>")
    reports, _ = check_site(tmp_path, None, CHROMIUM)
    errors = {r.path: " | ".join(r.errors) for r in reports}
    assert errors["index.html"] == ""
    assert "another host" in errors["cdn.html"]
    assert "image did not load" in errors["image.html"] and "404" in errors["image.html"]
    assert "untypeset TeX" in errors["tex.html"]
    assert "console.error: boom" in errors["console.html"]
    assert "undefinedFunction" in errors["exception.html"]
